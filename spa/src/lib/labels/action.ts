import type { AuditAction, CleanupAction } from '../api/types';

/** The policy's action, as the editor offers it. */
export const ACTION_LABEL: Record<CleanupAction, { title: string; text: string }> = {
  deactivate: { title: 'Deactivate', text: 'Accounts stay but cannot log in. Reversible.' },
  delete: { title: 'Delete', text: 'Accounts and their data are deleted. Permanent.' },
};

/** What an action does to an account, in the past tense: "deactivated", "deleted". */
export const ACTION_DONE: Record<CleanupAction, AuditAction> = { deactivate: 'deactivated', delete: 'deleted' };
