/**
 * The intake refuses an event Herald cannot place (issue 13): of an account that does not exist,
 * or of a type that is not in the event type catalog. 422 problem+json naming the field, and
 * nothing on herald.events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { OPERATOR, startApiFixture } from './testing/api-fixture.ts';
import { eventually } from '../../../test/receiver.ts';

const INGEST = 'ingest-token-for-intake-tests';
let api: Awaited<ReturnType<typeof startApiFixture>>;
let acme: Awaited<ReturnType<typeof api.account>>;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
}

beforeAll(async () => {
  api = await startApiFixture({ ingestToken: INGEST });
  acme = await api.account('Acme intake');
  const declared = await api.operator.POST('/v1/event-types', { body: { name: 'ticket.created', description: 'A ticket was opened.' } });
  expect(declared.response.status).toBe(201);
});
afterAll(async () => {
  await api?.close();
});

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  id, type: 'ticket.created', account: acme.id, entity: { type: 'ticket', id: '7' }, action: 'new',
  occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-7' }, ...extra,
});

function post(body: unknown, token: string) {
  return fetch(`${api.baseUrl}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

/** Reads a 422 answer, checking what every one of them has. */
async function unprocessable(res: Response): Promise<Problem> {
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const p = (await res.json()) as Problem;
  expect(p).toMatchObject({ type: 'about:blank', title: 'Unprocessable Content', status: 422, code: 'HERALD_VALIDATION' });
  return p;
}

const onBus = (id: string) => api.published.some((m) => m.topic === api.topics.events && (decodeJson(m.value) as { id?: string }).id === id);

/** Nothing of the event reached herald.events (checked after a later event that did, so the wait is not a guess). */
async function expectNotPublished(id: string): Promise<void> {
  const marker = `evt_marker_after_${id}`;
  expect((await post(event(marker), OPERATOR)).status).toBe(202);
  await eventually(() => onBus(marker), 'the marker on herald.events');
  expect(onBus(id)).toBe(false);
}

describe('POST /v1/events: an event Herald cannot place', () => {
  it('accepts an event of an existing account and a declared type with 202', async () => {
    const res = await post(event('evt_known'), acme.adminKey.key);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: 'evt_known', status: 'accepted' });
    await eventually(() => onBus('evt_known'), 'the event on herald.events');
  });

  it('answers 422 naming /type for a type not in the catalog, with an account key, and publishes nothing', async () => {
    const p = await unprocessable(await post(event('evt_undeclared', { type: 'ticket.reopened' }), acme.adminKey.key));
    expect(p.errors).toEqual([{ field: '/type', message: 'is not in the event type catalog' }]);
    expect(p.detail).toContain('ticket.reopened');
    await expectNotPublished('evt_undeclared');
  });

  it('answers 422 for a delete of an undeclared type too (no data to check, but nothing can subscribe to it)', async () => {
    const p = await unprocessable(await post(event('evt_undeclared_delete', { type: 'ticket.purged', action: 'delete', data: undefined }), OPERATOR));
    expect(p.errors).toEqual([{ field: '/type', message: 'is not in the event type catalog' }]);
    expect((await post(event('evt_declared_delete', { action: 'delete', data: undefined }), OPERATOR)).status).toBe(202);
    await expectNotPublished('evt_undeclared_delete');
  });

  it('answers 422 naming /account for an account that does not exist, with the operator and the ingest token', async () => {
    for (const [token, id] of [[OPERATOR, 'evt_nobody_op'], [INGEST, 'evt_nobody_ingest']] as const) {
      const p = await unprocessable(await post(event(id, { account: 'acc_nobody' }), token));
      expect(p.errors).toEqual([{ field: '/account', message: 'is not a known account' }]);
      expect(p.detail).toContain('acc_nobody');
      await expectNotPublished(id);
    }
  });

  it('names both fields when neither the account nor the type is known', async () => {
    const p = await unprocessable(await post(event('evt_nothing_known', { account: 'acc_nobody', type: 'ticket.reopened' }), OPERATOR));
    expect(p.errors).toEqual([
      { field: '/account', message: 'is not a known account' },
      { field: '/type', message: 'is not in the event type catalog' },
    ]);
  });

  it('still answers 403, not 422, to an account key posting for an account that does not exist (it learns nothing)', async () => {
    const res = await post(event('evt_other', { account: 'acc_nobody', type: 'ticket.reopened' }), acme.adminKey.key);
    expect(res.status).toBe(403);
    expect(((await res.json()) as Problem).code).toBe('HERALD_FORBIDDEN');
  });

  it('takes the event as soon as its type is declared and its account created (a refusal is not remembered)', async () => {
    const again = event('evt_later', { account: 'acc_later', type: 'ticket.escalated' });
    await unprocessable(await post(again, OPERATOR));
    expect((await api.operator.POST('/v1/event-types', { body: { name: 'ticket.escalated', description: 'd' } })).response.status).toBe(201);
    const p = await unprocessable(await post(again, OPERATOR));
    expect(p.errors).toEqual([{ field: '/account', message: 'is not a known account' }]);
    expect((await api.operator.POST('/v1/accounts', { body: { id: 'acc_later', name: 'Later' } })).response.status).toBe(201);
    // Matchers, which may have cached the account as unknown, are told.
    await eventually(() => api.published.some((m) => m.topic === api.topics.config && (decodeJson(m.value) as { kind?: string; account?: string }).account === 'acc_later'), 'the new account on herald.config');
    expect((await post(again, OPERATOR)).status).toBe(202);
    await eventually(() => onBus('evt_later'), 'the event on herald.events');
  });

  it('accepts an event of an archived type (it is in the catalog; no webhook gets it)', async () => {
    await api.operator.POST('/v1/event-types', { body: { name: 'ticket.legacy', description: 'd' } });
    expect((await api.operator.DELETE('/v1/event-types/{name}', { params: { path: { name: 'ticket.legacy' } } })).response.status).toBe(204);
    expect((await post(event('evt_archived', { type: 'ticket.legacy' }), OPERATOR)).status).toBe(202);
  });

  it('keeps the two checks apart: bad data of a declared type is a 400 naming /data, an undeclared type a 422', async () => {
    await api.operator.POST('/v1/event-types', {
      body: { name: 'ticket.assigned', description: 'd', schema: { type: 'object', required: ['assignee'], properties: { assignee: { type: 'string' } } } },
    });
    const bad = await post(event('evt_bad_data', { type: 'ticket.assigned', data: { assignee: 7 } }), OPERATOR);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).errors).toEqual([{ field: '/data/assignee', message: 'must be string' }]);
    expect((await post(event('evt_good_data', { type: 'ticket.assigned', data: { assignee: 'ada' } }), OPERATOR)).status).toBe(202);
  });
});

