import type { components } from '@herald/api-spec';
import { call, useLoad, type Load } from '../../api.ts';
import { useSession } from '../../session.tsx';

type Schemas = components['schemas'];
export type Webhook = Schemas['Webhook'];
export type EventType = Schemas['EventType'];

export interface Lookups {
  webhooks: Webhook[];
  eventTypes: EventType[];
  /** The webhook's name, or its id when it is gone (deleted) or unknown. */
  webhookName(id: string): string;
}

/** Every page of a list, following `nextCursor` (bounded, in case a cursor never ends). */
async function all<T>(page: (after: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < 50; i++) {
    const p = await page(after);
    out.push(...p.data);
    if (!p.nextCursor) break;
    after = p.nextCursor;
  }
  return out;
}

/** The account's webhooks (names for the log) and the event type catalog (the filter's choices). */
export function useLookups(): Load<Lookups> {
  const { client } = useSession();
  return useLoad(async () => {
    const [webhooks, eventTypes] = await Promise.all([
      all((after) => call(client.GET('/v1/webhooks', { params: { query: { limit: 100, ...(after ? { after } : {}) } } }))),
      all((after) => call(client.GET('/v1/event-types', { params: { query: { limit: 100, includeArchived: true, ...(after ? { after } : {}) } } }))),
    ]);
    const names = new Map(webhooks.map((w) => [w.id, w.name]));
    return { webhooks, eventTypes, webhookName: (id: string) => names.get(id) ?? id };
  }, [client]);
}
