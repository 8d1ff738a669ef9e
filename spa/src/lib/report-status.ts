import type { ActiveStatus, FinishedStatus, ReportStatus } from './api/types';
import { isKeyOf } from './is-key-of';

/*
 * The one home of the statuses' sets. Which statuses are active is the server's
 * (ActiveRunStatusEnum); every other status is finished. Each record must name every
 * status of its kind, so a status the server adds fails the type check here.
 */
const ACTIVE: Record<ActiveStatus, true> = { queued: true, running: true, awaiting_approval: true };
const FINISHED: Record<FinishedStatus, true> = { succeeded: true, failed: true, aborted: true };

export const ACTIVE_STATUSES = Object.keys(ACTIVE) as readonly ActiveStatus[];
export const FINISHED_STATUSES = Object.keys(FINISHED) as readonly FinishedStatus[];

export function isActiveStatus(status: ReportStatus | undefined | null): status is ActiveStatus {
  return isKeyOf(ACTIVE, status);
}

/** How often to poll a run: every second while queued or running, slowly while it waits for an admin (it may wait for days). */
export function reportPollInterval(status: ReportStatus | undefined | null, fast: number): number | false {
  if (status === 'awaiting_approval') return 15_000;
  return isActiveStatus(status) ? fast : false;
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

/** A status the server sent in an untyped field (a 409's body): one it knows, or not. */
export function isReportStatus(value: unknown): value is ReportStatus {
  return isKeyOf(ACTIVE, value) || isKeyOf(FINISHED, value);
}
