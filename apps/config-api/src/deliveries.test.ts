/**
 * The delivery log (F7) through the API: deliveries and attempts are seeded into the store
 * directly (as the delivery engine writes them), then read with the account's keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor, type Attempt, type DeliveryStatus, type EventEnvelope } from '@herald/core';
import type { NewDelivery } from '@herald/store';
import { OPERATOR, startApiFixture } from './testing/api-fixture.ts';

type Fixture = Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Fixture['account']>>;
type Problem = { status: number; code: string; detail: string; errors?: { field: string; message: string }[] };
type Page = { data: Array<Record<string, unknown> & { id: string }>; nextCursor: string | null };

/** The first delivery's creation time; delivery i is created i minutes later. */
const T = Date.parse('2026-11-24T10:00:00.000Z');
const N = 30;
const ENTITIES = [
  { type: 'ticket', id: '1042' },
  { type: 'ticket', id: '7' },
  { type: 'user', id: '1042' },
  { type: 'ticket', id: '1042' },
];
const SECRET = 'bearer-secret-value-0042';

let api: Fixture;
let acme: Acc;
let other: Acc;
let whA: string;
let whB: string;
let whEmpty: string;
let whOther: string;
/** Acme's deliveries by index (0 = the oldest). */
const ids: string[] = [];
let otherDelivery: string;

function webhookOf(i: number): string {
  return i % 3 === 0 ? whB : whA;
}
function statusOf(i: number): DeliveryStatus {
  return i % 5 === 0 ? 'failed' : i % 5 === 1 ? 'pending' : 'succeeded';
}
function typeOf(i: number): string {
  return i % 2 === 0 ? 'ticket.created' : 'ticket.updated';
}
function createdOf(i: number): Date {
  return new Date(T + i * 60_000);
}

/** The ids of the deliveries matching `pred`, latest first. */
function expected(pred: (i: number) => boolean): string[] {
  return ids.map((_, i) => i).filter(pred).reverse().map((i) => ids[i]!);
}

function event(account: string, i: number): EventEnvelope {
  return {
    id: `evt_${i}`,
    type: typeOf(i),
    account,
    entity: ENTITIES[i % 4]!,
    action: 'update',
    occurredAt: createdOf(i).toISOString(),
    data: { ref: `T-${i}` },
  };
}

function delivery(account: string, webhookId: string, i: number, status: DeliveryStatus): NewDelivery {
  const e = event(account, i);
  return {
    id: deliveryIdFor(e.id, webhookId, null),
    account,
    webhookId,
    schemaId: null,
    eventId: e.id,
    eventType: e.type,
    entity: e.entity,
    event: e,
    status,
    nextAttemptAt: status === 'pending' ? new Date(T + 3_600_000) : null,
    createdAt: createdOf(i),
    ...(status === 'failed' ? { lastError: 'http_status: the endpoint answered 500' } : {}),
  };
}

function attempt(deliveryId: string, webhookId: string, number: number, rest: Partial<Attempt>): Attempt {
  return {
    id: `att_${deliveryId.slice(4, 20)}${number}`,
    account: acme.id,
    deliveryId,
    webhookId,
    number,
    startedAt: new Date(T + 29 * 60_000 + number * 10_000),
    durationMs: 40 + number,
    request: {
      url: 'https://erp.example.com/hooks/herald',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: '********', 'x-api-token': '********', 'webhook-id': deliveryId },
      body: '{"entity_id":"1042","action_type":"update"}',
    },
    success: false,
    ...rest,
  };
}

async function get(path: string, key: string = acme.readKey.key): Promise<{ status: number; type: string | null; body: unknown }> {
  const res = await fetch(api.baseUrl + path, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

async function page(path: string): Promise<Page> {
  const r = await get(path);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as Page;
}

async function problem(path: string, status = 400): Promise<Problem> {
  const r = await get(path);
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.type).toContain('application/problem+json');
  return r.body as Problem;
}

/** Every id of the list, page by page, following `nextCursor`. */
async function allPages(path: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const sep = path.includes('?') ? '&' : '?';
    const p = await page(`${path}${sep}limit=${limit}${after ? `&after=${after}` : ''}`);
    pages.push(p.data.map((d) => d.id));
    if (p.nextCursor === null) return pages;
    expect(p.nextCursor).toBe(p.data[p.data.length - 1]!.id);
    after = p.nextCursor;
  }
  throw new Error('pagination did not end');
}

