import { Card, PageHeader } from '@/components/ui/Card';
import { useDocumentTitle } from '@/lib/use-document-title';

/** The SCIM 2.0 base URL of this tenant: the host the console is served on. */
function scimBaseUrl(origin: string = window.location.origin): string {
  return `${origin}/scim/v2/`;
}

/** How to connect the tenant's identity provider (Okta, Entra ID) over SCIM 2.0. */
export function ProvisioningPage() {
  useDocumentTitle('Provisioning (SCIM)');
  const base = scimBaseUrl();
  return (
    <>
      <PageHeader
        title="Provisioning (SCIM)"
        description="Let your identity provider create, update, deactivate and delete this tenant's users, and manage who is in which group. A person who leaves is deactivated here as everywhere else, with an audit row and an entry in the activity log."
      />
      <Card title="Connection">
        <dl className="stack">
          <div>
            <dt className="strong">SCIM base URL</dt>
            <dd>
              <code data-testid="scim-base-url">{base}</code>
            </dd>
          </div>
          <div>
            <dt className="strong">Authentication</dt>
            <dd>
              A bearer token: an API token of this tenant with the scope <code>scim</code>, created on the API tokens page (a token of a service account is
              best, so it does not depend on one person).
            </dd>
          </div>
          <div>
            <dt className="strong">What it manages</dt>
            <dd>
              Users (user name, external id, name, email, active) and groups. A group named among the policy&apos;s exempt groups keeps its members out of every
              cleanup; its membership can be managed from the identity provider, but it cannot be renamed or deleted from there.
            </dd>
          </div>
        </dl>
      </Card>
      <Card title="Okta">
        <ol className="stack">
          <li>
            In the Okta admin console, open Applications → Create App Integration → SWA or SAML, then on the app&apos;s General tab enable SCIM provisioning.
          </li>
          <li>
            On the Provisioning tab, set the SCIM connector base URL to <code>{base}</code> and the unique identifier field for users to <code>userName</code>.
          </li>
          <li>Supported provisioning actions: Import New Users and Profile Updates, Push New Users, Push Profile Updates, Push Groups.</li>
          <li>Authentication mode: HTTP Header, with the API token as the Bearer token. Test the connector configuration, then save.</li>
          <li>Under To App, enable Create Users, Update User Attributes and Deactivate Users. Assign people and push the groups you want here.</li>
        </ol>
      </Card>
      <Card title="Microsoft Entra ID">
        <ol className="stack">
          <li>In the Entra admin center, open Enterprise applications → New application → Create your own application (non-gallery).</li>
          <li>
            Open Provisioning, set the mode to Automatic, the Tenant URL to <code>{base}</code> and the Secret Token to the API token. Test the connection, then
            save.
          </li>
          <li>
            Under Mappings, keep <code>userPrincipalName → userName</code>, <code>objectId → externalId</code>,{' '}
            <code>mail → emails[type eq &quot;work&quot;].value</code> and{' '}
            <code>Switch([IsSoftDeleted], , &quot;False&quot;, &quot;True&quot;, &quot;True&quot;, &quot;False&quot;) → active</code>.
          </li>
          <li>Assign users and groups to the application, then start provisioning. Entra ID syncs about every 40 minutes.</li>
        </ol>
      </Card>
    </>
  );
}
