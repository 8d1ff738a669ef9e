import { Navigate, Route, Routes, useLocation } from 'react-router';
import { ErrorAlert } from '@/components/ui/Alert';
import { Loading } from '@/components/ui/Spinner';
import { LoginPage } from '@/features/auth/components/LoginPage';
import { useMe } from '@/features/auth/api/get-me';
import { ApiError } from '@/lib/api/errors';
import { useHost } from '@/lib/host';
import { TenantRoleProvider } from '@/lib/role';
import { useSession } from '@/lib/session';
import { Shell } from './shell';
import { NotFound, RoleRequired } from './routes/status-pages';
import { OverviewRoute } from './routes/overview';
import { ReportsRoute } from './routes/reports';
import { ReportDetailPage } from '@/features/reports/components/ReportDetailPage';
import { PolicyPage } from '@/features/cleanup/components/PolicyPage';
import { TenantsPage } from '@/features/platform/components/TenantsPage';
import { TenantReportsPage } from '@/features/platform/components/TenantReportsPage';
import { ExemptionsPage } from '@/features/exemptions/components/ExemptionsPage';
import { ProvisioningPage } from '@/features/provisioning/components/ProvisioningPage';
import { WebhooksPage } from '@/features/webhooks/components/WebhooksPage';
import { WebhookDetailPage } from '@/features/webhooks/components/WebhookDetailPage';
import { ActivityPage } from '@/features/activity/components/ActivityPage';
import { TokensPage } from '@/features/tokens/components/TokensPage';
import { ServiceAccountsPage } from '@/features/service-accounts/components/ServiceAccountsPage';

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginRoute />} />
      <Route path="*" element={<RequireAuth />} />
    </Routes>
  );
}

function LoginRoute() {
  const { isAuthenticated } = useSession();
  if (isAuthenticated) return <Navigate to="/" replace />;
  return <LoginPage />;
}

function RequireAuth() {
  const { isAuthenticated } = useSession();
  const location = useLocation();
  if (!isAuthenticated) {
    return <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}` }} />;
  }
  return <Console />;
}

/**
 * Which console a person gets depends on the host (as the server says, see
 * lib/host) and on who they are (/api/me/): the operator console only on the
 * root host and only for operators; the tenant console only on a tenant host
 * and only for its admins and auditors (read-only, see lib/role).
 */
function Console() {
  const host = useHost();
  const me = useMe();

  if (me.isPending) {
    return (
      <div className="center-screen">
        <Loading label="Loading your console…" />
      </div>
    );
  }
  if (me.isError) {
    if (me.error instanceof ApiError && me.error.status === 401) return <Navigate to="/login" replace />;
    return (
      <div className="center-screen narrow">
        <ErrorAlert error={me.error} onRetry={() => void me.refetch()} title="Could not load your account" />
      </div>
    );
  }

  const user = me.data;
  if (host.console === 'platform') {
    if (!user.is_operator) {
      return (
        <Shell user={user} kind="operator" nav={[]}>
          <RoleRequired title="You need to be a platform operator" body="This is the platform console. Tenant admins sign in on their own tenant's address." />
        </Shell>
      );
    }
    return (
      <Shell
        user={user}
        kind="operator"
        nav={[
          { to: '/tenants', label: 'Tenants' },
          { to: '/activity', label: 'Activity' },
          { to: '/tokens', label: 'API tokens' },
        ]}
      >
        <Routes>
          <Route path="/" element={<Navigate to="/tenants" replace />} />
          <Route path="/tenants" element={<TenantsPage />} />
          <Route path="/tenants/:schema" element={<TenantReportsPage />} />
          <Route path="/activity" element={<ActivityPage />} />
          <Route path="/tokens" element={<TokensPage role="operator" username={user.username} />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Shell>
    );
  }

  if (user.role !== 'admin' && user.role !== 'auditor') {
    return (
      <Shell user={user} kind="tenant" nav={[]}>
        <RoleRequired
          title="You need the tenant-admin or auditor role"
          body="Your account can sign in, but only this tenant's admins (who manage cleanups) and auditors (who read them) can use the cleanup console. Ask a tenant admin for a role."
        />
      </Shell>
    );
  }
  return (
    <TenantRoleProvider canChange={user.is_tenant_admin}>
      <Shell
        user={user}
        kind="tenant"
        nav={[
          { to: '/', label: 'Overview', end: true },
          { to: '/reports', label: 'Reports' },
          { to: '/policy', label: 'Policy' },
          { to: '/exemptions', label: 'Exemptions' },
          { to: '/webhooks', label: 'Webhooks' },
          { to: '/activity', label: 'Activity' },
          ...(user.is_tenant_admin ? [{ to: '/provisioning', label: 'Provisioning' }] : []),
          { to: '/tokens', label: 'API tokens' },
          // Only admins manage service accounts: nobody else is offered the page.
          ...(user.role === 'admin' ? [{ to: '/service-accounts', label: 'Service accounts' }] : []),
        ]}
      >
        <Routes>
          <Route path="/" element={<OverviewRoute />} />
          <Route path="/reports" element={<ReportsRoute />} />
          <Route path="/reports/:id" element={<ReportDetailPage />} />
          <Route path="/policy" element={<PolicyPage />} />
          <Route path="/exemptions" element={<ExemptionsPage />} />
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="/webhooks/:id" element={<WebhookDetailPage />} />
          <Route path="/activity" element={<ActivityPage />} />
          <Route path="/provisioning" element={<ProvisioningPage />} />
          <Route path="/tokens" element={<TokensPage role={user.role} username={user.username} />} />
          <Route
            path="/service-accounts"
            element={
              user.role === 'admin' ? (
                <ServiceAccountsPage />
              ) : (
                <RoleRequired
                  title="You need the tenant-admin role"
                  body="Service accounts, and the tokens scripts use through them, are managed by this tenant's admins. Your own API tokens are under API tokens."
                />
              )
            }
          />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </Shell>
    </TenantRoleProvider>
  );
}
