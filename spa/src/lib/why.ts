/**
 * Why a user matched, in plain words, from what the server says (`last_active_at`,
 * `last_active_source`, `date_joined`): "last active 14 Mar 2026 through sso", "never active
 * since joining 2 Jan 2026". The server decides; this only words it.
 */

const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function formatDay(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '—' : day.format(date);
}

/** The console's own sources in words; a signal's source (`sso`, `app`...) is shown as sent. */
const SOURCE_WORDS: Record<string, string> = {
  login: 'sign-in',
  api: 'API',
  keep_link: 'keep link',
  reactivated: 'reactivation',
};

export function sourceWords(source: string): string {
  return SOURCE_WORDS[source] ?? source;
}

export interface WhyFields {
  last_active_at: string | null;
  last_active_source: string | null;
  date_joined: string;
}

export function whyText(user: WhyFields): string {
  if (!user.last_active_at) return `never active since joining ${formatDay(user.date_joined)}`;
  const through = user.last_active_source ? ` through ${sourceWords(user.last_active_source)}` : '';
  return `last active ${formatDay(user.last_active_at)}${through}`;
}

/** Each source's latest time, e.g. "sso 12 Mar 2026 · vpn 2 Jan 2026". */
export function activityText(activity: readonly { source: string; at: string }[]): string {
  return activity.map((a) => `${sourceWords(a.source)} ${formatDay(a.at)}`).join(' · ');
}
