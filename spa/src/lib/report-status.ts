import type { AuditAction, CleanupAction, RemovalReason, ReportStatus } from './api/types';

export const ACTIVE_STATUSES: readonly ReportStatus[] = ['queued', 'running', 'awaiting_approval'];

export function isActiveStatus(status: ReportStatus | undefined | null): boolean {
  return !!status && ACTIVE_STATUSES.includes(status);
}

export const FINISHED_STATUSES: readonly ReportStatus[] = ['succeeded', 'failed', 'aborted'];

export function isFinishedStatus(status: ReportStatus | undefined | null): boolean {
  return !!status && FINISHED_STATUSES.includes(status);
}

/** Only a finished run that really deactivated someone has anything to undo. */
export function canUndo(report: { status: ReportStatus; counts_are_would: boolean; action: string; users_removed: number }): boolean {
  return isFinishedStatus(report.status) && !report.counts_are_would && report.action === 'deactivate' && report.users_removed > 0;
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

/** A dry run that completed: its counters say what it would have done. */
export function wouldRemove(report: { dry_run: boolean; status: ReportStatus }): boolean {
  return report.dry_run && report.status === 'succeeded';
}

/**
 * What the run really removed. A report's `counts_are_would` says when its counters are
 * what it would do, not what it did: a dry run, or a run that changed nobody (queued,
 * waiting for approval, or aborted — over the safety cap, rejected, expired).
 */
export function usersReallyRemoved(report: { counts_are_would: boolean; users_removed: number }): number {
  return report.counts_are_would ? 0 : report.users_removed;
}

export const STATUS_LABEL: Record<ReportStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  aborted: 'Aborted',
  awaiting_approval: 'Awaiting approval',
};

export const REASON_LABEL: Record<RemovalReason, string> = {
  inactive: 'Inactive',
  never_logged_in: 'Never logged in',
  deactivation_expired: 'Restore window over',
};

/** What an action does to an account, in the past tense: "deactivated", "deleted". */
export const ACTION_DONE: Record<CleanupAction, AuditAction> = { deactivate: 'deactivated', delete: 'deleted' };

export const AUDIT_ACTION_LABEL: Record<AuditAction, string> = { deactivated: 'Deactivated', deleted: 'Deleted' };

/** What a run did (or, dry or previewed, would do) in each stage of the lifecycle. */
export interface StageCounts {
  warned: number;
  deactivated: number;
  deleted: number;
}

export function reportStages(report: { users_warned: number; users_deactivated: number; users_deleted: number }): StageCounts {
  return { warned: report.users_warned, deactivated: report.users_deactivated, deleted: report.users_deleted };
}

export function previewStages(preview: { users_to_warn: number; users_to_deactivate: number; users_to_delete: number }): StageCounts {
  return { warned: preview.users_to_warn, deactivated: preview.users_to_deactivate, deleted: preview.users_to_delete };
}

/** "3 warned by email, 5 deactivated, 1 deleted" — the stages that touch anyone; "nobody" when none does. */
export function describeStages(stages: StageCounts): string {
  const parts = [
    stages.warned ? `${stages.warned.toLocaleString()} warned by email` : '',
    stages.deactivated ? `${stages.deactivated.toLocaleString()} deactivated` : '',
    stages.deleted ? `${stages.deleted.toLocaleString()} deleted` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nobody';
}
