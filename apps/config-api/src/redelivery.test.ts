/**
 * Resend and replay (F13) through the API. Deliveries and attempts are seeded into the store as
 * the delivery engine writes them; what the API must leave behind is a delivery the engine takes
 * again (pending, due now, one more attempt allowed). That the engine then sends it as the next
 * attempt is shown end to end in apps/herald (redelivery.scenario.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Attempt, DeliveryStatus, EventEnvelope } from '@herald/core';
import type { NewDelivery } from '@herald/store';
import { startApiFixture } from './testing/api-fixture.ts';

type Fixture = Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Fixture['account']>>;
type Problem = { status: number; code: string; detail: string; errors?: { field: string; message: string }[] };

let api: Fixture;
let acme: Acc;
let other: Acc;
let webhookId: string;
let seq = 0;

beforeAll(async () => {
  api = await startApiFixture();
  acme = await api.account('Acme');
  other = await api.account('Other');
});
afterAll(() => api?.close());

beforeEach(async () => {
  const w = await acme.admin.POST('/v1/webhooks', { body: { name: 'ERP', url: 'https://erp.example.com/hooks' } });
  webhookId = w.data!.id;
});

function event(account: string, id: string): EventEnvelope {
  return { id, type: 'ticket.updated', account, entity: { type: 'ticket', id: '1042' }, action: 'update', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-1042' } };
}

/** A delivery as the engine leaves it: `attempts` attempts logged, ended in `status`. */
async function seed(status: DeliveryStatus, attempts: number, extra: Partial<NewDelivery> & { account?: string } = {}): Promise<string> {
  seq++;
  const id = `dlv_01M7W5${String(seq).padStart(4, '0')}ABCDEFGHJKMNPQRS`;
  const account = extra.account ?? acme.id;
  const e = event(account, `evt_r${seq}`);
  await api.store.deliveries.insertMany([
    {
      id, account, webhookId: extra.webhookId ?? webhookId, schemaId: null, eventId: e.id, eventType: e.type, entity: e.entity, event: e, status,
      nextAttemptAt: status === 'pending' ? new Date(Date.now() + 60_000) : null, attempts, ...(status === 'failed' ? { lastError: 'http_status: the endpoint answered 500' } : {}),
      ...extra,
    },
  ]);
  for (let n = 1; n <= attempts; n++) {
    const a: Attempt = {
      id: `att_${id}_${n}`, account, deliveryId: id, webhookId: extra.webhookId ?? webhookId, number: n, startedAt: new Date(), durationMs: 10,
      request: { url: 'https://erp.example.com/hooks', method: 'POST', headers: { authorization: '********' }, body: '{}' },
      response: { status: 500, headers: {}, body: 'no', truncated: false }, error: { class: 'http_status', message: 'the endpoint answered 500' }, success: false,
    };
    await api.store.attempts.insert(a);
  }
  return id;
}

