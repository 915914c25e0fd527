import type { HeraldClient } from '@herald/api-spec/client';
import type { components } from '@herald/api-spec';
import { call } from '../../api.ts';

type S = components['schemas'];

/** Reads every page of a list (`nextCursor` passed back as `after`). */
export async function allPages<T>(page: (after: string | undefined) => Promise<{ data: T[]; nextCursor?: string | null }>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const p = await page(after);
    out.push(...p.data);
    if (!p.nextCursor) break;
    after = p.nextCursor;
  }
  return out;
}

export function allWebhooks(client: HeraldClient): Promise<S['Webhook'][]> {
  return allPages((after) => call(client.GET('/v1/webhooks', { params: { query: { limit: 100, ...(after ? { after } : {}) } } })));
}

export function allEventTypes(client: HeraldClient): Promise<S['EventType'][]> {
  return allPages((after) => call(client.GET('/v1/event-types', { params: { query: { includeArchived: true, limit: 100, ...(after ? { after } : {}) } } })));
}

export function allSchemas(client: HeraldClient): Promise<S['PayloadSchema'][]> {
  return allPages((after) => call(client.GET('/v1/schemas', { params: { query: { limit: 100, ...(after ? { after } : {}) } } })));
}

export async function plugins(client: HeraldClient): Promise<S['Plugin'][]> {
  return (await call(client.GET('/v1/plugins'))).data;
}
