import type { AuditAction } from '../api/types';

/** What a run did to one account of its audit list. */
export const AUDIT_ACTION_LABEL: Record<AuditAction, string> = { deactivated: 'Deactivated', deleted: 'Deleted' };
