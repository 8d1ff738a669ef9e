import type { ActivityVerb } from '../api/types';

/** What an activity event says its actor did: "admin changed the policy". */
export const VERB_LABEL: Record<ActivityVerb, string> = {
  'policy.updated': 'changed the policy',
  'cleanup.triggered': 'started a cleanup',
  'run.approved': 'approved a run',
  'run.rejected': 'rejected a run',
  'run.undone': 'undid a run',
  'user.reactivated': 'reactivated a user',
  'exemption.created': 'exempted a user',
  'exemption.deleted': 'removed an exemption',
  'user.role_changed': 'changed a user’s role',
  'tenant.created': 'created a tenant',
  'platform.triggered': 'started cleanups',
  'token.created': 'made an API token',
  'token.revoked': 'revoked an API token',
  'service_account.created': 'made a service account',
  'service_account.deleted': 'deleted a service account',
};