beforeAll(async () => {
  api = await startApiFixture();
  acme = await api.account('Acme');
  other = await api.account('Other');
  const hook = async (acc: Acc, name: string) => (await acc.admin.POST('/v1/webhooks', { body: { name, url: 'https://erp.example.com/hooks/herald' } })).data!.id;
  whA = await hook(acme, 'A');
  whB = await hook(acme, 'B');
  whEmpty = await hook(acme, 'nothing sent yet');
  whOther = await hook(other, 'Other only');

  const batch = Array.from({ length: N }, (_, i) => delivery(acme.id, webhookOf(i), i, statusOf(i)));
  ids.push(...batch.map((d) => d.id));
  // Stored out of order: the order of the log is the store's, not the insertion's.
  await api.store.deliveries.insertMany([...batch].sort((x, y) => (x.id < y.id ? -1 : 1)));
  const theirs = delivery(other.id, whOther, 7, 'failed');
  theirs.event.data = { note: 'Other only' };
  otherDelivery = theirs.id;
  await api.store.deliveries.insertMany([theirs]);

  // The latest delivery (29, to webhook A): a timeout, a 503, then a 200.
  const last = ids[29]!;
  await api.store.attempts.insert(attempt(last, whA, 3, {
    response: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"received":true}', truncated: false },
    success: true,
    // A writer that forgot to mask: the API masks these again.
    request: { url: 'https://erp.example.com/hooks/herald', method: 'POST', headers: { Authorization: `Bearer ${SECRET}`, cookie: 'sid=1', 'x-trace': 'abc' }, body: '{}' },
  }));
  await api.store.attempts.insert(attempt(last, whA, 1, { durationMs: 15_000, error: { class: 'timeout', message: 'no answer within 15000 ms' } }));
  await api.store.attempts.insert(attempt(last, whA, 2, {
    response: { status: 503, headers: { 'retry-after': '10' }, body: 'x'.repeat(64), truncated: true },
    error: { class: 'http_status', message: 'the endpoint answered 503' },
  }));
  await api.store.attempts.insert({ ...attempt(otherDelivery, whOther, 1, {}), account: other.id, request: { url: 'https://o.example.com', method: 'POST', headers: {}, body: 'Other only' } });
});
afterAll(() => api.close());

