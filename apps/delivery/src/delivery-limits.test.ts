/**
 * The per-webhook concurrency cap and rate limit (F14) in the delivery engine, end to end over
 * the memory bus and store, against loopback receivers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryIdFor, topicNames, type DeliveryJob, type Webhook } from '@herald/core';
import { createMemoryBus, encodeJson, type Bus } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret } from '@herald/transport';
import { createDeliveryService, type DeliveryService, type DeliveryServiceOptions } from './delivery-service.ts';
import { eventually } from '../../../test/receiver.ts';

const topics = topicNames('lim.');
const ACC = 'acc_1';

/** A receiver on 127.0.0.1 that records, per path, when each request came and how many were in flight at most. */
async function startCountingReceiver(delayMsOf: (path: string) => number) {
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const arrivals = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const path = req.url!;
    req.resume();
    req.on('end', () => {
      const n = (inFlight.get(path) ?? 0) + 1;
      inFlight.set(path, n);
      maxInFlight.set(path, Math.max(n, maxInFlight.get(path) ?? 0));
      arrivals.set(path, [...(arrivals.get(path) ?? []), Date.now()]);
      res.on('finish', () => inFlight.set(path, inFlight.get(path)! - 1));
      setTimeout(() => res.writeHead(200).end('ok'), delayMsOf(path));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxInFlight: (path: string) => maxInFlight.get(path) ?? 0,
    arrivals: (path: string) => arrivals.get(path) ?? [],
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let bus: Bus;
let store: Store;
let sender: HttpSender;
let service: DeliveryService | undefined;
let receiver: Awaited<ReturnType<typeof startCountingReceiver>>;

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await sender?.close();
  await receiver?.close();
  await bus?.close();
  await store?.close();
});

function job(eventId: string, webhookId: string): DeliveryJob {
  return {
    deliveryId: deliveryIdFor(eventId, webhookId, null), account: ACC, webhookId, schemaId: null, createdAt: new Date().toISOString(),
    event: { id: eventId, type: 'ticket.created', account: ACC, entity: { type: 'ticket', id: eventId }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {} },
  };
}

function webhook(id: string, path: string, extra: Partial<Webhook> = {}): Webhook {
  return {
    id, account: ACC, name: id, url: `${receiver.url}${path}`, method: 'POST', active: true, eventTypes: [], auth: { type: 'none' }, headers: {},
    secret: newSigningSecret(), dedupWindowSeconds: 0, createdAt: new Date(), updatedAt: new Date(), ...extra,
  };
}

async function setup(delayMsOf: (path: string) => number, hooks: Webhook[] | (() => Webhook[]), options: Partial<DeliveryServiceOptions> = {}) {
  bus = createMemoryBus();
  store = createMemoryStore();
  sender = new HttpSender();
  receiver = await startCountingReceiver(delayMsOf);
  for (const w of typeof hooks === 'function' ? hooks() : hooks) await store.webhooks.upsert(w);
  service = createDeliveryService({
    bus, store, sender, topics, logger: silentLogger(), plugins: await loadPlugins(), pollIntervalMs: 50,
    settings: { timeoutMs: 5_000, retryPolicy: { schedule: [0.05, 0.05], jitter: 0 } }, ...options,
  });
  await service.start();
}

async function publish(webhookId: string, prefix: string, n: number): Promise<string[]> {
  const jobs = Array.from({ length: n }, (_, i) => job(`evt_${prefix}_${i}`, webhookId));
  await bus.publish(topics.deliveries, jobs.map((j) => ({ key: j.event.entity.id, value: encodeJson(j) })));
  return jobs.map((j) => j.deliveryId);
}

async function allSucceeded(ids: string[]): Promise<boolean> {
  for (const id of ids) if ((await store.deliveries.get(ACC, id))?.status !== 'succeeded') return false;
  return true;
}

describe('per-webhook concurrency cap', () => {
  it('never has more of a webhook\'s requests in flight than its cap, hands the overflow back for later, and serves other webhooks meanwhile', async () => {
    // A short lease (3 s, timeout 1 s): a delivery may wait for its turn only ~1.5 s, less than
    // the capped webhook needs for all of them, so the later ones are handed back to the store.
    await setup((path) => (path === '/capped' ? 200 : 0), () => [webhook('wh_capped', '/capped', { maxConcurrency: 2 }), webhook('wh_free', '/free')], {
      leaseMs: 3_000, settings: { timeoutMs: 1_000, retryPolicy: { schedule: [0.05, 0.05], jitter: 0 } },
    });
    // Deliveries handed back unsent, for later: released pending with no attempt made — a stored
    // one through `complete`, a new one (from Kafka, not stored yet) written due later, unleased.
    let handedBack = 0;
    const complete = store.deliveries.complete.bind(store.deliveries);
    store.deliveries.complete = async (account, id, owner, outcome) => {
      if (outcome.status === 'pending' && outcome.attempts === 0) handedBack++;
      return complete(account, id, owner, outcome);
    };
    const insertMany = store.deliveries.insertMany.bind(store.deliveries);
    store.deliveries.insertMany = async (deliveries, lease) => {
      if (!lease) handedBack += deliveries.filter((d) => d.status === 'pending' && !d.attempts && d.nextAttemptAt !== null && d.nextAttemptAt.getTime() > Date.now()).length;
      return insertMany(deliveries, lease);
    };
    // 24 slow deliveries for the capped webhook (2 at a time: about 2.4 s); then 6 for the other one.
    const capped = await publish('wh_capped', 'c', 24);
    const free = await publish('wh_free', 'f', 6);
    await eventually(() => allSucceeded(free), 'the other webhook\'s deliveries', 10_000);
    const freeDoneAt = Date.now();
    await eventually(() => allSucceeded(capped), 'the capped webhook\'s deliveries', 30_000);
    expect(receiver.maxInFlight('/capped')).toBe(2);
    expect(handedBack).toBeGreaterThan(0);
    // The other webhook was not kept waiting behind the capped one.
    expect(freeDoneAt).toBeLessThan(Math.max(...receiver.arrivals('/capped')));
    expect(receiver.arrivals('/free')).toHaveLength(6);
    // Exactly one request per delivery: waiting and handing back sent nothing twice.
    expect(receiver.arrivals('/capped')).toHaveLength(24);
    for (const id of capped) expect((await store.attempts.listForDelivery(ACC, id)).map((a) => a.number)).toEqual([1]);
  });

  it('applies HERALD_WEBHOOK_CONCURRENCY to webhooks that set no cap', async () => {
    await setup(() => 100, () => [webhook('wh_default', '/default')], { webhookConcurrency: 3 });
    const ids = await publish('wh_default', 'd', 12);
    await eventually(() => allSucceeded(ids), 'the deliveries', 20_000);
    expect(receiver.maxInFlight('/default')).toBe(3);
  });
});

describe('per-webhook rate limit', () => {
  it('spaces a webhook\'s requests to its rate, and not another webhook\'s', async () => {
    await setup(() => 0, () => [webhook('wh_slow', '/rated', { rateLimitPerSecond: 5 }), webhook('wh_fast', '/unrated')]);
    const rated = await publish('wh_slow', 'r', 12);
    const unrated = await publish('wh_fast', 'u', 12);
    await eventually(() => allSucceeded(unrated), 'the unlimited webhook\'s deliveries', 10_000);
    await eventually(() => allSucceeded(rated), 'the rate-limited webhook\'s deliveries', 20_000);
    const times = receiver.arrivals('/rated');
    expect(times).toHaveLength(12);
    // At 5/s, 12 requests take at least (12 - 1) / 5 = 2.2 s (allowing for the timer tolerance).
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual(1_800);
    // No second holds more than its share (5, one more at a window's edge, one more for slack).
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(7);
    // The unlimited webhook went at once.
    const other = receiver.arrivals('/unrated');
    expect(other[other.length - 1]! - other[0]!).toBeLessThan(1_500);
  });
});

describe('leases', () => {
  it('re-leases a delivery whose webhook\'s timeout outlasts the engine\'s lease, so a slow answer is not sent twice', async () => {
    // The engine's lease is 2 s (timeout 1 s + 1 s); the webhook may take 3 s and answers after 2.5 s.
    await setup(() => 2_500, () => [webhook('wh_patient', '/patient', { timeoutMs: 3_000 })], { leaseMs: 2_000, settings: { timeoutMs: 1_000 } });
    const [id] = await publish('wh_patient', 'p', 1);
    await eventually(() => allSucceeded([id!]), 'the slow delivery', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.arrivals('/patient')).toHaveLength(1);
    expect((await store.attempts.listForDelivery(ACC, id!)).map((a) => a.number)).toEqual([1]);
  });
});
