import { createContext, useContext, type ReactNode } from 'react';

/**
 * Which console this host serves, as the server says (core/spa.py): the
 * operators' console on the root host, a tenant's console on any of that
 * tenant's domains. Never derived from the host name: only the server knows
 * that `console.example.com` is the root and `acme-corp.test` is tenant acme.
 */
export interface HostConfig {
  console: 'platform' | 'tenant';
  /** The tenant this host belongs to; null on the operators' console. */
  tenant: { schema_name: string; name: string } | null;
  /** New tenants get `<schema>.<base_domain>` unless given a domain. */
  base_domain: string;
}

/** The `<meta name>` Django renders into index.html (core/spa.py: HOST_META). */
export const HOST_META = 'cleanup-console-host';
/** The same config as JSON, for the Vite dev server, whose index.html Django does not render. */
export const HOST_URL = '/api/host/';

function isHostConfig(value: unknown): value is HostConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.base_domain !== 'string') return false;
  if (v.console === 'platform') return v.tenant === null;
  if (v.console !== 'tenant' || typeof v.tenant !== 'object' || v.tenant === null) return false;
  const t = v.tenant as Record<string, unknown>;
  return typeof t.schema_name === 'string' && typeof t.name === 'string';
}

/** The config Django injected into this page, or null when there is none (dev server). */
export function readHostMeta(doc: Document = document): HostConfig | null {
  const content = doc.querySelector(`meta[name="${HOST_META}"]`)?.getAttribute('content');
  if (!content) return null;
  try {
    const parsed: unknown = JSON.parse(content);
    return isHostConfig(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/**
 * The page's injected config; without one (the Vite dev server serves its own
 * index.html), ask the backend the dev server proxies /api to.
 */
export async function loadHostConfig(doc: Document = document): Promise<HostConfig> {
  const injected = readHostMeta(doc);
  if (injected) return injected;
  const response = await fetch(HOST_URL, { headers: { Accept: 'application/json' } });
  const body: unknown = response.ok ? await response.json() : null;
  if (!isHostConfig(body)) throw new Error(`${HOST_URL} answered ${response.status} without a console config`);
  return body;
}

const HostContext = createContext<HostConfig | null>(null);

export function HostProvider({ value, children }: { value: HostConfig; children: ReactNode }) {
  return <HostContext.Provider value={value}>{children}</HostContext.Provider>;
}

export function useHost(): HostConfig {
  const host = useContext(HostContext);
  if (!host) throw new Error('useHost must be used inside <HostProvider>');
  return host;
}

/** First element of every query key, so one tenant's cache never serves another. */
export function useScope(): string {
  return useHost().tenant?.schema_name ?? 'public';
}