describe('GET /v1/deliveries', () => {
  it('lists the latest first, 20 by default, with a cursor to the next page', async () => {
    const first = await page('/v1/deliveries');
    expect(first.data.map((d) => d.id)).toEqual(expected(() => true).slice(0, 20));
    expect(first.nextCursor).toBe(first.data[19]!.id);
    const rest = await page(`/v1/deliveries?after=${first.nextCursor}`);
    expect(rest.data.map((d) => d.id)).toEqual(expected(() => true).slice(20));
    expect(rest.nextCursor).toBeNull();
  });

  it('pages through every delivery exactly once, in order', async () => {
    const pages = await allPages('/v1/deliveries', 7);
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    expect(pages.flat()).toEqual(expected(() => true));
  });

  it('presents a delivery with ISO dates and without the lease or the account', async () => {
    const p = await page('/v1/deliveries?limit=100');
    const failed = p.data.find((d) => d.id === ids[25])!;
    expect(failed).toEqual({
      id: ids[25], webhookId: whA, schemaId: null, eventId: 'evt_25', eventType: 'ticket.updated', entity: { type: 'ticket', id: '7' },
      status: 'failed', attemptCount: 0, nextAttemptAt: null, lastError: 'http_status: the endpoint answered 500',
      createdAt: '2026-11-24T10:25:00.000Z', updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const pending = p.data.find((d) => d.id === ids[26])!;
    expect(pending).toMatchObject({ status: 'pending', nextAttemptAt: '2026-11-24T11:00:00.000Z' });
    expect(pending).not.toHaveProperty('lastError');
    for (const d of p.data) {
      expect(d).not.toHaveProperty('leaseUntil');
      expect(d).not.toHaveProperty('account');
      expect(d).not.toHaveProperty('event');
    }
  });

  it('filters by webhook, event type and status, alone and together', async () => {
    expect((await page(`/v1/deliveries?limit=100&webhookId=${whB}`)).data.map((d) => d.id)).toEqual(expected((i) => i % 3 === 0));
    expect((await page('/v1/deliveries?limit=100&eventType=ticket.created')).data.map((d) => d.id)).toEqual(expected((i) => i % 2 === 0));
    expect((await page('/v1/deliveries?limit=100&status=failed')).data.map((d) => d.id)).toEqual(expected((i) => i % 5 === 0));
    const together = expected((i) => i % 3 !== 0 && i % 2 === 1 && statusOf(i) === 'succeeded');
    expect(together.length).toBeGreaterThan(0);
    expect((await page(`/v1/deliveries?limit=100&webhookId=${whA}&eventType=ticket.updated&status=succeeded`)).data.map((d) => d.id)).toEqual(together);
    expect((await page(`/v1/deliveries?webhookId=${whEmpty}`)).data).toEqual([]);
  });

  it('filters by entity: type and id together', async () => {
    const ticket1042 = expected((i) => i % 4 === 0 || i % 4 === 3);
    expect((await page('/v1/deliveries?limit=100&entityType=ticket&entityId=1042')).data.map((d) => d.id)).toEqual(ticket1042);
    expect((await page('/v1/deliveries?limit=100&entityType=user&entityId=1042')).data.map((d) => d.id)).toEqual(expected((i) => i % 4 === 2));
    expect((await allPages('/v1/deliveries?entityType=ticket&entityId=1042', 4)).flat()).toEqual(ticket1042);
  });

  it('filters by creation time: since inclusive, until exclusive, with any offset', async () => {
    const range = '/v1/deliveries?limit=100&since=2026-11-24T10:05:00Z&until=2026-11-24T10:09:00Z';
    expect((await page(range)).data.map((d) => d.id)).toEqual(expected((i) => i >= 5 && i < 9));
    // the same instants with an offset (`+` sent as %2B) and fractions
    const offset = '/v1/deliveries?limit=100&since=2026-11-24T11:05:00.000%2B01:00&until=2026-11-24T06:09:00-04:00';
    expect((await page(offset)).data.map((d) => d.id)).toEqual(expected((i) => i >= 5 && i < 9));
    expect((await page('/v1/deliveries?limit=100&since=2026-11-24T10:27:30Z')).data.map((d) => d.id)).toEqual([ids[29], ids[28]]);
    expect((await page('/v1/deliveries?limit=100&until=2026-11-24T10:02:00Z')).data.map((d) => d.id)).toEqual([ids[1], ids[0]]);
    // an empty range is not an error
    expect((await page('/v1/deliveries?since=2026-11-24T10:05:00Z&until=2026-11-24T10:05:00Z')).data).toEqual([]);
    const combined = `/v1/deliveries?webhookId=${whA}&status=succeeded&since=2026-11-24T10:10:00Z&until=2026-11-24T10:20:00Z`;
    expect((await allPages(combined, 2)).flat()).toEqual(expected((i) => i >= 10 && i < 20 && i % 3 !== 0 && statusOf(i) === 'succeeded'));
  });

  it('answers 400 naming the parameter for a time that is not RFC 3339, and for since after until', async () => {
    for (const bad of ['yesterday', '2026-11-24', '2026-11-24T10:00:00', '2026-02-30T10:00:00Z', '1732445727']) {
      const p = await problem(`/v1/deliveries?since=${encodeURIComponent(bad)}`);
      expect(p.code, bad).toBe('HERALD_VALIDATION');
      expect(p.errors, bad).toEqual([{ field: 'since', message: 'must be a valid date-time' }]);
    }
    expect((await problem('/v1/deliveries?until=2026-13-01T00:00:00Z')).errors).toEqual([{ field: 'until', message: 'must be a valid date-time' }]);
    // a `+` left unencoded arrives as a space: refused, not misread
    expect((await problem('/v1/deliveries?since=2026-11-24T11:05:00+01:00')).errors).toEqual([{ field: 'since', message: 'must be a valid date-time' }]);
    const range = await problem('/v1/deliveries?since=2026-11-24T10:09:00Z&until=2026-11-24T10:05:00Z');
    expect(range.errors).toEqual([{ field: 'until', message: 'must not be before since' }]);
  });

  it('answers 400 for half an entity, a bad status, a limit out of range and a cursor that is no delivery of the account', async () => {
    expect((await problem('/v1/deliveries?entityType=ticket')).errors).toEqual([{ field: 'entityId', message: 'is required with entityType' }]);
    expect((await problem('/v1/deliveries?entityId=1042')).errors).toEqual([{ field: 'entityType', message: 'is required with entityId' }]);
    expect((await problem('/v1/deliveries?status=done')).errors).toEqual([{ field: 'status', message: expect.stringContaining('must be one of pending, succeeded, failed') }]);
    expect((await problem('/v1/deliveries?limit=0')).errors!.map((e) => e.field)).toEqual(['limit']);
    expect((await problem('/v1/deliveries?limit=101')).errors!.map((e) => e.field)).toEqual(['limit']);
    expect((await problem('/v1/deliveries?webhookId=not-a-webhook')).errors!.map((e) => e.field)).toEqual(['webhookId']);
    expect((await problem('/v1/deliveries?after=dlv_3M8Q0RZ6V2K9T4W1XH7C5B0N8D')).errors).toEqual([{ field: 'after', message: 'is not a delivery of this account' }]);
    // another account's delivery is no cursor either: it tells nothing about it
    expect((await problem(`/v1/deliveries?after=${otherDelivery}`)).errors).toEqual([{ field: 'after', message: 'is not a delivery of this account' }]);
  });

  it("never lists another account's deliveries", async () => {
    const all = (await allPages('/v1/deliveries', 100)).flat();
    expect(all).not.toContain(otherDelivery);
    expect((await page(`/v1/deliveries?webhookId=${whOther}`)).data).toEqual([]);
    const theirs = await other.read.GET('/v1/deliveries');
    expect(theirs.data!.data.map((d) => d.id)).toEqual([otherDelivery]);
  });

  it('is read by keys of both roles, not by the operator, and not while the plan switch is off', async () => {
    expect((await acme.admin.GET('/v1/deliveries', { params: { query: { limit: 1 } } })).data!.data).toHaveLength(1);
    expect((await acme.read.GET('/v1/deliveries', { params: { query: { limit: 1 } } })).data!.data).toHaveLength(1);
    expect((await get('/v1/deliveries', OPERATOR)).status).toBe(403);
    expect((await fetch(`${api.baseUrl}/v1/deliveries`)).status).toBe(401);
    const off = await api.account('Downgraded', false);
    expect((await off.read.GET('/v1/deliveries')).response.status).toBe(403);
  });
});

describe('GET /v1/deliveries/{deliveryId}', () => {
  it('answers the delivery, its event and its attempts by number, with request, response, duration and error', async () => {
    const r = await acme.read.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: ids[29]! } } });
    expect(r.response.status).toBe(200);
    const d = r.data!;
    expect(d).toMatchObject({ id: ids[29], webhookId: whA, status: 'succeeded', eventType: 'ticket.updated', createdAt: '2026-11-24T10:29:00.000Z' });
    expect(d.event).toEqual(event(acme.id, 29));
    expect(d.attempts.map((a) => a.number)).toEqual([1, 2, 3]);
    const [timeout, unavailable, ok] = d.attempts;
    expect(timeout).toEqual({
      id: expect.stringMatching(/^att_/), number: 1, startedAt: '2026-11-24T10:29:10.000Z', durationMs: 15_000, success: false,
      request: {
        url: 'https://erp.example.com/hooks/herald', method: 'POST', body: '{"entity_id":"1042","action_type":"update"}',
        headers: { 'content-type': 'application/json', authorization: '********', 'x-api-token': '********', 'webhook-id': ids[29] },
      },
      error: { class: 'timeout', message: 'no answer within 15000 ms' },
    });
    expect(timeout).not.toHaveProperty('response');
    expect(unavailable).toMatchObject({
      response: { status: 503, headers: { 'retry-after': '10' }, body: 'x'.repeat(64), truncated: true },
      error: { class: 'http_status', message: 'the endpoint answered 503' },
      success: false,
    });
    expect(ok).toMatchObject({ success: true, response: { status: 200, body: '{"received":true}', truncated: false } });
    expect(ok).not.toHaveProperty('error');
    expect(d).not.toHaveProperty('leaseUntil');
  });

  it('keeps masked headers masked, and masks the always-secret ones even if they were stored in clear', async () => {
    const r = await get(`/v1/deliveries/${ids[29]}`);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('sid=1');
    const third = (r.body as { attempts: Array<{ request: { headers: Record<string, string> } }> }).attempts[2]!;
    expect(third.request.headers).toEqual({ Authorization: '********', cookie: '********', 'x-trace': 'abc' });
  });

  it('answers a delivery without attempts yet with an empty list', async () => {
    const r = await acme.read.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: ids[26]! } } });
    expect(r.data).toMatchObject({ id: ids[26], status: 'pending', attempts: [], attemptCount: 0, nextAttemptAt: '2026-11-24T11:00:00.000Z' });
  });

  it("answers 404 for an unknown delivery and for another account's, 400 for a malformed id", async () => {
    const unknown = await problem('/v1/deliveries/dlv_3M8Q0RZ6V2K9T4W1XH7C5B0N8D', 404);
    expect(unknown).toMatchObject({ code: 'HERALD_NOT_FOUND', detail: 'No delivery dlv_3M8Q0RZ6V2K9T4W1XH7C5B0N8D' });
    const r = await get(`/v1/deliveries/${otherDelivery}`);
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).not.toContain('Other only');
    expect((await problem('/v1/deliveries/not-a-delivery')).errors!.map((e) => e.field)).toEqual(['deliveryId']);
  });
});