async function post(path: string, body?: unknown, key = acme.adminKey.key): Promise<{ status: number; json: any }> {
  const res = await fetch(api.baseUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

const resend = (id: string, key?: string) => post(`/v1/deliveries/${id}/resend`, undefined, key);
const replay = (body: unknown, id = webhookId) => post(`/v1/webhooks/${id}/replay`, body);

describe('POST /v1/deliveries/{id}/resend', () => {
  it('puts a failed delivery back to pending, due now, for one more attempt; its attempts stay', async () => {
    const id = await seed('failed', 14);
    const before = Date.now();
    const r = await resend(id);
    expect(r.status).toBe(200);
    const d = r.json.delivery;
    expect(d).toMatchObject({ id, webhookId, status: 'pending', attemptCount: 14, lastError: 'http_status: the endpoint answered 500' });
    expect(Date.parse(d.nextAttemptAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(d.nextAttemptAt)).toBeLessThanOrEqual(Date.now());
    expect(d.attempts.map((a: { number: number }) => a.number)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(d).not.toHaveProperty('test');

    // What the engine finds: due now, claimable, with room for exactly attempt 15.
    expect(await api.store.deliveries.get(acme.id, id)).toMatchObject({ status: 'pending', attempts: 14, attemptLimit: 15, leaseUntil: null });
    const claimed = await api.store.deliveries.claim(acme.id, id, 'engine', 30_000);
    expect(claimed).toMatchObject({ attempts: 14, attemptLimit: 15 });
  });

  it('resends every final status: succeeded, cancelled and suppressed ("send it anyway") too', async () => {
    for (const status of ['succeeded', 'cancelled', 'suppressed'] as const) {
      const id = await seed(status, status === 'suppressed' ? 0 : 1, status === 'suppressed' ? { suppressedBy: 'dlv_01M7W5ZZZZABCDEFGHJKMNPQRS' } : {});
      const r = await resend(id);
      expect(r.status, status).toBe(200);
      expect(r.json.delivery, status).toMatchObject({ status: 'pending', attemptCount: status === 'suppressed' ? 0 : 1 });
    }
  });

  it('answers 409 for a pending delivery, and for a second resend', async () => {
    const pending = await seed('pending', 1);
    const r = await resend(pending);
    expect(r.status).toBe(409);
    expect((r.json as Problem).detail).toMatch(/is pending already/);

    const failed = await seed('failed', 2);
    expect((await resend(failed)).status).toBe(200);
    const again = await resend(failed);
    expect(again.status).toBe(409);
    expect((again.json as Problem).detail).toMatch(/is pending already/);
    expect(await api.store.deliveries.get(acme.id, failed)).toMatchObject({ attempts: 2, attemptLimit: 3 });
  });

  it('lets one of several concurrent resends win; the others get 409', async () => {
    const id = await seed('failed', 3);
    const results = await Promise.all([1, 2, 3, 4].map(() => resend(id)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
  });

  it('answers 409 naming the webhook when it was deleted or is inactive', async () => {
    const id = await seed('failed', 1);
    await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId } }, body: { active: false } });
    const inactive = await resend(id);
    expect(inactive.status).toBe(409);
    expect((inactive.json as Problem).detail).toBe(`The webhook ${webhookId} of delivery ${id} is inactive; turn it on before resending`);

    await acme.admin.DELETE('/v1/webhooks/{webhookId}', { params: { path: { webhookId } } });
    const gone = await resend(id);
    expect(gone.status).toBe(409);
    expect((gone.json as Problem).detail).toBe(`The webhook ${webhookId} of delivery ${id} was deleted; there is nothing to resend it to`);
    expect((await api.store.deliveries.get(acme.id, id))?.status).toBe('failed');
  });

  it("answers 404 for an unknown delivery or another account's, and 403 to a read key", async () => {
    expect((await resend('dlv_3M8Q0RZ6V2K9T4W1XH7C5B0N8D')).status).toBe(404);
    const ow = await other.admin.POST('/v1/webhooks', { body: { name: 'O', url: 'https://o.example.com' } });
    const theirs = await seed('failed', 1, { account: other.id, webhookId: ow.data!.id });
    expect((await resend(theirs)).status).toBe(404);
    expect((await api.store.deliveries.get(other.id, theirs))?.status).toBe('failed');
    const mine = await seed('failed', 1);
    expect((await resend(mine, acme.readKey.key)).status).toBe(403);
    expect((await api.store.deliveries.get(acme.id, mine))?.status).toBe('failed');
  });
});

describe('POST /v1/webhooks/{id}/replay', () => {
  /** Seeds a delivery created at `at`. */
  const at = (iso: string) => ({ createdAt: new Date(iso) });

  it('requeues the failed deliveries of the webhook created in [since, until), and only those', async () => {
    const otherHook = (await acme.admin.POST('/v1/webhooks', { body: { name: 'Other', url: 'https://x.example.com' } })).data!.id;
    const inside = [await seed('failed', 14, at('2026-11-24T10:00:00Z')), await seed('failed', 2, at('2026-11-24T10:30:00Z'))];
    const outside = [
      await seed('failed', 14, at('2026-11-24T09:59:59.999Z')),
      await seed('failed', 14, at('2026-11-24T11:00:00Z')),
      await seed('succeeded', 1, at('2026-11-24T10:10:00Z')),
      await seed('pending', 1, at('2026-11-24T10:10:00Z')),
      await seed('failed', 1, { ...at('2026-11-24T10:10:00Z'), test: true }),
      await seed('failed', 3, { ...at('2026-11-24T10:10:00Z'), webhookId: otherHook }),
    ];
    const untouched = await Promise.all(outside.map((id) => api.store.deliveries.get(acme.id, id)));

    const r = await replay({ since: '2026-11-24T10:00:00Z', until: '2026-11-24T11:00:00Z' });
    expect(r).toEqual({ status: 200, json: { requeued: 2 } });
    expect(await api.store.deliveries.get(acme.id, inside[0]!)).toMatchObject({ status: 'pending', attempts: 14, attemptLimit: 15 });
    expect(await api.store.deliveries.get(acme.id, inside[1]!)).toMatchObject({ status: 'pending', attempts: 2, attemptLimit: 3 });
    expect(await Promise.all(outside.map((id) => api.store.deliveries.get(acme.id, id)))).toStrictEqual(untouched);

    // Replayed once: they are pending now, so nothing more matches.
    expect((await replay({ since: '2026-11-24T10:00:00Z', until: '2026-11-24T11:00:00Z' })).json).toEqual({ requeued: 0 });
    // Without `until`, up to now; another status on request.
    expect((await replay({ since: '2026-11-24T10:00:00Z' })).json).toEqual({ requeued: 1 });
    expect((await replay({ since: '2026-11-24T00:00:00Z', status: 'succeeded' })).json).toEqual({ requeued: 1 });
    expect((await api.store.deliveries.get(acme.id, outside[2]!))?.status).toBe('pending');
  });

  it('answers 400 without since, for until before since, or a status that is not final', async () => {
    const missing = await replay({});
    expect(missing.status).toBe(400);
    expect((missing.json as Problem).errors).toEqual([{ field: '/since', message: 'is required' }]);
    const backwards = await replay({ since: '2026-11-24T10:00:00Z', until: '2026-11-24T09:00:00Z' });
    expect(backwards.status).toBe(400);
    expect((backwards.json as Problem).errors).toEqual([{ field: '/until', message: 'must not be before since' }]);
    expect((await replay({ since: '2026-11-24T10:00:00Z', status: 'pending' })).status).toBe(400);
    expect((await replay({ since: 'yesterday' })).status).toBe(400);
  });

  it('answers 409 for an inactive webhook, 404 for an unknown one, and requeues nothing', async () => {
    const id = await seed('failed', 1, at('2026-11-24T10:00:00Z'));
    await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId } }, body: { active: false } });
    const r = await replay({ since: '2026-11-24T00:00:00Z' });
    expect(r.status).toBe(409);
    expect((r.json as Problem).detail).toBe(`The webhook ${webhookId} is inactive; turn it on before replaying its deliveries`);
    expect((await api.store.deliveries.get(acme.id, id))?.status).toBe('failed');
    expect((await replay({ since: '2026-11-24T00:00:00Z' }, 'wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H')).status).toBe(404);
  });
});
