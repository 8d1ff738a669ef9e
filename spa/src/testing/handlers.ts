import { http, HttpResponse } from 'msw';
import type { HostConfig } from '@/lib/host';
import { ROLE_SCOPES } from '@/lib/labels/token';
import type {
  ActivityEvent,
  ApiToken,
  ApiTokenInput,
  AuditEntry,
  Delivery,
  Exemption,
  ExemptionInput,
  FleetSummary,
  Me,
  Notice,
  Paginated,
  PlatformTenant,
  Policy,
  Report,
  ServiceAccount,
  ServiceAccountInput,
  UndoPreview,
  WebhookEndpoint,
  WebhookEndpointChange,
  WebhookEndpointInput,
} from '@/lib/api/types';
import {
  acmeHost,
  makeApiToken,
  makeAuditEntry,
  makeDelivery,
  makeEndpoint,
  makeExemption,
  makeFleetSummary,
  makePolicy,
  makePreview,
  makeReport,
  makeServiceAccount,
  makeTenant,
  makeUndoPreview,
  tenantAdmin,
} from './fixtures';

/** Mutable in-memory backend that the default handlers read; reset after each test. */
export const db = {
  host: acmeHost as HostConfig,
  me: tenantAdmin as Me,
  reports: [] as Report[],
  policy: makePolicy() as Policy,
  tenants: [] as PlatformTenant[],
  exemptions: [] as Exemption[],
  activity: [] as ActivityEvent[],
  /** The tenant's users, by username, that an exemption may name. */
  usernames: [] as string[],
  /** The audit list every run answers with. */
  audit: [] as AuditEntry[],
  /** Whom every run warned (its notices). */
  notices: [] as Notice[],
  undoPreview: makeUndoPreview() as UndoPreview,
  summary: makeFleetSummary() as FleetSummary,
  /** Every token of the tenant (or the root host); the list answers the caller's, as the server does. */
  tokens: [] as ApiToken[],
  serviceAccounts: [] as ServiceAccount[],
  webhooks: [] as WebhookEndpoint[],
  /** Each endpoint's deliveries, newest first. */
  deliveries: {} as Record<number, Delivery[]>,
  /** How many secrets were handed out: each answer's secret is a new one. */
  secrets: 0,
};

export function resetDb(): void {
  db.host = acmeHost;
  db.me = tenantAdmin;
  db.reports = [3, 2, 1].map((id) => makeReport({ id }));
  db.policy = makePolicy();
  db.tenants = [makeTenant('acme'), makeTenant('globex', { last_report: null })];
  db.exemptions = [];
  db.activity = [];
  db.usernames = ['ceo', 'sleepy', 'member'];
  db.audit = Array.from({ length: 25 }, (_, i) => makeAuditEntry(i + 1));
  db.notices = [];
  db.undoPreview = makeUndoPreview();
  db.summary = makeFleetSummary();
  db.tokens = [];
  db.serviceAccounts = [];
  db.webhooks = [];
  db.deliveries = {};
  db.secrets = 0;
}

const NOW_ISO = '2025-06-01T12:00:00.000Z';

/** The run, or the 404/409 the server would answer instead. */
function awaitingReport(id: unknown): Report | Response {
  const report = db.reports.find((r) => r.id === Number(id));
  if (!report) return HttpResponse.json({ detail: 'No such report.' }, { status: 404 });
  if (report.status !== 'awaiting_approval') {
    return HttpResponse.json({ detail: `Run #${report.id} is not awaiting approval (it is ${report.status}).`, status: report.status }, { status: 409 });
  }
  return report;
}

/** A report as the server serves it to the signed-in user: only a tenant admin is offered undo or an answer. */
function served(report: Report): Report {
  return db.me.role === 'admin' ? report : { ...report, can_undo: false, can_approve: false };
}

const servedPage = (request: Request, path: string) => {
  const page = paginate(db.reports, pageOf(request), path);
  return { ...page, results: page.results.map(served) };
};

function replaceReport(report: Report): Report {
  db.reports = db.reports.map((r) => (r.id === report.id ? report : r));
  return report;
}
resetDb();

/** The server's URL checks, as far as the tests need them: https only, and no address inside. */
function webhookErrors(body: { url: string; events: WebhookEndpointInput['events'] }): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const host = /^https?:\/\/([^/:]+)/i.exec(body.url)?.[1] ?? '';
  if (!/^https:\/\//i.test(body.url)) errors.url = ['Only https:// URLs are allowed.'];
  else if (/^(127\.|10\.|192\.168\.|169\.254\.)/.test(host))
    errors.url = [`${host} is a private or loopback address: a webhook may only go to a public address.`];
  if (!body.events.length) errors.events = ['Pick at least one event type, or "*" for all.'];
  return errors;
}

