import { http, HttpResponse } from 'msw';
import type { HostConfig } from '@/lib/host';
import type { FleetSummary, Me, Paginated, PlatformTenant, Policy, Report } from '@/lib/api/types';
import { acmeHost, makeAuditEntry, makeFleetSummary, makePolicy, makePreview, makeReport, makeTenant, tenantAdmin } from './fixtures';

/** Mutable in-memory backend that the default handlers read; reset after each test. */
export const db = {
  host: acmeHost as HostConfig,
  me: tenantAdmin as Me,
  reports: [] as Report[],
  policy: makePolicy() as Policy,
  tenants: [] as PlatformTenant[],
  summary: makeFleetSummary() as FleetSummary,
};

export function resetDb(): void {
  db.host = acmeHost;
  db.me = tenantAdmin;
  db.reports = [3, 2, 1].map((id) => makeReport({ id }));
  db.policy = makePolicy();
  db.tenants = [makeTenant('acme'), makeTenant('globex', { last_report: null })];
  db.summary = makeFleetSummary();
}
resetDb();

export const PAGE_SIZE = 20;

export function paginate<T>(items: T[], page: number, path: string): Paginated<T> {
  const start = (page - 1) * PAGE_SIZE;
  return {
    count: items.length,
    next: start + PAGE_SIZE < items.length ? `http://localhost:3000${path}?page=${page + 1}` : null,
    previous: page > 1 ? `http://localhost:3000${path}?page=${page - 1}` : null,
    results: items.slice(start, start + PAGE_SIZE),
  };
}

const pageOf = (request: Request) => Number(new URL(request.url).searchParams.get('page') ?? '1');

export const handlers = [
  http.get('/api/host/', () => HttpResponse.json(db.host)),
  http.post('/api/auth/token/', () => HttpResponse.json({ access: 'access-1', refresh: 'refresh-1' })),
  http.post('/api/auth/token/refresh/', () => HttpResponse.json({ access: 'access-2', refresh: 'refresh-2' })),
  http.post('/api/auth/logout/', () => new HttpResponse(null, { status: 205 })),
  http.get('/api/me/', () => HttpResponse.json(db.me)),

  http.get('/api/reports/latest/', () =>
    db.reports[0] ? HttpResponse.json(db.reports[0]) : HttpResponse.json({ detail: 'No cleanup has run yet.' }, { status: 404 }),
  ),
  http.get('/api/reports/', ({ request }) => HttpResponse.json(paginate(db.reports, pageOf(request), '/api/reports/'))),
  http.get('/api/reports/:id/', ({ params }) => {
    const report = db.reports.find((r) => r.id === Number(params.id));
    return report ? HttpResponse.json(report) : HttpResponse.json({ detail: 'Not found.' }, { status: 404 });
  }),
  http.get('/api/reports/:id/users/', ({ request }) => {
    const users = Array.from({ length: 25 }, (_, i) => makeAuditEntry(i + 1));
    return HttpResponse.json(paginate(users, pageOf(request), '/api/reports/1/users/'));
  }),

  http.get('/api/cleanup/policy/', () => HttpResponse.json(db.policy)),
  http.put('/api/cleanup/policy/', async ({ request }) => {
    db.policy = { ...db.policy, ...((await request.json()) as Partial<Policy>) };
    return HttpResponse.json(db.policy);
  }),
  http.post('/api/cleanup/preview/', () => HttpResponse.json(makePreview())),
  http.post('/api/cleanup/trigger/', () => {
    const report = makeReport({
      id: 100,
      status: 'queued',
      progress: 0,
      started_at: null,
      finished_at: null,
      users_removed: 0,
      users_matched: 0,
      trigger: 'manual',
      triggered_by: 'admin',
      dry_run: true,
    });
    db.reports.unshift(report);
    return HttpResponse.json({ report_id: report.id, task_id: 'task-100', status: 'queued' }, { status: 202 });
  }),

  http.get('/api/platform/tenants/', ({ request }) => {
    const query = new URL(request.url).searchParams;
    const search = (query.get('search') ?? '').toLowerCase();
    const status = query.get('status') ?? '';
    const tenants = db.tenants.filter(
      (t) =>
        [t.name, t.schema_name, t.domain ?? ''].some((text) => text.toLowerCase().includes(search)) &&
        (!status || (status === 'never' ? t.last_report === null : t.last_report?.status === status)),
    );
    return HttpResponse.json(paginate(tenants, pageOf(request), '/api/platform/tenants/'));
  }),
  http.post('/api/platform/tenants/', async ({ request }) => {
    const body = (await request.json()) as { name: string; schema_name: string; domain?: string };
    const tenant = makeTenant(body.schema_name, { name: body.name, domain: body.domain ?? `${body.schema_name}.localhost`, last_report: null });
    db.tenants.push(tenant);
    return HttpResponse.json(tenant, { status: 201 });
  }),
  http.get('/api/platform/tenants/:schema/reports/', ({ request }) =>
    HttpResponse.json(paginate(db.reports, pageOf(request), '/api/platform/tenants/x/reports/')),
  ),
  http.post('/api/platform/cleanup/trigger/', async ({ request }) => {
    const body = (await request.json()) as { tenants?: string[] };
    const targets = body.tenants ?? db.tenants.map((t) => t.schema_name);
    return HttpResponse.json({ runs: targets.map((tenant) => ({ tenant })), skipped: [] }, { status: 202 });
  }),
  http.get('/api/platform/summary/', () => HttpResponse.json(db.summary)),
];
