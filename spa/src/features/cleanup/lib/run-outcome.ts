import type { OnCap, Preview } from '@/lib/api/types';
import { formatNumber } from '@/lib/format';

/** What starting a run now will do, for the button that starts it. */
export interface RunOutcome {
  /** The button's words: what happens ("Warn 101 users", "Deactivate 12 users"). */
  label: string;
  /** It deactivates or deletes someone: the button is red. */
  removes: boolean;
}

const NOTHING: RunOutcome = { label: 'Run (changes nothing)', removes: false };

function users(n: number): string {
  return `${formatNumber(n)} ${n === 1 ? 'user' : 'users'}`;
}

function sentence(parts: string[]): string {
  const text = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * From the preview of the saved policy: a dry run, a run over the safety cap, and a run
 * that matches nobody change nothing (over the cap with on_cap "ask", the run waits for
 * an admin first); otherwise the stages that touch anyone, with their counts.
 */
export function runOutcome(preview: Preview, dryRun: boolean, onCap: OnCap): RunOutcome {
  if (dryRun) return NOTHING;
  if (preview.would_abort) return onCap === 'ask' ? { label: 'Run (waits for approval)', removes: false } : NOTHING;
  const parts = [
    preview.users_to_warn ? `warn ${users(preview.users_to_warn)}` : '',
    preview.users_to_deactivate ? `deactivate ${users(preview.users_to_deactivate)}` : '',
    preview.users_to_delete ? `delete ${users(preview.users_to_delete)}` : '',
  ].filter(Boolean);
  if (!parts.length) return NOTHING;
  return { label: sentence(parts), removes: preview.users_to_deactivate + preview.users_to_delete > 0 };
}