describe('POST /v1/events on the hot path', () => {
  it('reads an account from the store once, not per event; a type once per event with data (its schema), once for all deletes of it', async () => {
    const store = createMemoryStore({ encryptionKey: Buffer.alloc(32, 7) });
    const reads = { accounts: 0, eventTypes: 0 };
    const counting: Store = {
      ...store,
      kind: store.kind, init: () => store.init(), ping: () => store.ping(), close: () => store.close(),
      accounts: { ...store.accounts, get: (id) => (reads.accounts++, store.accounts.get(id)), create: (a) => store.accounts.create(a), list: (q) => store.accounts.list(q), update: (id, p, n) => store.accounts.update(id, p, n) },
      eventTypes: { create: (t) => store.eventTypes.create(t), get: (n) => (reads.eventTypes++, store.eventTypes.get(n)), list: (q) => store.eventTypes.list(q), update: (n, p, w) => store.eventTypes.update(n, p, w) },
    };
    const hot = await startApiFixture({ store: counting });
    try {
      const acc = await hot.account('Acme hot');
      await hot.operator.POST('/v1/event-types', { body: { name: 'ticket.created', description: 'd' } });
      reads.accounts = 0;
      reads.eventTypes = 0;
      const send = (body: unknown) => fetch(`${hot.baseUrl}/v1/events`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${acc.adminKey.key}` }, body: JSON.stringify(body),
      });
      for (let i = 0; i < 10; i++) {
        const base = { type: 'ticket.created', account: acc.id, entity: { type: 'ticket', id: String(i) }, occurredAt: '2026-11-24T10:55:27Z' };
        expect((await send({ ...base, id: `evt_delete_${i}`, action: 'delete' })).status).toBe(202);
        expect((await send({ ...base, id: `evt_new_${i}`, action: 'new', data: { ref: `T-${i}` } })).status).toBe(202);
      }
      // The first delete reads the type; each new event reads it (for its schema); later deletes none.
      expect(reads).toEqual({ accounts: 1, eventTypes: 1 + 10 });
    } finally {
      await hot.close();
      await store.close();
    }
  });
});

describe('POST /v1/events in flag mode (HERALD_EVENT_VALIDATION=flag)', () => {
  it('accepts bad data marked, but still refuses an undeclared type with 422', async () => {
    const flagging = await startApiFixture({ eventValidation: 'flag' });
    try {
      const acc = await flagging.account('Acme flag');
      await flagging.operator.POST('/v1/event-types', {
        body: { name: 'ticket.assigned', description: 'd', schema: { type: 'object', required: ['assignee'], properties: { assignee: { type: 'string' } } } },
      });
      const send = (body: unknown) => fetch(`${flagging.baseUrl}/v1/events`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${acc.adminKey.key}` }, body: JSON.stringify(body),
      });
      const base = { account: acc.id, entity: { type: 'ticket', id: '7' }, action: 'update', occurredAt: '2026-11-24T10:55:27Z' };
      expect((await send({ ...base, id: 'evt_flagged', type: 'ticket.assigned', data: { assignee: 7 } })).status).toBe(202);
      await eventually(() => flagging.published.some((m) => (decodeJson(m.value) as { id?: string }).id === 'evt_flagged'), 'the flagged event on herald.events');
      const flagged = flagging.published.find((m) => (decodeJson(m.value) as { id?: string }).id === 'evt_flagged')!;
      expect(JSON.parse(flagged.headers['herald-data-invalid']!)).toEqual([{ field: '/data/assignee', message: 'must be string' }]);
      const p = await unprocessable(await send({ ...base, id: 'evt_undeclared_flag', type: 'ticket.reopened', data: {} }));
      expect(p.errors).toEqual([{ field: '/type', message: 'is not in the event type catalog' }]);
    } finally {
      await flagging.close();
    }
  });
});
