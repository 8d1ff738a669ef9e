import { activityText, whyText, type WhyFields } from '@/lib/why';

/** Why a user matched, and their latest time per source beneath it. */
export function Why({ user }: { user: WhyFields & { activity: readonly { source: string; at: string }[] } }) {
  const sources = activityText(user.activity);
  return (
    <>
      <span>{whyText(user)}</span>
      {sources ? <span className="muted small block">{sources}</span> : null}
    </>
  );
}
