import type { ReportStatus } from '../api/types';

export const STATUS_LABEL: Record<ReportStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  aborted: 'Aborted',
  awaiting_approval: 'Awaiting approval',
};
