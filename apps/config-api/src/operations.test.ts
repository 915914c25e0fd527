/**
 * Walks every operation of openapi.yaml (read from the spec, not from a hand list) and checks
 * that it is implemented, documented, and answers its documented error for bad input; that
 * every status it answers, to every kind of token, is one its `responses` document; and that
 * every path answers a method it does not declare with 405 and `Allow`.
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

const INGEST = 'ingest-token-0123456789';
const DECLARABLE = ['get', 'put', 'post', 'delete', 'patch'];

let api: Awaited<ReturnType<typeof startApiFixture>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof startApiFixture>>['account']>>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startApiFixture({ ingestToken: INGEST });
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

async function call(op: Op, init: { token?: string | null; body?: unknown; path?: Record<string, string>; query?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  return fetch(url(op, init.path) + (init.query ?? ''), { method: op.method.toUpperCase(), headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
}

/** Ids of the right form that name nothing. */
const MISSING: Record<string, string> = {
  webhookId: 'wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H', keyId: 'key_01M7W3A6BYTNG0KY4XD1T12JMD', accountId: 'acc_01M7W3KDK31YKSJWJ2JVP8A5YZ', name: 'no.such.type',
  deliveryId: 'dlv_3M8Q0RZ6V2K9T4W1XH7C5B0N8D', schemaId: 'sch_01M7W3EAD9KSN7H42EV56FYQF3', ruleGroupId: 'rg_01M7W3Q2ZK6V0Y8D3N4R5T6W7X',
};

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
    const validBody: Record<string, unknown> = { updateWebhook: { name: 'n' }, updateAccount: { name: 'n' }, updateEventType: { description: 'd' }, updateSchema: { name: 'n' }, replaceRuleGroup: { name: 'n', rules: [] }, replayWebhook: { since: '2026-11-24T00:00:00Z' } };
    const res = await call(op, { token, path: MISSING, ...(op.hasBody ? { body: validBody[op.id] ?? {} } : {}) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('every status an operation answers is in openapi.yaml', () => {
  const tokens: [string, () => string | null][] = [['no token', () => null], ['the operator token', () => OPERATOR], ['the ingest token', () => INGEST], ['an admin key', adminKey], ['a read key', readKey]];

  it.each(named(ops))('%s answers every kind of token with a documented status', async (_id, op) => {
    for (const [who, token] of tokens) {
      const res = await call(op, { token: token(), path: MISSING, ...(op.hasBody ? { body: {} } : {}) });
      // An undocumented status would be a 500 (the router checks answers against the spec).
      expect(res.status, `${who}: ${await res.clone().text()}`).not.toBe(500);
      expect(Object.keys(op.responses), `${op.id} to ${who} answered ${res.status}`).toContain(String(res.status));
    }
  });

  it.each(named(guarded))('%s answers an unknown query parameter with a documented 400 naming it', async (_id, op) => {
    expect(op.responses).toHaveProperty('400');
    const token = op.access.includes('admin') ? adminKey() : OPERATOR;
    const res = await call(op, { token, query: '?notAParameter=1', ...(op.hasBody ? { body: {} } : {}) });
    expect(res.status).toBe(400);
    const p = (await res.json()) as { errors: { field: string }[] };
    expect(p.errors.map((e) => e.field)).toContain('notAParameter');
  });

  it.each(named(ops.filter((o) => o.access.includes('public'))))('%s (public, no input) ignores a query string', async (_id, op) => {
    const res = await call(op, { query: '?t=1700000000' });
    expect(res.status).toBe(200);
  });

  it.each(named(withBody))('%s answers a body that is not application/json with its documented 415', async (_id, op) => {
    expect(op.responses).toHaveProperty('415');
    const token = op.access.includes('admin') ? adminKey() : OPERATOR;
    for (const contentType of ['application/merge-patch+json', 'application/json-patch+json', 'text/plain', 'application/json; charset=iso-8859-1']) {
      const res = await call(op, { token, path: MISSING, body: {}, contentType });
      expect(res.status, contentType).toBe(415);
      expect(await res.json()).toMatchObject({ type: 'about:blank', title: 'Unsupported Media Type', status: 415, code: 'HERALD_VALIDATION' });
    }
  });
});

describe('a method a path does not declare', () => {
  const paths = Object.entries(spec.paths).map(([path, item]) => {
    const declared = DECLARABLE.filter((m) => m in (item as object));
    return { path, declared, undeclared: DECLARABLE.filter((m) => !declared.includes(m)) };
  });

  it.each(paths.filter((p) => p.undeclared.length > 0).map((p) => [p.path, p] as const))(
    '%s answers 405 problem+json with Allow listing the methods the spec declares',
    async (_path, p) => {
      // `Allow` as the spec says: its methods, in upper case, and HEAD with GET.
      const allow = p.declared.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()])).sort();
      const at = api.baseUrl + p.path.replace(/\{([^}]+)\}/g, (_m, name: string) => MISSING[name]!);
      for (const method of p.undeclared) {
        const res = await fetch(at, { method: method.toUpperCase(), headers: { authorization: `Bearer ${OPERATOR}` } });
        expect(res.status, `${method} ${p.path}`).toBe(405);
        expect(res.headers.get('allow')!.split(', ').sort()).toEqual(allow);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(await res.json()).toMatchObject({ type: 'about:blank', title: 'Method Not Allowed', status: 405, code: 'HERALD_METHOD_NOT_ALLOWED' });
      }
    },
  );
});
