import type { WebhookEventType } from '@/lib/api/types';
import { WEBHOOK_EVENT_LABEL } from '@/lib/labels/webhook-event';

/** What the API is sent: `["*"]` alone when "All events" is ticked. */
export function eventsToSend(value: WebhookEventType[]): WebhookEventType[] {
  return value.includes('*') ? ['*'] : value;
}

/** An endpoint's subscription in words. */
export function eventsSummary(events: WebhookEventType[]): string {
  if (events.includes('*')) return WEBHOOK_EVENT_LABEL['*'];
  return events.map((type) => WEBHOOK_EVENT_LABEL[type]).join(', ');
}
