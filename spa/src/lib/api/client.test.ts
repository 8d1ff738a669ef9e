import { http, HttpResponse } from 'msw';
import { readTokens, writeTokens } from '@/lib/auth-tokens';
import { server } from '@/testing/server';
import { api, onSessionExpired, requestBlob } from './client';
import { ApiError } from './errors';

describe('api client', () => {
  it('sends the access token and parses JSON', async () => {
    writeTokens({ access: 'a1', refresh: 'r1' });
    server.use(http.get('/api/thing/', ({ request }) => HttpResponse.json({ auth: request.headers.get('Authorization') })));
    await expect(api.get('/api/thing/')).resolves.toEqual({ auth: 'Bearer a1' });
  });

  it('shares one refresh between concurrent 401s (refresh tokens rotate)', async () => {
    writeTokens({ access: 'old', refresh: 'r1' });
    let refreshes = 0;
    server.use(
      http.get('/api/thing/:n/', ({ request, params }) =>
        request.headers.get('Authorization') === 'Bearer new' ? HttpResponse.json({ n: params.n }) : HttpResponse.json({ detail: 'expired' }, { status: 401 }),
      ),
      http.post('/api/auth/token/refresh/', async ({ request }) => {
        refreshes += 1;
        const body = (await request.json()) as { refresh: string };
        return body.refresh === 'r1' ? HttpResponse.json({ access: 'new', refresh: 'r2' }) : HttpResponse.json({ detail: 'blacklisted' }, { status: 401 });
      }),
    );
    const results = await Promise.all([api.get('/api/thing/1/'), api.get('/api/thing/2/'), api.get('/api/thing/3/')]);
    expect(results).toEqual([{ n: '1' }, { n: '2' }, { n: '3' }]);
    expect(refreshes).toBe(1);
    expect(readTokens()).toEqual({ access: 'new', refresh: 'r2' });
  });

  it('clears the tokens and announces the expiry when the refresh fails', async () => {
    writeTokens({ access: 'old', refresh: 'r-old' });
    const expired = vi.fn();
    const stop = onSessionExpired(expired);
    server.use(
      http.get('/api/thing/', () => HttpResponse.json({ detail: 'expired' }, { status: 401 })),
      http.post('/api/auth/token/refresh/', () => HttpResponse.json({ detail: 'blacklisted' }, { status: 401 })),
    );
    const error = await api.get('/api/thing/').catch((e: unknown) => e);
    stop();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(readTokens()).toBeNull();
  });

  it('turns field errors and network failures into ApiError', async () => {
    writeTokens({ access: 'a', refresh: 'r' });
    server.use(
      http.put('/api/cleanup/policy/', () => HttpResponse.json({ schedule: ['Invalid cron.'] }, { status: 400 })),
      http.get('/api/down/', () => HttpResponse.error()),
    );
    const invalid = (await api.put('/api/cleanup/policy/', {}).catch((e: unknown) => e)) as ApiError;
    expect(invalid.fieldErrors).toEqual({ schedule: ['Invalid cron.'] });
    const down = (await api.get('/api/down/').catch((e: unknown) => e)) as ApiError;
    expect(down.status).toBe(0);
    expect(down.message).toMatch(/could not reach the server/i);
  });

  it('downloads with the auth header and the server-given filename', async () => {
    writeTokens({ access: 'a', refresh: 'r' });
    server.use(
      http.get('/api/reports/7/users/', ({ request }) =>
        request.headers.get('Authorization') === 'Bearer a' && new URL(request.url).searchParams.get('format') === 'csv'
          ? new HttpResponse('user_id,username\n', {
              headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="cleanup-7-users.csv"' },
            })
          : HttpResponse.json({ detail: 'no' }, { status: 400 }),
      ),
    );
    const { blob, filename } = await requestBlob('/api/reports/7/users/', { query: { format: 'csv' } });
    expect(filename).toBe('cleanup-7-users.csv');
    expect(await blob.text()).toBe('user_id,username\n');
  });
});