describe('GET /v1/deliveries/{deliveryId}/attempts', () => {
  it('lists the attempts by number in one page, as the detail shows them', async () => {
    const list = await acme.read.GET('/v1/deliveries/{deliveryId}/attempts', { params: { path: { deliveryId: ids[29]! } } });
    const detail = await acme.read.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: ids[29]! } } });
    expect(list.data).toEqual({ data: detail.data!.attempts, nextCursor: null });
    expect((await get(`/v1/deliveries/${ids[0]}/attempts`)).body).toEqual({ data: [], nextCursor: null });
    expect((await get(`/v1/deliveries/${otherDelivery}/attempts`)).status).toBe(404);
  });
});

describe('GET /v1/webhooks/{webhookId}/deliveries (the "last 10" view)', () => {
  it("answers the webhook's 10 latest deliveries by default", async () => {
    const r = await acme.read.GET('/v1/webhooks/{webhookId}/deliveries', { params: { path: { webhookId: whA } } });
    expect(r.response.status).toBe(200);
    const ofA = expected((i) => webhookOf(i) === whA);
    expect(r.data!.data.map((d) => d.id)).toEqual(ofA.slice(0, 10));
    expect(r.data!.data.every((d) => d.webhookId === whA)).toBe(true);
    expect(r.data!.nextCursor).toBe(ofA[9]);
  });

  it('takes a limit and pages on with the cursor', async () => {
    expect((await allPages(`/v1/webhooks/${whB}/deliveries`, 3)).flat()).toEqual(expected((i) => i % 3 === 0));
    expect((await page(`/v1/webhooks/${whB}/deliveries?limit=100`)).data).toHaveLength(10);
    expect((await problem(`/v1/webhooks/${whB}/deliveries?limit=101`)).errors!.map((e) => e.field)).toEqual(['limit']);
  });

  it('answers an empty list for a webhook that got nothing yet', async () => {
    expect(await page(`/v1/webhooks/${whEmpty}/deliveries`)).toEqual({ data: [], nextCursor: null });
  });

  it("answers 404 for an unknown webhook and for another account's", async () => {
    expect((await problem('/v1/webhooks/wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H/deliveries', 404)).detail).toBe('No webhook wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H');
    const r = await get(`/v1/webhooks/${whOther}/deliveries`);
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.body)).not.toContain(otherDelivery);
  });
});
