/**
 * The one API client. It adds the access token, refreshes once on 401 and
 * retries, and turns every failure into an ApiError with a readable message.
 * When the session cannot be refreshed it clears the tokens and announces the
 * expiry; the app sends the person back to /login with a message.
 */
import { clearTokens, readTokens, writeTokens } from '../auth-tokens';
import { ApiError, NETWORK_ERROR_STATUS } from './errors';
import type { TokenPair } from './types';

type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** false for the token endpoints themselves: no header, no refresh. */
  auth?: boolean;
  signal?: AbortSignal;
}

type SessionListener = () => void;
const sessionListeners = new Set<SessionListener>();

export function onSessionExpired(listener: SessionListener): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function expireSession(): void {
  clearTokens();
  sessionListeners.forEach((l) => l());
}

export function apiUrl(path: string, query?: Query): string {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url.toString();
}

async function send(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.auth !== false) {
    const tokens = readTokens();
    if (tokens) headers.Authorization = `Bearer ${tokens.access}`;
  }
  try {
    return await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(NETWORK_ERROR_STATUS, null);
  }
}

// Refresh tokens rotate (the old one is blacklisted), so concurrent 401s must
// share one refresh call instead of racing each other with the same token.
let refreshInFlight: Promise<boolean> | null = null;

function refreshSession(): Promise<boolean> {
  refreshInFlight ??= (async () => {
    const tokens = readTokens();
    if (!tokens) return false;
    try {
      const response = await send('/api/auth/token/refresh/', { method: 'POST', body: { refresh: tokens.refresh }, auth: false }, 'application/json');
      if (!response.ok) return false;
      const next = (await response.json()) as Partial<TokenPair>;
      if (typeof next.access !== 'string') return false;
      writeTokens({ access: next.access, refresh: next.refresh ?? tokens.refresh });
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

async function authorized(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const hadTokens = readTokens() !== null;
  let response = await send(path, options, accept);
  if (response.status === 401 && options.auth !== false) {
    if (hadTokens && (await refreshSession())) {
      response = await send(path, options, accept);
      if (response.status !== 401) return response;
    }
    expireSession();
    throw new ApiError(401, await readBody(response), 'Your session expired, please log in again.');
  }
  return response;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await authorized(path, options, 'application/json');
  if (!response.ok) throw new ApiError(response.status, await readBody(response));
  if (response.status === 204 || response.status === 205) return undefined as T;
  return (await readBody(response)) as T;
}

/** For downloads that need the Authorization header (e.g. the audit CSV). */
export async function requestBlob(path: string, options: RequestOptions = {}): Promise<{ blob: Blob; filename: string | null }> {
  const response = await authorized(path, options, 'text/csv, */*');
  if (!response.ok) throw new ApiError(response.status, await readBody(response));
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  return { blob: await response.blob(), filename: match?.[1] ? decodeURIComponent(match[1]) : null };
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'POST', body: body ?? {} }),
  put: <T>(path: string, body: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body }),
  delete: (path: string) => request<undefined>(path, { method: 'DELETE' }),
};
