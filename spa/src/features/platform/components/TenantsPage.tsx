import { useEffect, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Alert, ErrorAlert } from '@/components/ui/Alert';
import { Badge, StatusBadge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card, EmptyState, PageHeader } from '@/components/ui/Card';
import { Dialog } from '@/components/ui/Dialog';
import { Switch } from '@/components/ui/Field';
import { Pagination } from '@/components/ui/Pagination';
import { QueryState } from '@/components/ui/QueryState';
import { queryLimits } from '@/lib/api/limits';
import type { PlatformTenant, PlatformTriggerResponse, TenantOrdering, TenantStatusFilter } from '@/lib/api/types';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import { useDebouncedValue } from '@/lib/use-debounced-value';
import { useTenants } from '../api/get-tenants';
import type { TenantListParams } from '../api/tenant-list-params';
import { TENANT_STATUS_FILTER_LABEL, useTenantListParams } from '../use-tenant-list-params';
import { useTrigger } from '../api/get-trigger';
import { useTriggerTenants } from '../api/trigger-tenants';
import { CreateTenantDialog } from './CreateTenantDialog';
import { FleetSummary } from './FleetSummary';
import { useDocumentTitle } from '@/lib/use-document-title';

function tenantUrl(domain: string | null): string | null {
  if (!domain) return null;
  const port = window.location.port ? `:${window.location.port}` : '';
  return `${window.location.protocol}//${domain}${port}/`;
}

type Target = { kind: 'selected'; tenants: string[] } | { kind: 'all' };

export function TenantsPage() {
  useDocumentTitle('Tenants');
  const [params, setFilters, setPage] = useTenantListParams();
  const { page } = params;
  const tenants = useTenants(params);
  const filtered = !!(params.search || params.status);
  const trigger = useTriggerTenants();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dryRun, setDryRun] = useState(true);
  const [confirm, setConfirm] = useState<Target | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<PlatformTenant | null>(null);
  const [result, setResult] = useState<PlatformTriggerResponse | null>(null);

  const rows = tenants.data?.results ?? [];
  const allOnPage = rows.length > 0 && rows.every((t) => selected.has(t.schema_name));
  const toggle = (schema: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(schema)) next.delete(schema);
      else next.add(schema);
      return next;
    });
  const toggleAll = () =>
    setSelected((s) => {
      const next = new Set(s);
      rows.forEach((t) => (allOnPage ? next.delete(t.schema_name) : next.add(t.schema_name)));
      return next;
    });

  const run = (target: Target) => {
    setResult(null);
    trigger.mutate(target.kind === 'all' ? { dry_run: dryRun } : { tenants: target.tenants, dry_run: dryRun }, {
      onSuccess: (data) => {
        setResult(data);
        setSelected(new Set());
      },
      onSettled: () => setConfirm(null),
    });
  };

  return (
    <>
      <PageHeader
        title="Tenants"
        description="Every customer, its schedule and its last cleanup."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            New tenant
          </Button>
        }
      />
      {created && (
        <Alert
          tone="success"
          title={`Tenant ${created.name} created`}
          action={
            <Button size="sm" variant="ghost" onClick={() => setCreated(null)} aria-label="Dismiss">
              ✕
            </Button>
          }
        >
          Its admin can sign in at{' '}
          {tenantUrl(created.domain) ? <a href={tenantUrl(created.domain) ?? undefined}>{tenantUrl(created.domain)}</a> : created.schema_name}. Its policy
          starts in dry-run mode.
        </Alert>
      )}
      {trigger.isError && <ErrorAlert error={trigger.error} title="No cleanup was started" />}
      {result && <TriggerResult result={result} onDismiss={() => setResult(null)} />}
      <FleetSummary />
      <Card>
        <div className="toolbar" role="toolbar" aria-label="Trigger cleanups">
          <span className="muted small">{selected.size ? `${selected.size} selected` : 'Select tenants to run a cleanup on them'}</span>
          <div className="toolbar-actions">
            <Switch label="Dry run" checked={dryRun} onChange={setDryRun} />
            <Button onClick={() => setConfirm({ kind: 'selected', tenants: [...selected] })} disabled={selected.size === 0}>
              Trigger selected
            </Button>
            <Button onClick={() => setConfirm({ kind: 'all' })}>Trigger all tenants</Button>
          </div>
        </div>
        <TenantFilters params={params} onChange={setFilters} />
        <QueryState
          query={tenants}
          loading="Loading tenants…"
          errorTitle="Could not load tenants"
          isEmpty={(data) => data.count === 0}
          empty={
            filtered ? (
              <EmptyState title="No tenants match" action={<Button onClick={() => setFilters({ search: '', status: '' })}>Clear filters</Button>}>
                Try another search or status.
              </EmptyState>
            ) : (
              <EmptyState
                title="No tenants yet"
                action={
                  <Button variant="primary" onClick={() => setCreating(true)}>
                    Create the first tenant
                  </Button>
                }
              >
                A tenant gets its own schema, subdomain and admin.
              </EmptyState>
            )
          }
        >
          {(data) => (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="sr-only">Tenants</caption>
                  <thead>
                    <tr>
                      <th scope="col" className="check">
                        <input type="checkbox" aria-label="Select all tenants on this page" checked={allOnPage} onChange={toggleAll} />
                      </th>
                      <SortableHeader label="Tenant" field="name" params={params} onSort={(ordering) => setFilters({ ordering })} />
                      <th scope="col" className="hide-sm">
                        Domain
                      </th>
                      <th scope="col" className="hide-sm">
                        Schedule
                      </th>
                      <SortableHeader label="Created" field="created_at" params={params} onSort={(ordering) => setFilters({ ordering })} className="hide-sm" />
                      <SortableHeader label="Next run" field="next_run_at" params={params} onSort={(ordering) => setFilters({ ordering })} />
                      <SortableHeader label="Last run" field="last_run" params={params} onSort={(ordering) => setFilters({ ordering })} />
                      <th scope="col" className="num">
                        Removed
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.results.map((t) => (
                      <TenantRow key={t.schema_name} tenant={t} checked={selected.has(t.schema_name)} onToggle={() => toggle(t.schema_name)} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination data={data} page={page} onPage={setPage} noun="tenants" busy={tenants.isFetching} />
            </>
          )}
        </QueryState>
      </Card>
      <Dialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title={confirm?.kind === 'all' ? 'Run cleanup on all tenants?' : 'Run cleanup on selected tenants?'}
        footer={
          <>
            <Button onClick={() => setConfirm(null)}>Cancel</Button>
            <Button variant={dryRun ? 'primary' : 'danger'} busy={trigger.isPending} onClick={() => confirm && run(confirm)}>
              {dryRun ? 'Start dry runs' : 'Start cleanups'}
            </Button>
          </>
        }
      >
        <p className="confirm-text">
          {confirm?.kind === 'all'
            ? 'Every active tenant'
            : `${confirm?.kind === 'selected' ? confirm.tenants.length : 0} tenant(s): ${confirm?.kind === 'selected' ? confirm.tenants.join(', ') : ''}`}{' '}
          {dryRun ? 'will get a dry run — reported only, nobody is changed.' : 'will run its own policy now and remove the users it matches.'}
        </p>
        <p className="muted small">Tenants that already have a cleanup running are skipped.</p>
      </Dialog>
      <CreateTenantDialog open={creating} onClose={() => setCreating(false)} onCreated={setCreated} />
    </>
  );
}

