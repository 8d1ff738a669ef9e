import type { OnCap } from '../api/types';

/**
 * What a run over the safety cap does: as the policy editor offers it (`title`, `text`),
 * as the schedule card says it (`does`), and as a value in the activity log (`value`).
 */
export const ON_CAP_LABEL: Record<OnCap, { title: string; text: string; does: string; value: string }> = {
  ask: {
    title: 'Ask an admin to approve',
    text: 'The run waits, removing nobody, until a tenant admin approves or rejects it.',
    does: 'Asks for approval',
    value: 'ask for approval',
  },
  abort: { title: 'Stop the run', text: 'The run ends at once and removes nobody.', does: 'Aborts', value: 'abort' },
};
