/**
 * Walks every operation of openapi.yaml (read from the spec, not from a hand list) and checks
 * that it is implemented, documented, and answers its documented error for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor } from '@herald/core';
import { loadSpec } from '@herald/api-spec';
import { OPERATOR, startApiFixture } from './testing/api-fixture.ts';

type Op = { method: string; path: string; id: string; access: string[]; responses: Record<string, unknown>; hasBody: boolean; summary?: string };
const spec = loadSpec();
const ops: Op[] = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([m]) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))
    .map(([method, raw]) => {
      const op = raw as { operationId: string; 'x-herald-access'?: string[]; responses: Record<string, unknown>; requestBody?: unknown; summary?: string };
      return { method, path, id: op.operationId, access: op['x-herald-access'] ?? [], responses: op.responses, hasBody: op.requestBody !== undefined, summary: op.summary };
    }),
);

let api: Awaited<ReturnType<typeof startApiFixture>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof startApiFixture>>['account']>>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startApiFixture();
  acme = await api.account('Walker');
  await api.operator.POST('/v1/event-types', { body: { name: 'walk.done', description: 'd' } });
  const w = await acme.admin.POST('/v1/webhooks', { body: { name: 'w', url: 'https://w.example.com' } });
  ids.webhookId = w.data!.id;
  const s = await acme.admin.POST('/v1/schemas', { body: { name: 's', contentType: 'text/plain', body: 'hi' } });
  ids.schemaId = s.data!.id;
  const g = await acme.admin.POST('/v1/rule-groups', { body: { name: 'g', rules: [] } });
  ids.ruleGroupId = g.data!.id;
  ids.keyId = acme.readKey.id;
  ids.deliveryId = deliveryIdFor('evt_walk', ids.webhookId, null);
  const event = { id: 'evt_walk', type: 'walk.done', account: acme.id, entity: { type: 'walk', id: '1' }, action: 'new' as const, occurredAt: '2026-11-24T10:55:27Z', data: {} };
  await api.store.deliveries.insertMany([
    { id: ids.deliveryId, account: acme.id, webhookId: ids.webhookId, schemaId: null, eventId: event.id, eventType: event.type, entity: event.entity, event, status: 'pending', nextAttemptAt: null },
  ]);
  ids.accountId = acme.id;
  ids.name = 'walk.done';
});
afterAll(() => api.close());

function url(op: Op, overrides: Record<string, string> = {}): string {
  return api.baseUrl + op.path.replace(/\{([^}]+)\}/g, (_m, p: string) => encodeURIComponent(overrides[p] ?? ids[p] ?? 'x'));
}

async function call(op: Op, init: { token?: string | null; body?: unknown; path?: Record<string, string> } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url(op, init.path), { method: op.method.toUpperCase(), headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
}

const adminKey = () => (acme as unknown as { adminKey: { key: string } }).adminKey.key;
const readKey = () => (acme as unknown as { readKey: { key: string } }).readKey.key;
const named = (list: Op[]) => list.map((o) => [o.id, o] as const);
const guarded = ops.filter((o) => !o.access.includes('public'));
const writeOnly = guarded.filter((o) => !o.access.includes('read'));
const withBody = ops.filter((o) => o.hasBody);
const withId = guarded.filter((o) => /\{/.test(o.path));

describe('every operation of openapi.yaml', () => {
  it('has the operations of the config API', () => {
    expect(ops.map((o) => o.id)).toEqual(expect.arrayContaining(['createAccount', 'createApiKey', 'createEventType', 'createWebhook', 'postEvent', 'listWebhooks']));
  });

  it.each(named(ops))('%s is documented with a summary and who may call it', (_id, op) => {
    expect(op.summary).toBeTruthy();
    expect(op.access.length).toBeGreaterThan(0);
  });

  it.each(named(ops))('%s is implemented (routed, never "No route")', async (_id, op) => {
    const token = op.access.includes('public') ? null : op.access.includes('operator') ? OPERATOR : adminKey();
    const res = await call(op, { token, ...(op.hasBody ? { body: {} } : {}) });
    expect(res.status).not.toBe(405);
    if (res.status === 404) expect(((await res.json()) as { detail: string }).detail).not.toMatch(/^No route/);
  });

  it.each(named(guarded))('%s answers 401 problem+json without a key, as documented', async (_id, op) => {
    expect(op.responses).toHaveProperty('401');
    const res = await call(op, op.hasBody ? { body: {} } : {});
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it.each(named(writeOnly))('%s answers 403 to a read key, as documented', async (_id, op) => {
    expect(op.responses).toHaveProperty('403');
    const res = await call(op, { token: readKey(), ...(op.hasBody ? { body: {} } : {}) });
    expect(res.status).toBe(403);
  });

  it.each(named(withBody))('%s answers 400 naming an unknown field, as documented', async (_id, op) => {
    expect(op.responses).toHaveProperty('400');
    const token = op.access.includes('admin') ? adminKey() : OPERATOR;
    const res = await call(op, { token, body: { notAField: 1 } });
    expect(res.status).toBe(400);
    const p = (await res.json()) as { errors: { field: string; message: string }[] };
    expect(p.errors).toEqual(expect.arrayContaining([{ field: '/notAField', message: 'is not a known field' }]));
  });

  it.each(named(withId))('%s answers 404 for an object that does not exist, as documented', async (_id, op) => {
    expect(op.responses).toHaveProperty('404');
    const token = op.access.includes('admin') ? adminKey() : OPERATOR;
    const missing: Record<string, string> = { webhookId: 'wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H', keyId: 'key_01M7W3A6BYTNG0KY4XD1T12JMD', accountId: 'acc_01M7W3KDK31YKSJWJ2JVP8A5YZ', name: 'no.such.type', deliveryId: 'dlv_3M8Q0RZ6V2K9T4W1XH7C5B0N8D', schemaId: 'sch_01M7W3EAD9KSN7H42EV56FYQF3', ruleGroupId: 'rg_01M7W3Q2ZK6V0Y8D3N4R5T6W7X' };
    const validBody: Record<string, unknown> = { updateWebhook: { name: 'n' }, updateAccount: { name: 'n' }, updateEventType: { description: 'd' }, updateSchema: { name: 'n' }, replaceRuleGroup: { name: 'n', rules: [] }, replayWebhook: { since: '2026-11-24T00:00:00Z' } };
    const res = await call(op, { token, path: missing, ...(op.hasBody ? { body: validBody[op.id] ?? {} } : {}) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
