/**
 * JWTs live in localStorage. Every tenant has its own subdomain, hence its own
 * origin and its own storage, so tokens never leak from one tenant to another.
 */
import type { TokenPair } from './api/types';

const KEY = 'cleanup-console.tokens';

type Listener = () => void;
const listeners = new Set<Listener>();

export function readTokens(): TokenPair | null {
  try {
    const raw = window.localStorage.getItem(KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && typeof (parsed as TokenPair).access === 'string' && typeof (parsed as TokenPair).refresh === 'string') {
      return parsed as TokenPair;
    }
    // Present but unreadable: keep it so the API client's refresh fails and
    // the person is sent back to login with an explanation.
    return { access: String(raw), refresh: String(raw) };
  } catch {
    return null;
  }
}

export function writeTokens(tokens: TokenPair): void {
  window.localStorage.setItem(KEY, JSON.stringify(tokens));
  listeners.forEach((l) => l());
}

export function clearTokens(): void {
  window.localStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function subscribeTokens(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const TOKENS_STORAGE_KEY = KEY;
