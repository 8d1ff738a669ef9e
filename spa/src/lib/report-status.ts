import type { ReportStatus } from './api/types';

export const ACTIVE_STATUSES: readonly ReportStatus[] = ['queued', 'running', 'awaiting_approval'];

export function isActiveStatus(status: ReportStatus | undefined | null): boolean {
  return !!status && ACTIVE_STATUSES.includes(status);
}

export const FINISHED_STATUSES: readonly ReportStatus[] = ['succeeded', 'failed', 'aborted'];

export function isFinishedStatus(status: ReportStatus | undefined | null): boolean {
  return !!status && FINISHED_STATUSES.includes(status);
}

/** Only a finished real run that deactivated someone has anything to undo. */
export function canUndo(report: { status: ReportStatus; dry_run: boolean; action: string; users_removed: number }): boolean {
  return isFinishedStatus(report.status) && !report.dry_run && report.action === 'deactivate' && report.users_removed > 0;
}

/** How often to poll a run: every second while queued or running, slowly while it waits for an admin (it may wait for days). */
export function reportPollInterval(status: ReportStatus | undefined | null, fast: number): number | false {
  if (status === 'awaiting_approval') return 15_000;
  return isActiveStatus(status) ? fast : false;
}

const STATUSES: readonly ReportStatus[] = ['queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'aborted'];

/** Summaries type their status as a plain string; anything unknown shows as failed rather than crashing. */
export function asReportStatus(status: string): ReportStatus {
  return (STATUSES as readonly string[]).includes(status) ? (status as ReportStatus) : 'failed';
}

/** A dry run that completed: it reports who it would have removed (users_matched). */
export function wouldRemove(report: { dry_run: boolean; status: ReportStatus }): boolean {
  return report.dry_run && report.status === 'succeeded';
}

export const STATUS_LABEL: Record<ReportStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  aborted: 'Aborted',
  awaiting_approval: 'Awaiting approval',
};

export const REASON_LABEL: Record<string, string> = {
  inactive: 'Inactive',
  never_logged_in: 'Never logged in',
};
