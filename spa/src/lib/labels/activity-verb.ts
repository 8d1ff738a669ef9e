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
  'webhook.created': 'added a webhook endpoint',
  'webhook.updated': 'changed a webhook endpoint',
  'webhook.deleted': 'deleted a webhook endpoint',
  'webhook.secret_rotated': 'rotated a webhook secret',
  'webhook.disabled': 'disabled a failing webhook endpoint',
  'tenant.created': 'created a tenant',
  'platform.triggered': 'started cleanups',
  'user.provisioned': 'provisioned a user',
  'user.updated': 'updated a user',
  'user.deactivated': 'deactivated a user',
  'user.deleted': 'deleted a user',
  'group.created': 'created a group',
  'group.updated': 'changed a group',
  'group.deleted': 'deleted a group',
};
