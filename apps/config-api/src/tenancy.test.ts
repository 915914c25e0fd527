/**
 * Two accounts; for every operation an account key may call, account A can neither read,
 * change, delete nor list account B's objects: another account's object is a 404, never its data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor } from '@herald/core';
import { loadSpec } from '@herald/api-spec';
import { startApiFixture } from './testing/api-fixture.ts';

type Op = { method: string; path: string; id: string; access: string[]; hasBody: boolean };
const spec = loadSpec();
const accountOps: Op[] = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([m]) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
    .map(([method, raw]) => {
      const op = raw as { operationId: string; 'x-herald-access'?: string[]; requestBody?: unknown };
      return { method, path, id: op.operationId, access: op['x-herald-access'] ?? [], hasBody: op.requestBody !== undefined };
    })
    .filter((o) => o.access.includes('admin') || o.access.includes('read'))
    // The event type catalog is product-wide by design: every account reads the same one.
    .filter((o) => !o.path.startsWith('/v1/event-types')),
);

let api: Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Awaited<ReturnType<typeof startApiFixture>>['account']>>;
let a: Acc;
let b: Acc;
const bIds: Record<string, string> = {};
let bSecretMarker: string;

beforeAll(async () => {
  api = await startApiFixture();
  a = await api.account('Tenant A');
  b = await api.account('Tenant B');
  bSecretMarker = 'tenant-b-bearer-token-0042';
  const w = await b.admin.POST('/v1/webhooks', { body: { name: 'B only', url: 'https://b.example.com/hook', auth: { type: 'bearer', token: bSecretMarker } } });
  bIds.webhookId = w.data!.id;
  const s = await b.admin.POST('/v1/schemas', { body: { name: 'B only', contentType: 'text/plain', body: bSecretMarker } });
  bIds.schemaId = s.data!.id;
  const g = await b.admin.POST('/v1/rule-groups', { body: { name: 'B only', rules: [] } });
  bIds.ruleGroupId = g.data!.id;
  bIds.keyId = b.readKey.id;
  // B's delivery log: one delivery with an attempt, both carrying B's marker.
  bIds.deliveryId = deliveryIdFor('evt_b1', bIds.webhookId, null);
  const event = { id: 'evt_b1', type: 'tenant.event', account: b.id, entity: { type: 't', id: '1' }, action: 'new' as const, occurredAt: '2026-11-24T10:55:27Z', data: { note: 'B only' } };
  await api.store.deliveries.insertMany([
    { id: bIds.deliveryId, account: b.id, webhookId: bIds.webhookId, schemaId: null, eventId: event.id, eventType: event.type, entity: event.entity, event, status: 'failed', nextAttemptAt: null },
  ]);
  await api.store.attempts.insert({
    id: 'att_b1', account: b.id, deliveryId: bIds.deliveryId, webhookId: bIds.webhookId, number: 1, startedAt: new Date(), durationMs: 5,
    request: { url: 'https://b.example.com/hook', method: 'POST', headers: {}, body: `{"note":"B only","m":"${bSecretMarker}"}` }, success: false,
  });
  bIds.accountId = b.id;
  bIds.name = 'tenant.event';
  await api.operator.POST('/v1/event-types', { body: { name: 'tenant.event', description: 'shared catalog' } });
});
afterAll(() => api.close());

const bodies: Record<string, unknown> = {
  updateWebhook: { name: 'stolen', active: false },
  updateSchema: { name: 'stolen' },
  replaceRuleGroup: { name: 'stolen', rules: [] },
  createWebhook: { name: 'mine', url: 'https://a.example.com' },
  createApiKey: { role: 'admin', name: 'x' },
  replayWebhook: { since: '2020-01-01T00:00:00Z', status: 'failed' },
  testWebhook: {},
  postEvent: { id: 'evt_t1', type: 'tenant.event', account: 'placeholder', entity: { type: 't', id: '1' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {} },
};

describe('tenant isolation', () => {
  it('covers every account-level operation of the spec', () => {
    expect(accountOps.map((o) => o.id)).toEqual(expect.arrayContaining(['getWebhook', 'updateWebhook', 'deleteWebhook', 'listWebhooks', 'getApiKey', 'revokeApiKey', 'listApiKeys', 'getAccount', 'postEvent']));
  });

  it.each(accountOps.filter((o) => /\{/.test(o.path)).map((o) => [o.id, o] as const))(
    '%s: account A gets 404 for account B\'s object, never its data',
    async (_id, op) => {
      const res = await fetch(api.baseUrl + op.path.replace(/\{([^}]+)\}/g, (_m, p: string) => bIds[p]!), {
        method: op.method.toUpperCase(),
        headers: { authorization: `Bearer ${a.adminKey.key}`, ...(op.hasBody ? { 'content-type': 'application/json' } : {}) },
        ...(op.hasBody ? { body: JSON.stringify(bodies[op.id] ?? {}) } : {}),
      });
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).not.toContain('B only');
      expect(text).not.toContain(bSecretMarker);
    },
  );

  it('lists nothing of B to A, and B\'s objects are untouched', async () => {
    const hooks = await a.read.GET('/v1/webhooks');
    expect(hooks.data!.data).toEqual([]);
    expect((await a.read.GET('/v1/deliveries')).data!.data).toEqual([]);
    expect((await a.read.GET('/v1/deliveries', { params: { query: { webhookId: bIds.webhookId! } } })).data!.data).toEqual([]);
    expect((await b.read.GET('/v1/deliveries')).data!.data.map((d) => d.id)).toEqual([bIds.deliveryId]);
    const keys = await a.read.GET('/v1/api-keys');
    expect(keys.data!.data.map((k) => k.account)).toEqual([a.id, a.id]);
    const otherKeys = await a.read.GET('/v1/api-keys', { params: { query: { account: b.id } } });
    expect(otherKeys.response.status).toBe(403);
    const bHook = await b.read.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: bIds.webhookId! } } });
    expect(bHook.data).toMatchObject({ name: 'B only', active: true });
    const bKey = await b.read.GET('/v1/api-keys/{keyId}', { params: { path: { keyId: bIds.keyId! } } });
    expect(bKey.data!.revokedAt).toBeNull();
  });

  it('does not let A create objects in B or post B\'s events', async () => {
    const key = await a.admin.POST('/v1/api-keys', { body: { account: b.id, role: 'admin', name: 'x' } });
    expect(key.response.status).toBe(403);
    const ev = await a.admin.POST('/v1/events', { body: { ...(bodies.postEvent as object), account: b.id } as never });
    expect(ev.response.status).toBe(403);
    expect((await api.store.apiKeys.list(b.id)).length).toBe(2);
  });

  it('keeps the operator-only operations away from account keys', async () => {
    expect((await a.admin.GET('/v1/accounts')).response.status).toBe(403);
    expect((await a.admin.PATCH('/v1/accounts/{accountId}', { params: { path: { accountId: a.id } }, body: { webhooksEnabled: true } })).response.status).toBe(403);
  });
});
