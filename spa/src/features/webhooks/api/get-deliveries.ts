import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '@/lib/api/client';
import type { Delivery, DeliveryPage } from '@/lib/api/types';
import { useScope } from '@/lib/host';
import { webhookKeys } from './keys';

/** GET /api/webhooks/{id}/deliveries/?page=N — newest first, each with its attempts' answers. */
export function getDeliveries(id: number, page: number, signal?: AbortSignal): Promise<DeliveryPage> {
  return api.get<DeliveryPage>(`/api/webhooks/${id}/deliveries/`, { page }, signal);
}

/** While an attempt is due (a new or replayed delivery): every 2 s, so its outcome shows as it lands. */
export const DELIVERY_POLL_MS = 2000;
/** While a pending delivery waits for a retry hours away: slowly, the next attempt is not near. */
const RETRY_WAIT_POLL_MS = 30_000;

/** How often to refetch a page: only while one of its deliveries is pending. */
export function deliveriesPollInterval(deliveries: Delivery[] | undefined, now: number = Date.now()): number | false {
  const pending = (deliveries ?? []).filter((d) => d.status === 'pending');
  if (!pending.length) return false;
  const dueSoon = pending.some((d) => !d.next_attempt_at || Date.parse(d.next_attempt_at) - now < 60_000);
  return dueSoon ? DELIVERY_POLL_MS : RETRY_WAIT_POLL_MS;
}

export function deliveriesQueryOptions(scope: string, id: number, page: number) {
  return queryOptions({
    queryKey: webhookKeys.deliveries(scope, id, page),
    queryFn: ({ signal }) => getDeliveries(id, page, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => deliveriesPollInterval(query.state.data?.results),
  });
}

export function useDeliveries(id: number, page: number) {
  return useQuery(deliveriesQueryOptions(useScope(), id, page));
}
