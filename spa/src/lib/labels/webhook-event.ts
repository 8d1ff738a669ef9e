import type { WebhookEventType } from '../api/types';

/**
 * The event catalogue as the dashboard names it, in the order the filter lists it. Keyed by
 * the generated enum, so a type the server adds fails the type check here until it is named.
 */
export const WEBHOOK_EVENT_LABEL: Record<WebhookEventType, string> = {
  '*': 'All events',
  'run.started': 'Run started',
  'run.finished': 'Run finished',
  'run.awaiting_approval': 'Run awaiting approval',
  'run.approved': 'Run approved',
  'run.rejected': 'Run rejected',
  'run.undone': 'Run undone',
  'users.warned': 'Users warned',
  'users.deactivated': 'Users deactivated',
  'users.deleted': 'Users deleted',
  'user.kept': 'User kept their account',
  'user.reactivated': 'User reactivated',
  'policy.updated': 'Policy changed',
  'exemption.created': 'Exemption added',
  'exemption.deleted': 'Exemption removed',
  'token.revoked': 'API token revoked',
};

/** Every type an endpoint can pick one by one (`*` is the "All events" choice). */
export const WEBHOOK_EVENT_TYPES = (Object.keys(WEBHOOK_EVENT_LABEL) as WebhookEventType[]).filter((type) => type !== '*');

/** A delivery's type: a catalogue type or `test` ("send a test event"), which no endpoint subscribes to. */
export function deliveryTypeLabel(type: string): string {
  if (type === 'test') return 'Test event';
  return (WEBHOOK_EVENT_LABEL as Record<string, string>)[type] ?? type;
}
