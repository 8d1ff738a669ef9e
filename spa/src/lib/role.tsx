import { createContext, useContext, type ReactNode } from 'react';

/**
 * Whether the signed-in user may change anything in this tenant's console: true
 * for the tenant-admin role, false for the read-only auditor role, as /api/me/
 * says (`is_tenant_admin`). The console sets it once (app/routes); components
 * hide or disable what the server would refuse with 403. Without a provider
 * nothing is offered: a read-only console, never a console of buttons that fail.
 */
const CanChangeContext = createContext(false);

export function TenantRoleProvider({ canChange, children }: { canChange: boolean; children: ReactNode }) {
  return <CanChangeContext.Provider value={canChange}>{children}</CanChangeContext.Provider>;
}

export function useCanChange(): boolean {
  return useContext(CanChangeContext);
}

/** Said wherever an auditor finds a control missing. */
export const READ_ONLY_NOTE = 'Your auditor role can read everything here; only tenant admins can change it.';
