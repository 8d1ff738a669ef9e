import type { RemovalReason } from '../api/types';

/** Why a run matched an account. */
export const REASON_LABEL: Record<RemovalReason, string> = {
  inactive: 'Inactive',
  never_logged_in: 'Never logged in',
  deactivation_expired: 'Restore window over',
  provisioning: 'Removed by the identity provider',
};