function findEndpoint(id: unknown): WebhookEndpoint | Response {
  return db.webhooks.find((e) => e.id === Number(id)) ?? HttpResponse.json({ detail: 'No such webhook endpoint.' }, { status: 404 });
}

function enabledEndpoint(id: unknown): WebhookEndpoint | Response {
  const endpoint = findEndpoint(id);
  if (endpoint instanceof Response || endpoint.enabled) return endpoint;
  return HttpResponse.json({ detail: 'This endpoint is disabled; enable it first.' }, { status: 409 });
}

function newSecret(): string {
  db.secrets += 1;
  return `whsec_c2VjcmV0LW51bWJlci0${db.secrets}`;
}

/** A new pending delivery, as a test or a replay queues it: first in the endpoint's log. */
function queueDelivery(endpointId: number, type: string, eventId: string): { delivery_id: number; event_id: string } {
  const all = Object.values(db.deliveries).flat();
  const id = Math.max(0, ...all.map((d) => d.id)) + 1;
  const delivery = makeDelivery(id, {
    type,
    event_id: eventId,
    status: 'pending',
    attempts: 0,
    last_status_code: null,
    last_duration_ms: null,
    response_excerpt: '',
    delivered_at: null,
    created_at: NOW_ISO,
    attempt_log: [],
  });
  db.deliveries[endpointId] = [delivery, ...(db.deliveries[endpointId] ?? [])];
  return { delivery_id: id, event_id: eventId };
}

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

/**
 * The server's role check (core/api.py), before any tenant endpoint: the tenant-admin
 * role may call everything, the auditor role only reads (the preview, a POST, is one),
 * anyone else nothing. Undefined lets the request through to its handler.
 */
