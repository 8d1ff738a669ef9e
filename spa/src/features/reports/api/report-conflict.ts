import { ApiError } from '@/lib/api/errors';
import type { ReportStatus } from '@/lib/api/types';
import { isReportStatus } from '@/lib/report-status';

/** The run's status a 409 {detail, status} of an oversight endpoint reports, if any. */
export function conflictStatus(error: unknown): ReportStatus | null {
  if (error instanceof ApiError && error.status === 409 && error.body && typeof error.body === 'object') {
    const status = (error.body as { status?: unknown }).status;
    return isReportStatus(status) ? status : null;
  }
  return null;
}
