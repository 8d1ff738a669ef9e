import type { TenantRole } from '../api/types';
import { isKeyOf } from '../is-key-of';

export const ROLE_LABEL: Record<TenantRole, string> = { admin: 'tenant admin', auditor: 'auditor' };

/** A role as `user.role_changed` records it (null: an ordinary member). */
export function roleLabel(role: unknown): string {
  if (role === null || role === undefined || role === '') return 'no role';
  return isKeyOf(ROLE_LABEL, role) ? ROLE_LABEL[role] : String(role);
}
