import type { ApiTokenRevokedReason, ApiTokenStatus, Scope } from '../api/types';

/** What each scope lets a token do, as the create dialog offers it. */
export const SCOPE_LABEL: Record<Scope, string> = {
  'reports:read': 'Read reports',
  'audit:read': 'Read audit lists and the activity log',
  'policy:read': 'Read the policy',
  'policy:write': 'Change the policy',
  'cleanup:run': 'Start cleanup runs',
  'oversight:write': 'Approve, reject and undo runs; reactivate users',
  'exemptions:write': 'Add and remove exemptions',
  'signals:write': 'Report activity from outside',
  scim: 'Provision users (SCIM)',
  'webhooks:write': 'Manage webhooks',
  'platform:read': 'Read the fleet: tenants, their runs, the summary',
  'platform:run': 'Create tenants and start their runs',
};

/**
 * The scopes a token of each role may hold. The server decides (core/scopes.py,
 * `ROLE_SCOPES`) and answers 400 naming the refused ones; the dialog offers only these
 * so that a person is not shown boxes the server would refuse. An ordinary member (no
 * role) may hold none.
 */
export const ROLE_SCOPES: Record<'admin' | 'auditor' | 'operator', readonly Scope[]> = {
  admin: [
    'reports:read',
    'audit:read',
    'policy:read',
    'policy:write',
    'cleanup:run',
    'oversight:write',
    'exemptions:write',
    'signals:write',
    'scim',
    'webhooks:write',
  ],
  auditor: ['reports:read', 'audit:read', 'policy:read'],
  operator: ['platform:read', 'platform:run'],
};

export const TOKEN_STATUS_LABEL: Record<ApiTokenStatus, string> = { active: 'Active', expired: 'Expired', revoked: 'Revoked' };

export const TOKEN_REVOKED_REASON_LABEL: Record<ApiTokenRevokedReason, string> = {
  owner: 'Revoked by its owner',
  admin: 'Revoked by a tenant admin',
  owner_deactivated: 'Its owner was deactivated',
  token_inactive: 'Unused too long: revoked by a cleanup run',
};
