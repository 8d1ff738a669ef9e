import type { ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { useLogout } from '@/features/auth/api/logout';
import type { Me } from '@/lib/api/types';
import { useHost } from '@/lib/host';
import { READ_ONLY_NOTE } from '@/lib/role';
import { useSession } from '@/lib/session';

interface NavItem {
  to: string;
  label: string;
  end?: boolean;
}

export function Shell({ user, kind, nav, children }: { user: Me; kind: 'tenant' | 'operator'; nav: NavItem[]; children: ReactNode }) {
  const host = useHost();
  const session = useSession();
  const navigate = useNavigate();
  const logout = useLogout();
  const context = kind === 'operator' ? 'Platform' : (user.tenant?.name ?? host.tenant?.name ?? '');

  const signOut = () => {
    // The token is dropped locally whatever the server says; a failed revoke
    // only means the refresh token expires on its own.
    logout.mutate(undefined, {
      onSettled: () => {
        session.signOut('You have been logged out.');
        navigate('/login', { replace: true });
      },
    });
  };

  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true">
              ◆
            </span>
            <span className="brand-name">Cleanup Console</span>
            <span className={`brand-context ${kind === 'operator' ? 'brand-context-operator' : ''}`}>{context}</span>
          </div>
          {nav.length > 0 && (
            <nav className="nav" aria-label="Main">
              {nav.map((item) => (
                <NavLink key={item.to} to={item.to} end={item.end} className={({ isActive }) => `nav-link ${isActive ? 'nav-link-active' : ''}`}>
                  {item.label}
                </NavLink>
              ))}
            </nav>
          )}
          <div className="user-menu">
            <span className="user-name" title={user.email}>
              {user.username}
            </span>
            {kind === 'tenant' && user.role === 'auditor' && (
              <Badge tone="neutral" title={READ_ONLY_NOTE}>
                Auditor · read-only
              </Badge>
            )}
            <Button size="sm" variant="ghost" onClick={signOut} busy={logout.isPending}>
              Log out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