function roleRefusal(request: Request): Response | undefined {
  const path = new URL(request.url).pathname;
  // Anyone may hold tokens (their scopes are what the role allows): the handlers check.
  if (db.me.role === 'operator' || /^\/api\/(auth|me|host|platform|tokens)\//.test(path)) return undefined;
  const reads = request.method === 'GET' || path === '/api/cleanup/preview/';
  if (db.me.role === 'admin' || (db.me.role === 'auditor' && reads)) return undefined;
  const detail =
    db.me.role === 'auditor'
      ? 'The auditor role may only read; this needs the tenant-admin role.'
      : reads
        ? 'This needs the tenant-admin or auditor role.'
        : 'This needs the tenant-admin role.';
  return HttpResponse.json({ detail }, { status: 403 });
}

export const handlers = [
  http.all('/api/*', ({ request }) => roleRefusal(request)),
  http.get('/api/host/', () => HttpResponse.json(db.host)),
  http.post('/api/auth/token/', () => HttpResponse.json({ access: 'access-1', refresh: 'refresh-1' })),
  http.post('/api/auth/token/refresh/', () => HttpResponse.json({ access: 'access-2', refresh: 'refresh-2' })),
  http.post('/api/auth/logout/', () => new HttpResponse(null, { status: 205 })),
  http.get('/api/me/', () => HttpResponse.json(db.me)),

  http.get('/api/reports/latest/', () =>
    db.reports[0] ? HttpResponse.json(served(db.reports[0])) : HttpResponse.json({ detail: 'No cleanup has run yet.' }, { status: 404 }),
  ),
  http.get('/api/reports/', ({ request }) => HttpResponse.json(servedPage(request, '/api/reports/'))),
  http.get('/api/reports/:id/', ({ params }) => {
    const report = db.reports.find((r) => r.id === Number(params.id));
    return report ? HttpResponse.json(served(report)) : HttpResponse.json({ detail: 'Not found.' }, { status: 404 });
  }),
  http.get('/api/reports/:id/users/', ({ request }) => HttpResponse.json(paginate(db.audit, pageOf(request), '/api/reports/1/users/'))),
  http.get('/api/reports/:id/notices/', ({ request }) => HttpResponse.json(paginate(db.notices, pageOf(request), '/api/reports/1/notices/'))),
  http.post('/api/reports/:id/approve/', ({ params }) => {
    const found = awaitingReport(params.id);
    if (found instanceof Response) return found;
    const report = replaceReport({
      ...found,
      status: 'queued',
      can_approve: false,
      approved_by: db.me.username,
      approved_at: NOW_ISO,
      removal_limit: found.users_removed,
    });
    return HttpResponse.json(report, { status: 202 });
  }),
  http.post('/api/reports/:id/reject/', ({ params }) => {
    const found = awaitingReport(params.id);
    if (found instanceof Response) return found;
    const report = replaceReport({
      ...found,
      status: 'aborted',
      can_approve: false,
      finished_at: NOW_ISO,
      error: `Rejected by ${db.me.username}. Nobody was removed.`,
    });
    return HttpResponse.json(report);
  }),
  http.get('/api/reports/:id/undo/', () => HttpResponse.json(db.undoPreview)),
  http.post('/api/reports/:id/undo/', () => {
    const { reactivate, ...rest } = db.undoPreview;
    db.undoPreview = { ...rest, reactivate: 0, already_active: rest.already_active + reactivate };
    return HttpResponse.json({ reactivated: reactivate, ...rest });
  }),
  http.post('/api/reports/:id/users/:userId/reactivate/', ({ params }) => {
    const entry = db.audit.find((u) => u.user_id === Number(params.userId));
    if (!entry) return HttpResponse.json({ detail: 'This run did not remove that user.' }, { status: 404 });
    if (entry.action === 'deleted') return HttpResponse.json({ detail: `${entry.username}'s account was deleted by this run.` }, { status: 409 });
    const restored = { ...entry, restored_at: NOW_ISO, restored_by: db.me.username };
    db.audit = db.audit.map((u) => (u.user_id === entry.user_id ? restored : u));
    return HttpResponse.json({ user_id: entry.user_id, username: entry.username, restored_at: NOW_ISO });
  }),

  http.get('/api/cleanup/policy/', () => HttpResponse.json(db.policy)),
  http.put('/api/cleanup/policy/', async ({ request }) => {
    db.policy = { ...db.policy, ...((await request.json()) as Partial<Policy>) };
    return HttpResponse.json(db.policy);
  }),
  http.post('/api/cleanup/preview/', () => HttpResponse.json(makePreview())),
  http.post('/api/cleanup/policy/test-notice/', () => HttpResponse.json({ to: 'alice@acme.test' }, { status: 202 })),
  http.post('/api/cleanup/trigger/', () => {
    const report = makeReport({
      id: 100,
      status: 'queued',
      progress: 0,
      started_at: null,
      finished_at: null,
      users_removed: 0,
      users_deactivated: 0,
      users_warned: 0,
      users_matched: 0,
      trigger: 'manual',
      triggered_by: 'admin',
      dry_run: true,
    });
    db.reports.unshift(report);
    return HttpResponse.json({ report_id: report.id, task_id: 'task-100', status: 'queued' }, { status: 202 });
  }),

  http.get('/api/exemptions/', ({ request }) => HttpResponse.json(paginate(db.exemptions, pageOf(request), '/api/exemptions/'))),
  http.post('/api/exemptions/', async ({ request }) => {
    const body = (await request.json()) as ExemptionInput;
    const errors: Record<string, string[]> = {};
    if (!db.usernames.includes(body.username)) errors.username = ['No user with this username in this tenant.'];
    else if (db.exemptions.some((e) => e.username === body.username && !e.expired))
      errors.username = [`'${body.username}' is already exempt; remove that exemption first.`];
    if (!body.reason.trim()) errors.reason = ['Say why this user must not be removed.'];
    if (body.expires_at && Date.parse(body.expires_at) <= Date.now()) errors.expires_at = ['Must be in the future (leave it out for no expiry).'];
    if (Object.keys(errors).length) return HttpResponse.json(errors, { status: 400 });
    const id = Math.max(0, ...db.exemptions.map((e) => e.id)) + 1;
    const exemption = makeExemption(id, {
      username: body.username,
      reason: body.reason.trim(),
      expires_at: body.expires_at ?? null,
      created_at: new Date().toISOString(),
    });
    db.exemptions.unshift(exemption);
    db.activity.unshift({
      id: 1000 + id,
      at: new Date().toISOString(),
      actor: db.me.username,
      verb: 'exemption.created',
      target: body.username,
      data: { exemption_id: id, reason: exemption.reason, expires_at: exemption.expires_at },
    });
    return HttpResponse.json(exemption, { status: 201 });
  }),
  http.delete('/api/exemptions/:id/', ({ params }) => {
    const exemption = db.exemptions.find((e) => e.id === Number(params.id));
    if (!exemption) return HttpResponse.json({ detail: 'No such exemption.' }, { status: 404 });
    db.exemptions = db.exemptions.filter((e) => e !== exemption);
    return new HttpResponse(null, { status: 204 });
  }),
  http.get('/api/tokens/', ({ request }) => {
    // A tenant admin sees the service accounts' tokens too.
    const mine = db.tokens.filter((t) => t.owner === db.me.username || (db.me.role === 'admin' && t.owner_kind === 'service'));
    return HttpResponse.json(paginate(mine, pageOf(request), '/api/tokens/'));
  }),
  http.post('/api/tokens/', async ({ request }) => {
    const body = (await request.json()) as ApiTokenInput;
    const errors: Record<string, string[]> = {};
    const account = body.owner === undefined ? undefined : db.serviceAccounts.find((a) => a.username === body.owner);
    if (!body.name?.trim()) errors.name = ['This field may not be blank.'];
    if (body.owner !== undefined && !account) errors.owner = [`No service account '${body.owner}' in this tenant.`];
    const role = account ? account.role : db.me.role;
    const allowed: readonly string[] = role ? ROLE_SCOPES[role] : [];
    const refused = (body.scopes ?? []).filter((s) => !allowed.includes(s));
    if (!body.scopes?.length) errors.scopes = ['This list may not be empty.'];
    else if (refused.length) errors.scopes = [`Not allowed to a token of ${account?.username ?? db.me.username}: ${refused.join(', ')}.`];
    const maxDays = db.me.role === 'operator' ? 366 : db.policy.token_max_days;
    const days = body.expires_in_days ?? 90;
    if (!(days >= 1 && days <= maxDays)) errors.expires_in_days = [`Must be from 1 to ${maxDays} (this tenant's token_max_days).`];
    if (Object.keys(errors).length) return HttpResponse.json(errors, { status: 400 });
    const id = Math.max(0, ...db.tokens.map((t) => t.id)) + 1;
    const token = makeApiToken(id, {
      name: body.name.trim(),
      prefix: `new${String(id).padStart(5, '0')}`,
      owner: account?.username ?? db.me.username,
      owner_kind: account ? 'service' : 'person',
      scopes: body.scopes,
      created_at: NOW_ISO,
      created_by: db.me.username,
      expires_at: new Date(Date.parse(NOW_ISO) + days * 24 * 3600_000).toISOString(),
    });
    db.tokens.unshift(token);
    return HttpResponse.json({ ...token, token: `cc_${token.prefix}_s3cretS3cretS3cret${id}` }, { status: 201 });
  }),
  http.delete('/api/tokens/:id/', ({ params }) => {
    const token = db.tokens.find((t) => t.id === Number(params.id));
    if (!token) return HttpResponse.json({ detail: 'No such token.' }, { status: 404 });
    db.tokens = db.tokens.map((t) => (t === token ? { ...t, status: 'revoked', revoked_at: NOW_ISO, revoked_reason: 'owner' } : t));
    return new HttpResponse(null, { status: 204 });
  }),
  http.get('/api/service-accounts/', ({ request }) => HttpResponse.json(paginate(db.serviceAccounts, pageOf(request), '/api/service-accounts/'))),
  http.post('/api/service-accounts/', async ({ request }) => {
    const body = (await request.json()) as ServiceAccountInput;
    if (!/^[\w.@+-]+$/.test(body.username ?? '')) return HttpResponse.json({ username: ['Enter a valid username.'] }, { status: 400 });
    if (db.serviceAccounts.some((a) => a.username === body.username) || db.usernames.includes(body.username))
      return HttpResponse.json({ username: ['A user with that username already exists.'] }, { status: 400 });
    const account = makeServiceAccount(Math.max(100, ...db.serviceAccounts.map((a) => a.id)) + 1, {
      username: body.username,
      name: body.name ?? '',
      role: body.role ?? 'admin',
      date_joined: NOW_ISO,
    });
    db.serviceAccounts.push(account);
    return HttpResponse.json(account, { status: 201 });
  }),
  http.delete('/api/service-accounts/:username/', ({ params }) => {
    const account = db.serviceAccounts.find((a) => a.username === params.username);
    if (!account) return HttpResponse.json({ detail: 'No such service account.' }, { status: 404 });
    db.serviceAccounts = db.serviceAccounts.filter((a) => a !== account);
    db.tokens = db.tokens.filter((t) => t.owner !== account.username);
    return new HttpResponse(null, { status: 204 });
  }),
  http.get('/api/webhooks/', ({ request }) => HttpResponse.json(paginate(db.webhooks, pageOf(request), '/api/webhooks/'))),
  http.post('/api/webhooks/', async ({ request }) => {
    const body = (await request.json()) as WebhookEndpointInput;
    const errors = webhookErrors(body);
    if (Object.keys(errors).length) return HttpResponse.json(errors, { status: 400 });
    const id = Math.max(0, ...db.webhooks.map((e) => e.id)) + 1;
    const endpoint = makeEndpoint(id, { url: body.url, events: body.events, description: body.description ?? '', created_at: NOW_ISO });
    db.webhooks.push(endpoint);
    db.deliveries[id] = [];
    return HttpResponse.json({ ...endpoint, secret: newSecret() }, { status: 201 });
  }),
  http.get('/api/webhooks/:id/', ({ params }) => {
    const endpoint = findEndpoint(params.id);
    return endpoint instanceof Response ? endpoint : HttpResponse.json(endpoint);
  }),
  http.patch('/api/webhooks/:id/', async ({ params, request }) => {
    const endpoint = findEndpoint(params.id);
    if (endpoint instanceof Response) return endpoint;
    const body = (await request.json()) as WebhookEndpointChange;
    const errors = webhookErrors({ url: body.url ?? endpoint.url, events: body.events ?? endpoint.events });
    if (Object.keys(errors).length) return HttpResponse.json(errors, { status: 400 });
    const { enabled, ...rest } = body;
    const changed: WebhookEndpoint = {
      ...endpoint,
      ...rest,
      ...(enabled === undefined
        ? {}
        : enabled
          ? { enabled: true, disabled_reason: '', failing_since: null }
          : { enabled: false, disabled_reason: `Disabled by ${db.me.username}.` }),
    };
    db.webhooks = db.webhooks.map((e) => (e.id === changed.id ? changed : e));
    return HttpResponse.json(changed);
  }),
  http.delete('/api/webhooks/:id/', ({ params }) => {
    const endpoint = findEndpoint(params.id);
    if (endpoint instanceof Response) return endpoint;
    db.webhooks = db.webhooks.filter((e) => e !== endpoint);
    return new HttpResponse(null, { status: 204 });
  }),
  http.post('/api/webhooks/:id/test/', ({ params }) => {
    const endpoint = enabledEndpoint(params.id);
    if (endpoint instanceof Response) return endpoint;
    return HttpResponse.json(queueDelivery(endpoint.id, 'test', `msg_test${db.secrets}`), { status: 202 });
  }),
  http.get('/api/webhooks/:id/deliveries/', ({ params, request }) =>
    HttpResponse.json(paginate(db.deliveries[Number(params.id)] ?? [], pageOf(request), `/api/webhooks/${String(params.id)}/deliveries/`)),
  ),
  http.post('/api/webhooks/:id/deliveries/:deliveryId/replay/', ({ params }) => {
    const endpoint = enabledEndpoint(params.id);
    if (endpoint instanceof Response) return endpoint;
    const original = (db.deliveries[endpoint.id] ?? []).find((d) => d.id === Number(params.deliveryId));
    if (!original) return HttpResponse.json({ detail: 'No such delivery.' }, { status: 404 });
    return HttpResponse.json(queueDelivery(endpoint.id, original.type, original.event_id), { status: 202 });
  }),
  http.post('/api/webhooks/:id/rotate-secret/', ({ params }) => {
    const endpoint = findEndpoint(params.id);
    if (endpoint instanceof Response) return endpoint;
    const ends = '2025-06-02T12:00:00.000Z';
    db.webhooks = db.webhooks.map((e) => (e.id === endpoint.id ? { ...e, secret_rotation_ends_at: ends } : e));
    return HttpResponse.json({ secret: newSecret(), secret_rotation_ends_at: ends });
  }),
  http.get('/api/activity/', ({ request }) => HttpResponse.json(paginate(db.activity, pageOf(request), '/api/activity/'))),

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
  http.get('/api/platform/tenants/:schema/reports/', ({ request }) => HttpResponse.json(servedPage(request, '/api/platform/tenants/x/reports/'))),
  http.post('/api/platform/cleanup/trigger/', async ({ request }) => {
    const body = (await request.json()) as { tenants?: string[] };
    const targets = body.tenants ?? db.tenants.map((t) => t.schema_name);
    return HttpResponse.json({ trigger_id: 1, runs: targets.map((tenant) => ({ tenant })), skipped: [] }, { status: 202 });
  }),
  http.get('/api/platform/summary/', () => HttpResponse.json(db.summary)),
  // A trigger's runs, as a worker has not taken any yet.
  http.get('/api/platform/triggers/:id/', ({ params }) =>
    HttpResponse.json({
      id: Number(params.id),
      created_at: '2026-01-01T00:00:00Z',
      created_by: 'operator',
      count: 0,
      next: null,
      previous: null,
      results: [],
    }),
  ),
];
