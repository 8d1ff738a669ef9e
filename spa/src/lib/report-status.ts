import type { ReportStatus } from './api/types';

export const ACTIVE_STATUSES: readonly ReportStatus[] = ['queued', 'running'];

export function isActiveStatus(status: ReportStatus | undefined | null): boolean {
  return !!status && ACTIVE_STATUSES.includes(status);
}

const STATUSES: readonly ReportStatus[] = ['queued', 'running', 'succeeded', 'failed', 'aborted'];

/** Summaries type their status as a plain string; anything unknown shows as failed rather than crashing. */
export function asReportStatus(status: string): ReportStatus {
  return (STATUSES as readonly string[]).includes(status) ? (status as ReportStatus) : 'failed';
}

export const STATUS_LABEL: Record<ReportStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  aborted: 'Aborted',
};

export const REASON_LABEL: Record<string, string> = {
  inactive: 'Inactive',
  never_logged_in: 'Never logged in',
};
