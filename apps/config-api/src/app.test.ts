import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '@herald/core';
import { createMemoryBus, decodeJson, type Bus, type ConsumedMessage } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { createConfigApi } from './app.ts';
import { eventually } from '../../../test/receiver.ts';

const ADMIN = 'admin-token-0123456789';
const INGEST = 'ingest-token-0123456789';
const topics = topicNames('t.');
let server: Server;
let base: string;
let bus: Bus;
let store: Store;
const published: ConsumedMessage[] = [];

beforeAll(async () => {
  bus = createMemoryBus();
  store = createMemoryStore();
  const app = createConfigApi({ bus, store, logger: silentLogger(), topics, plugins: await loadPlugins(), adminToken: ADMIN, ingestToken: INGEST, maxBodyBytes: 10_000 });
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // What the events below name: their account, and their type in the catalog.
  for (const [path, body] of [['/v1/accounts', { id: 'acc_1', name: 'Acme' }], ['/v1/event-types', { name: 'ticket.priority_changed', description: 'The priority of a ticket changed.' }]] as const) {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  }
  await bus.subscribe({ groupId: 'probe', topics: [topics.events], handleBatch: async (b) => void published.push(...b.messages) });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await bus.close();
  await store.close();
});

const event = {
  id: 'evt_api_1', type: 'ticket.priority_changed', account: 'acc_1', entity: { type: 'ticket', id: '1042' },
  action: 'update', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-1042', priority: 'high' },
};

function post(body: unknown, token: string | null = ADMIN, contentType = 'application/json') {
  return fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('config-api: event intake', () => {
  it('accepts a valid event with 202 and produces it to Kafka keyed by entity', async () => {
    const res = await post(event);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: 'evt_api_1', status: 'accepted' });
    await eventually(() => published.some((m) => (decodeJson(m.value) as { id: string }).id === 'evt_api_1'), 'the event on the bus');
    const m = published.find((p) => (decodeJson(p.value) as { id: string }).id === 'evt_api_1')!;
    expect(m.key).toBe('acc_1:ticket:1042');
    expect(decodeJson(m.value)).toEqual(event);
  });

  it('accepts the ingest token too', async () => {
    expect((await post({ ...event, id: 'evt_api_2' }, INGEST)).status).toBe(202);
  });

  it('answers 400 problem+json naming each bad field, and publishes nothing', async () => {
    const before = published.length;
    const res = await post({ ...event, id: undefined, action: 'created', data: [1] });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = (await res.json()) as { status: number; code: string; errors: { field: string; message: string }[] };
    expect(p.status).toBe(400);
    expect(p.code).toBe('HERALD_VALIDATION');
    expect(p.errors).toEqual(
      expect.arrayContaining([
        { field: '/id', message: 'is required' },
        { field: '/action', message: 'must be one of new, update, delete' },
        { field: '/data', message: 'must be a JSON object' },
      ]),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(published.length).toBe(before);
  });

  it.each([
    ['malformed JSON', '{"id":', 400],
    ['a JSON array', '[]', 400],
    ['an oversized body', JSON.stringify({ ...event, data: { blob: 'x'.repeat(20_000) } }), 413],
  ])('answers %s with problem+json', async (_name, body, status) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await post('id=1', ADMIN, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
  });

  it('answers 401 without a key or with a wrong one', async () => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const res = await post(event, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as { code: string }).code).toBe('HERALD_UNAUTHORIZED');
    }
  });

  it('answers 404 problem+json for an unknown route', async () => {
    const res = await fetch(`${base}/v1/nothing`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers /healthz and /readyz without a key', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { bus: 'ok', store: 'ok' } });
  });
});
