import { createContext, useContext, type ReactNode } from 'react';

/**
 * Which console this host serves. The root host (localhost, 127.0.0.1, the
 * bare domain) is the operators' console; `acme.localhost` or
 * `acme.example.com` is tenant `acme`.
 */
export interface HostInfo {
  hostname: string;
  /** The tenant named by the subdomain, or null on the root host. */
  tenant: string | null;
}

export function tenantFromHostname(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (!host || host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':')) return null;
  const labels = host.split('.');
  if (labels[labels.length - 1] === 'localhost') return labels.length >= 2 ? (labels[0] ?? null) : null;
  return labels.length >= 3 ? (labels[0] ?? null) : null;
}

export function hostInfo(hostname: string): HostInfo {
  return { hostname, tenant: tenantFromHostname(hostname) };
}

const HostContext = createContext<HostInfo>(hostInfo(typeof window === 'undefined' ? 'localhost' : window.location.hostname));

export function HostProvider({ value, children }: { value: HostInfo; children: ReactNode }) {
  return <HostContext.Provider value={value}>{children}</HostContext.Provider>;
}

export function useHost(): HostInfo {
  return useContext(HostContext);
}

/** First element of every query key, so one tenant's cache never serves another. */
export function useScope(): string {
  return useHost().tenant ?? 'public';
}