function TenantRow({ tenant, checked, onToggle }: { tenant: PlatformTenant; checked: boolean; onToggle: () => void }) {
  const url = tenantUrl(tenant.domain);
  const last = tenant.last_report;
  const active = tenant.active_run;
  const schedule = tenant.schedule;
  return (
    <tr className={checked ? 'row-selected' : undefined}>
      <td className="check">
        <input type="checkbox" aria-label={`Select ${tenant.name}`} checked={checked} onChange={onToggle} />
      </td>
      <td>
        <Link to={`/tenants/${tenant.schema_name}`} className="row-link">
          {tenant.name}
        </Link>
        <span className="muted small block mono">
          {tenant.schema_name}
          {!tenant.is_active && (
            <>
              {' '}
              <Badge tone="neutral">inactive</Badge>
            </>
          )}
        </span>
      </td>
      <td className="hide-sm">{url ? <a href={url}>{tenant.domain}</a> : <span className="muted">—</span>}</td>
      <td className="hide-sm">
        {schedule ? (
          <>
            <span className="mono small">{schedule.schedule}</span>
            <span className="muted small block">{schedule.enabled ? schedule.timezone : 'schedule off'}</span>
          </>
        ) : (
          <span className="muted">No policy</span>
        )}
      </td>
      <td className="hide-sm">{formatDateTime(tenant.created_at)}</td>
      <td>
        {schedule?.enabled && schedule.next_run_at ? (
          <>
            {formatDateTime(schedule.next_run_at)}
            <span className="muted small block">{formatRelative(schedule.next_run_at)}</span>
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        {last ? (
          <>
            <StatusBadge status={last.status} />
            <span className="muted small block">{last.finished_at ? formatRelative(last.finished_at) : 'in progress'}</span>
          </>
        ) : (
          !active && <span className="muted">Never run</span>
        )}
        {active && (
          <span className="block active-run" title={active.since ? `since ${formatDateTime(active.since)}` : undefined}>
            <StatusBadge status={active.status} />
            <span className="muted small"> now{active.id ? ` · run #${active.id}` : ''}</span>
          </span>
        )}
      </td>
      <td className="num strong">{last ? formatNumber(last.users_removed) : '—'}</td>
    </tr>
  );
}

const SEARCH_DEBOUNCE_MS = 300;

function TenantFilters({ params, onChange }: { params: TenantListParams; onChange: (change: Partial<TenantListParams>) => void }) {
  const [search, setSearch] = useState(params.search);
  const debounced = useDebouncedValue(search, SEARCH_DEBOUNCE_MS);
  useEffect(() => {
    if (debounced.trim() !== params.search) onChange({ search: debounced.trim() });
    // Only a settled change of the box reaches the URL (and the API); not every keystroke.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);
  // Clearing the filters (or going back) changes the URL: the box follows.
  const [shown, setShown] = useState(params.search);
  if (shown !== params.search) {
    setShown(params.search);
    if (search.trim() !== params.search) setSearch(params.search);
  }
  return (
    <div className="toolbar" role="search" aria-label="Filter tenants">
      <div className="toolbar-actions table-filters">
        <input
          type="search"
          className="input"
          aria-label="Search tenants"
          placeholder="Search name, schema or domain"
          maxLength={queryLimits.platform_tenants_list.search.maxLength}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select
          className="input"
          aria-label="Last run status"
          value={params.status}
          onChange={(e) => onChange({ status: e.target.value as TenantStatusFilter | '' })}
        >
          <option value="">Any last run</option>
          {Object.entries(TENANT_STATUS_FILTER_LABEL).map(([status, label]) => (
            <option key={status} value={status}>
              {label}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

type SortField = 'name' | 'created_at' | 'next_run_at' | 'last_run';

function SortableHeader({
  label,
  field,
  params,
  onSort,
  className,
}: {
  label: ReactNode;
  field: SortField;
  params: TenantListParams;
  onSort: (ordering: TenantOrdering) => void;
  className?: string;
}) {
  const direction = params.ordering === field ? 'ascending' : params.ordering === `-${field}` ? 'descending' : 'none';
  const next: TenantOrdering = direction === 'ascending' ? `-${field}` : field;
  return (
    <th scope="col" className={className} aria-sort={direction}>
      <button type="button" className="sort-button" onClick={() => onSort(next)}>
        {label}
        <span aria-hidden="true" className="sort-indicator">
          {direction === 'ascending' ? ' ▲' : direction === 'descending' ? ' ▼' : ''}
        </span>
      </button>
    </th>
  );
}

const SKIP_REASON: Record<string, string> = {
  already_running: 'a cleanup is already running',
  inactive: 'the tenant is inactive',
  not_found: 'no such tenant',
  queue_unavailable: 'the task queue is unavailable',
};

/** A trigger-all may answer for thousands of tenants: the result names this many of each kind. */
const RESULTS_SHOWN = 20;

function TriggerResult({ result, onDismiss }: { result: PlatformTriggerResponse; onDismiss: () => void }) {
  // The handle's first page lists the same runs in the same order, with their reports as the
  // workers create them.
  const trigger = useTrigger(result.trigger_id, RESULTS_SHOWN);
  const followed = new Map((trigger.data?.results ?? []).map((r) => [r.tenant, r]));
  const runs = result.runs.slice(0, RESULTS_SHOWN);
  const skipped = result.skipped.slice(0, RESULTS_SHOWN);
  const more = result.runs.length - runs.length + result.skipped.length - skipped.length;
  return (
    <Alert
      tone={result.skipped.length && !result.runs.length ? 'warning' : 'success'}
      title={`Queued ${result.runs.length} run${result.runs.length === 1 ? '' : 's'}${result.skipped.length ? `, skipped ${result.skipped.length}` : ''}`}
      action={
        <Button size="sm" variant="ghost" onClick={onDismiss} aria-label="Dismiss">
          ✕
        </Button>
      }
    >
      <ul className="result-list" aria-label="Trigger results">
        {runs.map((r) => {
          const run = followed.get(r.tenant);
          return (
            <li key={`run-${r.tenant}`}>
              {run && run.status !== 'withdrawn' ? (
                <StatusBadge status={run.status} />
              ) : run ? (
                <Badge tone="warning">withdrawn</Badge>
              ) : (
                <Badge tone="success">queued</Badge>
              )}{' '}
              <Link to={`/tenants/${r.tenant}`}>{r.tenant}</Link>
              {run?.report_id != null && <span className="muted"> · report {run.report_id}</span>}
            </li>
          );
        })}
        {skipped.map((s) => (
          <li key={`skip-${s.tenant}`}>
            <Badge tone="warning">skipped</Badge> {s.tenant} — {SKIP_REASON[s.reason] ?? s.reason}
          </li>
        ))}
        {more > 0 && <li className="muted">… and {formatNumber(more)} more</li>}
      </ul>
    </Alert>
  );
}
