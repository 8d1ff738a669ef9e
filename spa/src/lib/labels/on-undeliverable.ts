import type { OnUndeliverable } from '../api/types';

/**
 * What a run does with a user whose address refused their warning email: as the policy
 * editor offers it (`title`, `text`), as a report says it (`outcome`), and as a value in the
 * activity log (`value`).
 */
export const ON_UNDELIVERABLE_LABEL: Record<OnUndeliverable, { title: string; text: string; outcome: string; value: string }> = {
  hold: {
    title: 'Keep them until the address is fixed',
    text: 'Nobody is removed without being told. They are listed on the report and in a digest email to the admins; fix the address and the next run warns them again.',
    outcome: 'Held: not removed until their address is fixed',
    value: 'hold',
  },
  proceed: {
    title: 'Remove them anyway',
    text: 'They are removed when due, as users without an email address are: without a warning.',
    outcome: 'Removed without a warning (the policy says proceed)',
    value: 'proceed',
  },
};
