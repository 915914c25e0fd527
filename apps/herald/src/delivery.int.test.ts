/**
 * The delivery engine (issue 6) against the real services, Apache Kafka and MongoDB. Jobs are
 * produced straight to `herald.deliveries` (no matcher), so what is tested is the engine: durable
 * retries on a compressed schedule, the attempt log, a delivery process killed with SIGKILL
 * mid-batch, two instances sharing the work, a deleted webhook's pending retries, and secrets
 * kept out of the log and out of API answers.
 *
 * Each group of tests has its own database and topic prefix: the retry scheduler claims due
 * deliveries of every account in its database, so engines of different tests must not share one.
 * The tests run concurrently (most of their time is waiting: retry delays, leases, a restart),
 * each with webhooks and receiver paths of its own. Every target is a local receiver on
 * 127.0.0.1, the only address the engines' HERALD_ALLOWED_TARGETS admits.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { deliveryIdFor, entityKey, HeraldError, topicNames, type DeliveryJob, type EventEnvelope, type RetryPolicy, type TopicNames, type Webhook } from '@herald/core';
import { createKafkaBus, encodeJson, type Bus } from '@herald/bus';
import { createMongoStore, type DeliveryRepository, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret, TargetGuard, type PluginRegistry } from '@herald/transport';
import { createHeraldClient } from '@herald/api-spec';
import { createConfigApi } from '@herald/config-api';
import { createDeliveryService, type DeliveryService, type DeliveryServiceOptions } from '@herald/delivery';
import { internalMongoConnection } from '../../../packages/store/src/mongo/mongo-store.ts';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { eventually, startReceiver, type Received } from '../../../test/receiver.ts';
import { startApp, type AppProcess } from '../../../test/app-process.ts';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** 13 retries, 0.1 s apart, no jitter: the default schedule's shape, compressed. */
const FAST_RETRIES: RetryPolicy = { schedule: Array.from({ length: 13 }, () => 0.1), jitter: 0 };
const ALLOWED = '127.0.0.1/32';
const encryptionKey = randomBytes(32);
let plugins: PluginRegistry;

/** A database and a topic prefix of one group of tests, with a bus and a store on them. */
interface World {
  name: string;
  dbName: string;
  uri: string;
  topics: TopicNames;
  bus: Bus;
  store: Store;
  close(): Promise<void>;
}

async function makeWorld(label: string): Promise<World> {
  const name = uniqueName(label).replace(/[^a-zA-Z0-9-]/g, '-');
  const dbName = name.replace(/-/g, '_');
  const topics = topicNames(`${name}.`);
  const bus = createKafkaBus({ brokers: kafkaBrokers(), clientId: name });
  const store = createMongoStore({ uri: mongoUri(), dbName, encryptionKey });
  try {
    await store.init();
    await bus.ensureTopics([topics.deliveries, topics.deliveriesDlq, topics.config, topics.operations].map((topic) => ({ topic, partitions: 3 })));
  } catch (err) {
    await Promise.allSettled([bus.close(), store.close()]);
    throw err;
  }
  return {
    name, dbName, topics, bus, store, uri: `${mongoUri().replace(/\/+$/, '')}/${dbName}`,
    async close() {
      await bus.close();
      await store.close();
    },
  };
}

/** One delivery engine in this process, with its own Kafka client, MongoDB connection and sender, as an instance of its own would have. */
interface Engine {
  service: DeliveryService;
  store: Store;
  label: string;
  /** The webhook-id of every request this engine sent, in order. */
  sent: string[];
  stop(): Promise<void>;
}

/** Every request sent by an engine of this file, in order. */
const sendLog: { engine: string; id: string }[] = [];
let engines = 0;

async function startEngine(
  world: World,
  options: Partial<Pick<DeliveryServiceOptions, 'settings' | 'pollIntervalMs' | 'leaseMs' | 'concurrency'>> & { wrapStore?: (s: Store) => Store } = {},
): Promise<Engine> {
  const { wrapStore, ...rest } = options;
  const bus = createKafkaBus({ brokers: kafkaBrokers(), clientId: `${world.name}-engine` });
  const ownStore = createMongoStore({ uri: mongoUri(), dbName: world.dbName, encryptionKey });
  await ownStore.init();
  const sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: ALLOWED }) });
  const sent: string[] = [];
  const label = `engine-${++engines}`;
  const send = sender.send.bind(sender);
  sender.send = (request, opts) => {
    const id = request.headers['webhook-id'] ?? '?';
    sent.push(id);
    sendLog.push({ engine: label, id });
    return send(request, opts);
  };
  const service = createDeliveryService({
    bus, store: wrapStore ? wrapStore(ownStore) : ownStore, sender, plugins, logger: silentLogger(), topics: world.topics, groupId: `${world.name}-delivery`,
    pollIntervalMs: 100, ...rest, settings: { retryPolicy: FAST_RETRIES, ...rest.settings },
  });
  await service.start();
  return {
    service, store: ownStore, sent, label,
    async stop() {
      await service.stop();
      await sender.close();
      await bus.close();
      await ownStore.close();
    },
  };
}

function webhook(account: string, id: string, url: string, extra: Partial<Webhook> = {}): Webhook {
  const now = new Date();
  return {
    id, account, name: id, url, method: 'POST', active: true, eventTypes: [], auth: { type: 'none' }, headers: {}, secret: newSigningSecret(),
    dedupWindowSeconds: 0, createdAt: now, updatedAt: now, ...extra,
  };
}

function event(account: string, id: string, entityId = id): EventEnvelope {
  return {
    id, type: 'ticket.updated', account, entity: { type: 'ticket', id: entityId }, action: 'update', occurredAt: new Date().toISOString(),
    data: { ref: `T-${entityId}` },
  };
}

/** Produces one delivery job per event for `webhookId` (and `schemaId`, default none), as the matcher would; returns the delivery ids. */
async function produceJobs(world: World, webhookId: string, events: EventEnvelope[], schemaId: string | null = null): Promise<string[]> {
  const jobs: DeliveryJob[] = events.map((e) => ({
    deliveryId: deliveryIdFor(e.id, webhookId, schemaId), account: e.account, webhookId, schemaId, event: e, createdAt: new Date().toISOString(), dedupWindowSeconds: 0,
  }));
  await world.bus.publish(world.topics.deliveries, jobs.map((j) => ({ key: entityKey(j.event), value: encodeJson(j) })));
  return jobs.map((j) => j.deliveryId);
}

const idOf = (r: Received) => String(r.headers['webhook-id']);
const requestsFor = (receiver: Receiver, deliveryId: string) => receiver.received.filter((r) => idOf(r) === deliveryId);
/** How many requests each webhook-id got at the receiver. */
function countById(received: readonly Received[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of received) counts.set(idOf(r), (counts.get(idOf(r)) ?? 0) + 1);
  return counts;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  plugins = await loadPlugins();
});

describe.concurrent('retries on a compressed schedule (13 retries, 0.1 s apart)', () => {
  let world: World;
  let engine: Engine;
  let receiver: Receiver;
  const ACC = 'acc_retries';

  beforeAll(async () => {
    // Per delivery: /flaky fails three times, then succeeds; /down always 500; /silent never answers in time.
    receiver = await startReceiver((r) => {
      if (r.path === '/silent') return { status: 200, delayMs: 4_000 };
      if (r.path === '/down') return { status: 500, body: 'still down' };
      return { status: requestsFor(receiver, idOf(r)).length <= 3 ? 500 : 200, body: 'flaky' };
    });
    world = await makeWorld('dlv-retries');
    await world.store.webhooks.upsert(webhook(ACC, 'wh_flaky', `${receiver.url}/flaky`));
    await world.store.webhooks.upsert(webhook(ACC, 'wh_down', `${receiver.url}/down`));
    await world.store.webhooks.upsert(webhook(ACC, 'wh_silent', `${receiver.url}/silent`, { timeoutMs: 1_000 }));
    engine = await startEngine(world);
  });
  afterAll(async () => {
    await engine?.stop();
    await world?.close();
    await receiver?.close();
  });

  it('delivers to a receiver that fails 3 times then succeeds, with 4 attempts logged', async () => {
    const [id] = await produceJobs(world, 'wh_flaky', [event(ACC, 'evt_flaky_1')]);
    await eventually(async () => (await world.store.deliveries.get(ACC, id!))?.status === 'succeeded', 'the delivery to succeed', 30_000);

    const attempts = await world.store.attempts.listForDelivery(ACC, id!);
    expect(attempts.map((a) => a.number)).toEqual([1, 2, 3, 4]);
    for (const a of attempts.slice(0, 3)) {
      expect(a).toMatchObject({ success: false, error: { class: 'http_status' }, response: { status: 500 } });
    }
    expect(attempts[3]).toMatchObject({ success: true, response: { status: 200, body: 'flaky' } });
    expect(attempts[3]!.error).toBeUndefined();
    // The schedule was honoured: each retry came at least 0.1 s after the attempt before it began.
    for (let i = 1; i < 4; i++) expect(attempts[i]!.startedAt.getTime() - attempts[i - 1]!.startedAt.getTime()).toBeGreaterThanOrEqual(100);
    expect(await world.store.deliveries.get(ACC, id!)).toMatchObject({ status: 'succeeded', attempts: 4, nextAttemptAt: null });
    await sleep(700);
    expect(requestsFor(receiver, id!)).toHaveLength(4);
    expect(new Set(requestsFor(receiver, id!).map((r) => r.body)).size).toBe(1);
  });

  it('ends `failed` after exactly 14 attempts (1 + 13 retries), for an endpoint that answers 500 and one that never answers in time', async () => {
    const [down] = await produceJobs(world, 'wh_down', [event(ACC, 'evt_down_1')]);
    const [silent] = await produceJobs(world, 'wh_silent', [event(ACC, 'evt_silent_1')]);
    for (const id of [down!, silent!]) {
      await eventually(async () => (await world.store.deliveries.get(ACC, id))?.status === 'failed', `delivery ${id} to fail`, 60_000, 100);
    }
    await sleep(1_000);
    for (const [id, cls] of [[down!, 'http_status'], [silent!, 'timeout']] as const) {
      expect(await world.store.deliveries.get(ACC, id)).toMatchObject({ status: 'failed', attempts: 14, nextAttemptAt: null });
      const attempts = await world.store.attempts.listForDelivery(ACC, id);
      expect(attempts.map((a) => a.number)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
      for (const a of attempts) {
        expect(a.success).toBe(false);
        expect(a.error?.class, `attempt ${a.number} of ${id}`).toBe(cls);
      }
      expect(requestsFor(receiver, id)).toHaveLength(14);
    }
    const silentAttempts = await world.store.attempts.listForDelivery(ACC, silent!);
    for (const a of silentAttempts) expect(a.durationMs).toBeLessThan(3_000);
  });
});

describe.concurrent('final at the first attempt, on a compressed schedule of 13 retries: a body that is not well-formed, a target outside the allow-list', () => {
  let world: World;
  let engine: Engine;
  let receiver: Receiver;
  const ACC = 'acc_final';

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    world = await makeWorld('dlv-final');
    const now = new Date();
    // Issue 13: a JSON schema that is well-formed only when the event has `n`.
    await world.store.schemas.upsert({
      id: 'sch_n', account: ACC, name: 'n', contentType: 'application/json', body: '{ "n": {{ ticket.n }} }', strict: false, eventTypes: [], createdAt: now, updatedAt: now,
    });
    await world.store.webhooks.upsert(webhook(ACC, 'wh_n', `${receiver.url}/n`, { schema: 'sch_n' }));
    // A loopback address outside the engines' allow-list (127.0.0.1/32): the guard refuses it before connecting.
    await world.store.webhooks.upsert(webhook(ACC, 'wh_refused', `http://127.0.0.2:${new URL(receiver.url).port}/refused`));
    engine = await startEngine(world);
  });
  afterAll(async () => {
    await engine?.stop();
    await world?.close();
    await receiver?.close();
  });

  it('fails a delivery whose JSON schema renders `{ "n":  }` (the event has no n) after 1 attempt, logged as render with the reason, sending nothing', async () => {
    const [bad] = await produceJobs(world, 'wh_n', [event(ACC, 'evt_no_n')], 'sch_n');
    // The same schema with n: sent, so the receiver and the schema do work.
    const [good] = await produceJobs(world, 'wh_n', [{ ...event(ACC, 'evt_with_n'), data: { n: 7 } }], 'sch_n');
    await eventually(async () => (await world.store.deliveries.get(ACC, good!))?.status === 'succeeded', 'the delivery with n to succeed', 30_000);
    await eventually(async () => (await world.store.deliveries.get(ACC, bad!))?.status !== 'pending', 'the delivery without n to end', 30_000);
    // Long enough for the whole schedule (13 × 0.1 s) had it been retried.
    await sleep(2_500);
    const reason = 'the rendered body is not well-formed JSON: line 1, column 9: unexpected "}", expected a value';
    expect(await world.store.deliveries.get(ACC, bad!)).toMatchObject({
      status: 'failed', attempts: 1, nextAttemptAt: null, lastError: `render: ${reason} (not retried: another attempt would fail the same way)`,
    });
    const attempts = await world.store.attempts.listForDelivery(ACC, bad!);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ number: 1, success: false, error: { class: 'render', message: reason }, request: { body: '{ "n":  }' } });
    expect(attempts[0]!.response).toBeUndefined();
    expect(requestsFor(receiver, bad!)).toHaveLength(0);
    expect(requestsFor(receiver, good!).map((r) => JSON.parse(r.body) as unknown)).toEqual([{ n: 7 }]);
    expect(receiver.received.filter((r) => r.path === '/n')).toHaveLength(1);
  });

  it('fails a delivery to a target the SSRF guard refuses after exactly 1 attempt, as a configuration error, and keeps it out of the endpoint\'s health', async () => {
    const [id] = await produceJobs(world, 'wh_refused', [event(ACC, 'evt_refused')]);
    await eventually(async () => (await world.store.deliveries.get(ACC, id!))?.status !== 'pending', 'the refused delivery to end', 30_000);
    await sleep(2_500);
    const delivery = await world.store.deliveries.get(ACC, id!);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
    expect(delivery!.lastError).toBe(
      "ssrf_blocked: 127.0.0.2 is a loopback address (not in HERALD_ALLOWED_TARGETS) (a configuration error, not retried: the target is not allowed (see HERALD_ALLOWED_TARGETS); change the webhook's URL or the allow-list)",
    );
    const attempts = await world.store.attempts.listForDelivery(ACC, id!);
    expect(attempts.map((a) => [a.number, a.success, a.error?.class])).toEqual([[1, false, 'ssrf_blocked']]);
    expect(attempts[0]!.response).toBeUndefined();
    expect(receiver.received.filter((r) => r.path === '/refused')).toHaveLength(0);
    expect((await world.store.webhooks.get(ACC, 'wh_refused'))!.active).toBe(true);
    expect(await world.store.webhookHealth.get(ACC, 'wh_refused')).toEqual({ consecutiveFailures: 0, failingSince: null });
  });
});

describe.concurrent('a delivery instance killed mid-batch', () => {
  let world: World;
  let receiver: Receiver;
  const ACC = 'acc_kill';
  const N = 200;
  const CONCURRENCY = 4;
  let first: AppProcess | undefined;
  let second: AppProcess | undefined;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, delayMs: 25 }));
    world = await makeWorld('dlv-kill');
    await world.store.webhooks.upsert(webhook(ACC, 'wh_kill', `${receiver.url}/kill`));
  });
  afterAll(async () => {
    await first?.kill();
    await second?.kill();
    await world?.close();
    await receiver?.close();
  });

  it('loses nothing when SIGKILLed and restarted: every job is delivered and recorded `succeeded`', async () => {
    const env: Record<string, string> = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      MONGODB_URI: world.uri,
      HERALD_ENCRYPTION_KEY: encryptionKey.toString('hex'),
      HERALD_TOPIC_PREFIX: `${world.name}.`,
      HERALD_TOPIC_PARTITIONS: '3',
      HERALD_DELIVERY_GROUP: `${world.name}-delivery`,
      HERALD_DELIVERY_CONCURRENCY: String(CONCURRENCY),
      // The lease is this + 30 s: an attempt in flight at the kill is taken over after it.
      HERALD_DELIVERY_TIMEOUT_MS: '1000',
      HERALD_RETRY_POLL_MS: '200',
      HERALD_RETRY_SCHEDULE: '0.2,0.2,0.2',
      HERALD_ALLOWED_TARGETS: ALLOWED,
      HERALD_RETENTION_DAYS: '0',
      LOG_LEVEL: 'silent',
    };
    first = await startApp('delivery', env);
    const events = Array.from({ length: N }, (_, i) => event(ACC, `evt_kill_${i}`, String(i % 50)));
    const ids = await produceJobs(world, 'wh_kill', events);
    await eventually(() => receiver.received.length >= 40, '40 requests before the kill', 60_000, 5);
    await first.kill('SIGKILL');
    const atKill = receiver.received.length;
    // Mid-batch: jobs of the batch in hand were not all persisted, let alone sent.
    const persistedAtKill = (await world.store.deliveries.list(ACC, { limit: N + 10 })).length;
    expect(atKill).toBeLessThan(N);
    // Really gone (not only a wrapper process): its health port is closed.
    await expect(fetch(`http://127.0.0.1:${first.healthPort}/healthz`)).rejects.toThrow();
    second = await startApp('delivery', env);

    const pending = new Set(ids);
    try {
      await eventually(async () => {
        for (const d of await world.store.deliveries.list(ACC, { status: 'succeeded', limit: N + 10 })) pending.delete(d.id);
        return pending.size === 0;
      }, 'every delivery recorded as succeeded', 80_000, 500);
    } catch (err) {
      // Say which deliveries are stuck, and how.
      const stuck = await Promise.all([...pending].map(async (id) => ({
        delivery: await world.store.deliveries.get(ACC, id),
        attempts: (await world.store.attempts.listForDelivery(ACC, id)).map((x) => `#${x.number} ${x.success ? 'ok' : x.error?.class}`),
        requests: requestsFor(receiver, id).length,
      })));
      throw new Error(`${(err as Error).message}; after the kill at ${atKill} requests, not succeeded: ${JSON.stringify(stuck)}`);
    }
    await sleep(500);

    const counts = countById(receiver.received);
    for (const id of ids) expect(counts.get(id) ?? 0, `requests for ${id}`).toBeGreaterThanOrEqual(1);
    expect([...counts.keys()].filter((k) => !ids.includes(k))).toEqual([]);
    const duplicates = receiver.received.length - counts.size;
    console.info(`[delivery.int] SIGKILL after ${atKill} of ${N} requests (${persistedAtKill} deliveries persisted): ${receiver.received.length} requests in all, ${duplicates} duplicate(s) ` +
      `(${[...counts].filter(([, n]) => n > 1).map(([id, n]) => `${id}×${n}`).join(', ') || 'none'})`);
    // At least once: only an attempt in flight at the kill may be sent again, so at most the
    // instance's concurrency.
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);
    for (const id of ids) {
      // Logged: a success, attempts numbered 1..n, and no attempt that the receiver did not get.
      const attempts = await world.store.attempts.listForDelivery(ACC, id);
      expect(attempts.some((a) => a.success), `a successful attempt of ${id}`).toBe(true);
      expect(attempts.map((a) => a.number)).toEqual(attempts.map((_, i) => i + 1));
      expect(attempts.length).toBeLessThanOrEqual(counts.get(id)!);
    }
  }, 170_000);

  it('completes a delivery whose outcome could not be recorded once (store error after the attempt was logged), instead of resending it forever', async () => {
    // A transient MongoDB error on the write of the outcome, after the attempt was logged: the
    // same state as a crash between the two writes. The engine says the lease then expires and
    // the scheduler tries again; the delivery must end, not be re-sent at every lease.
    // The first attempt fails (500): the delivery is then in the store, retried under a lease, and
    // the outcome of that retry is the one whose write fails. (A first attempt's outcome is written
    // in bulk with the delivery itself; a failed bulk write is retried: delivery-service.test.ts.)
    const w = await makeWorld('dlv-outcome');
    const rcv = await startReceiver((_r, n) => ({ status: n === 1 ? 500 : 200 }));
    let failures = 0;
    const engine = await startEngine(w, {
      settings: { timeoutMs: 1_000, retryPolicy: { schedule: [0.1, 0.1], jitter: 0 } },
      leaseMs: 1_500,
      wrapStore: (s) => ({ ...s, deliveries: failOutcomeOnce(s.deliveries, () => failures++) }),
    });
    try {
      await w.store.webhooks.upsert(webhook(ACC, 'wh_outcome', `${rcv.url}/outcome`));
      const [id] = await produceJobs(w, 'wh_outcome', [event(ACC, 'evt_outcome_1')]);
      await eventually(() => rcv.received.length >= 1, 'the first request', 30_000);
      // Several leases long.
      await sleep(6_000);
      const delivery = await w.store.deliveries.get(ACC, id!);
      const attempts = await w.store.attempts.listForDelivery(ACC, id!);
      expect(failures).toBe(1);
      const state = `${rcv.received.length} requests; logged: ${attempts.map((x) => `#${x.number} ${x.success ? 'ok' : x.error?.class}`).join(', ')}`;
      expect(delivery?.status, state).toBe('succeeded');
      // At least once allows one resend after the lost outcome; not one per lease.
      expect(rcv.received.length, state).toBeLessThanOrEqual(3);
      expect(attempts.some((x) => x.success), state).toBe(true);
    } finally {
      await engine.stop();
      await rcv.close();
      await w.close();
    }
  });

  it('logs the resend after a lost outcome as an attempt of its own: the log shows the request that succeeded', async () => {
    // As above (the first attempt fails, the retry succeeds and its outcome is lost): the delivery is
    // `succeeded`, and the log, which the API shows, must hold that successful request too.
    const w = await makeWorld('dlv-outcome-log');
    const rcv = await startReceiver((_r, n) => ({ status: n === 1 ? 500 : 200 }));
    const engine = await startEngine(w, {
      settings: { timeoutMs: 1_000, retryPolicy: { schedule: [0.1, 0.1], jitter: 0 } },
      leaseMs: 1_500,
      wrapStore: (s) => ({ ...s, deliveries: failOutcomeOnce(s.deliveries, () => {}) }),
    });
    try {
      await w.store.webhooks.upsert(webhook(ACC, 'wh_outcome_log', `${rcv.url}/outcome`));
      const [id] = await produceJobs(w, 'wh_outcome_log', [event(ACC, 'evt_outcome_log_1')]);
      await eventually(async () => (await w.store.deliveries.get(ACC, id!))?.status === 'succeeded', 'the delivery to succeed', 30_000, 100);
      await sleep(2_000);
      const attempts = await w.store.attempts.listForDelivery(ACC, id!);
      const state = `${rcv.received.length} requests; logged: ${attempts.map((x) => `#${x.number} ${x.success ? 'ok' : x.error?.class}`).join(', ')}`;
      // #1 failed (written with the delivery); #2 succeeded but its outcome was lost; the resend
      // is logged as #3, the request that the delivery's `succeeded` stands on.
      expect(rcv.received.length, state).toBe(3);
      expect(attempts.map((x) => x.number), state).toEqual([1, 2, 3]);
      expect(attempts.map((x) => x.response?.status), state).toEqual([500, 200, 200]);
      expect(await w.store.deliveries.get(ACC, id!)).toMatchObject({ status: 'succeeded', attempts: 3 });
    } finally {
      await engine.stop();
      await rcv.close();
      await w.close();
    }
  });
});

/** The deliveries repository with its first `complete` failing before it writes (a transient store error). */
function failOutcomeOnce(real: DeliveryRepository, onFail: () => void): DeliveryRepository {
  let failed = false;
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'complete') {
        return async (...args: Parameters<DeliveryRepository['complete']>) => {
          if (!failed) {
            failed = true;
            onFail();
            throw new HeraldError('HERALD_UNAVAILABLE', 'MongoDB is unreachable: simulated connection reset');
          }
          return target.complete(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.concurrent('two delivery instances in one group', () => {
  let world: World;
  let receiver: Receiver;
  let a: Engine;
  let b: Engine;
  const ACC = 'acc_two';

  beforeAll(async () => {
    // Each delivery fails its first attempt, so that the retry schedulers of both instances work too.
    receiver = await startReceiver((r) => (r.path === '/slow'
      ? { status: 200, delayMs: requestsFor(receiver, idOf(r)).length === 1 ? 33_000 : 0 }
      : { status: requestsFor(receiver, idOf(r)).length === 1 ? 500 : 200 }));
    world = await makeWorld('dlv-two');
    await world.store.webhooks.upsert(webhook(ACC, 'wh_two', `${receiver.url}/two`, { timeoutMs: 10_000 }));
    // The documented defaults' shape: the engine's timeout (HERALD_DELIVERY_TIMEOUT_MS) 1 s, a
    // webhook's own timeout up to 60 s (the API's maximum).
    await world.store.webhooks.upsert(webhook(ACC, 'wh_slow', `${receiver.url}/slow`, { timeoutMs: 60_000 }));
    a = await startEngine(world, { pollIntervalMs: 50, settings: { timeoutMs: 1_000 } });
    b = await startEngine(world, { pollIntervalMs: 50, settings: { timeoutMs: 1_000 } });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await world?.close();
    await receiver?.close();
  });

  it('never sends the same attempt twice: requests per webhook-id at the receiver equal the attempts logged', async () => {
    const N = 40;
    const ids = await produceJobs(world, 'wh_two', Array.from({ length: N }, (_, i) => event(ACC, `evt_two_${i}`, String(i))));
    const left = new Set(ids);
    await eventually(async () => {
      for (const d of await world.store.deliveries.list(ACC, { status: 'succeeded', webhookId: 'wh_two', limit: N + 10 })) left.delete(d.id);
      return left.size === 0;
    }, 'every delivery recorded as succeeded', 60_000, 200);
    await sleep(1_000);

    const counts = countById(receiver.received.filter((r) => r.path === '/two'));
    let logged = 0;
    for (const id of ids) {
      // Each delivery's first attempt failed (500): at least two, numbered 1..n, one request each.
      const attempts = await world.store.attempts.listForDelivery(ACC, id);
      expect(attempts.length, id).toBeGreaterThanOrEqual(2);
      expect(attempts.map((x) => x.number), id).toEqual(attempts.map((_, i) => i + 1));
      expect(counts.get(id), `requests for ${id}`).toBe(attempts.length);
      logged += attempts.length;
    }
    expect(receiver.received.filter((r) => r.path === '/two')).toHaveLength(logged);
    // Both instances took part, on the Kafka path and in the retry scheduler.
    const ours = (e: Engine) => e.sent.filter((x) => ids.includes(x)).length;
    expect(ours(a) + ours(b)).toBe(logged);
    expect(ours(a)).toBeGreaterThan(0);
    expect(ours(b)).toBeGreaterThan(0);
    const seen = new Set<string>();
    const retriesBy = new Map<string, number>();
    for (const { engine, id } of sendLog.filter((x) => ids.includes(x.id))) {
      if (seen.has(id)) retriesBy.set(engine, (retriesBy.get(engine) ?? 0) + 1);
      seen.add(id);
    }
    // The retries (every request of a delivery after its first) were all sent by the schedulers.
    // Which instance's scheduler takes them is a race (one poll may claim every due delivery):
    // that concurrent claimers get disjoint sets is the store contract's own test.
    expect((retriesBy.get(a.label) ?? 0) + (retriesBy.get(b.label) ?? 0)).toBe(logged - N);
  });

  it('does not send an attempt again while it is still in flight, when the webhook\'s timeout is longer than the engine\'s', async () => {
    // The first request is answered after 33 s, within the webhook's 60 s timeout; a claim's
    // lease is the engine's timeout + 30 s = 31 s, shorter than this attempt may last.
    const [id] = await produceJobs(world, 'wh_slow', [event(ACC, 'evt_slow_1')]);
    await eventually(async () => (await world.store.deliveries.get(ACC, id!))?.status === 'succeeded', 'the slow delivery to succeed', 50_000, 200);
    await sleep(2_500);
    const attempts = await world.store.attempts.listForDelivery(ACC, id!);
    expect({ requests: requestsFor(receiver, id!).length, attempts: attempts.map((x) => x.number) }).toEqual({ requests: 1, attempts: [1] });
  });
});

describe.concurrent('through the config-api: deleted webhooks and secrets', () => {
  const OPERATOR = 'delivery-int-operator-token-0123456789';
  let world: World;
  let engine: Engine;
  let server: Server;
  let baseUrl: string;
  let adminKey: string;
  let account: string;
  let admin: ReturnType<typeof createHeraldClient>;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver((r) => {
      const n = requestsFor(receiver, idOf(r)).length;
      if (r.path === '/failing') return { status: 500, body: 'failing' };
      // The second attempt of an in-flight delete is answered late.
      if (r.path === '/inflight') return { status: 500, body: 'failing', delayMs: n === 2 ? 1_500 : 0 };
      // Secrets: a refusal first (logged with its response), then success.
      return { status: n === 1 ? 401 : 200, body: n === 1 ? 'who are you?' : 'ok' };
    });
    world = await makeWorld('dlv-api');
    const app = createConfigApi({ bus: world.bus, store: world.store, logger: silentLogger(), topics: world.topics, plugins, adminToken: OPERATOR });
    server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const operator = createHeraldClient({ baseUrl, apiKey: OPERATOR });
    account = (await operator.POST('/v1/accounts', { body: { name: 'Delivery engine tests' } })).data!.id;
    adminKey = (await operator.POST('/v1/api-keys', { body: { account, role: 'admin', name: 'tests' } })).data!.key;
    admin = createHeraldClient({ baseUrl, apiKey: adminKey });
    engine = await startEngine(world);
  });
  afterAll(async () => {
    await engine?.stop();
    server?.closeAllConnections();
    if (server) await new Promise((r) => server.close(r));
    await world?.close();
    await receiver?.close();
  });

  async function createWebhook(body: Record<string, unknown>): Promise<{ id: string; text: string }> {
    const res = await fetch(`${baseUrl}/v1/webhooks`, {
      method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ dedupWindowSeconds: 0, ...body }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    return { id: (JSON.parse(text) as { id: string }).id, text };
  }
  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(res.status, path).toBe(200);
    return res.text();
  };
  const slowRetries = { schedule: Array.from({ length: 13 }, () => 2) };

  for (const how of ['deleted', 'deactivated'] as const) {
    it(`stops the pending retries of a ${how} webhook: nothing more is sent, and the delivery is cancelled`, async () => {
      const { id: webhookId } = await createWebhook({ name: `Failing, ${how}`, url: `${receiver.url}/failing`, retry: slowRetries });
      const [id] = await produceJobs(world, webhookId, [event(account, `evt_${how}_1`)]);
      // Between two attempts: the second one failed and its outcome is recorded, the third is due in 2 s.
      await eventually(async () => {
        const d = await world.store.deliveries.get(account, id!);
        return d?.attempts === 2 && d.status === 'pending' && d.leaseUntil === null;
      }, 'two failed attempts recorded', 30_000, 20);
      const before = await world.store.deliveries.get(account, id!);
      const res = how === 'deleted'
        ? await admin.DELETE('/v1/webhooks/{webhookId}', { params: { path: { webhookId } } })
        : await admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId } }, body: { active: false } });
      expect(res.response.status).toBeLessThan(300);
      // On a loaded machine the call may return after the next attempt was due: that attempt may
      // have started before the change (in flight, as in the next test), but none after it.
      const late = Date.now() >= before!.nextAttemptAt!.getTime();
      await sleep(4_500);
      expect(requestsFor(receiver, id!).length).toBeLessThanOrEqual(late ? 3 : 2);
      expect(await world.store.deliveries.get(account, id!)).toMatchObject({ status: 'cancelled', nextAttemptAt: null });
      expect((await world.store.attempts.listForDelivery(account, id!)).length).toBe(requestsFor(receiver, id!).length);
    });
  }

  it('stops a deleted webhook whose attempt was in flight: that attempt\'s outcome does not revive the delivery', async () => {
    const { id: webhookId } = await createWebhook({ name: 'In flight', url: `${receiver.url}/inflight`, retry: slowRetries });
    const [id] = await produceJobs(world, webhookId, [event(account, 'evt_inflight_1')]);
    await eventually(() => requestsFor(receiver, id!).length === 2, 'the second attempt at the receiver', 30_000, 10);
    expect((await admin.DELETE('/v1/webhooks/{webhookId}', { params: { path: { webhookId } } })).response.status).toBe(204);
    await sleep(5_500);
    expect(requestsFor(receiver, id!)).toHaveLength(2);
    expect(await world.store.deliveries.get(account, id!)).toMatchObject({ status: 'cancelled', nextAttemptAt: null });
  });

  it('sends a secret header beside Basic auth, kept by a PATCH without it, logged masked, encrypted in MongoDB', async () => {
    const password = `pw-MARKER-${randomBytes(6).toString('hex')}`;
    const vault = `vault-MARKER-${randomBytes(6).toString('hex')}`;
    const created = await createWebhook({
      name: 'Secret header', url: `${receiver.url}/secret-header`, auth: { type: 'basic', username: 'herald-user', password },
      headers: { 'X-Source': 'herald' }, secretHeaders: { 'X-Vault-Token': vault },
    });
    // Changed through the API without sending it: the value stays.
    const patched = await fetch(`${baseUrl}/v1/webhooks/${created.id}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Secret header (renamed)' }),
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { secretHeaders: unknown }).secretHeaders).toEqual({ 'X-Vault-Token': '********' });

    const [id] = await produceJobs(world, created.id, [event(account, 'evt_secret_header')]);
    await eventually(async () => (await world.store.deliveries.get(account, id!))?.status === 'succeeded', 'the delivery to succeed', 30_000);
    // Both attempts (a 401, then a 200) carried it, with the Basic credentials, to the receiver...
    const got = requestsFor(receiver, id!);
    expect(got).toHaveLength(2);
    for (const r of got) {
      expect(r.headers['x-vault-token']).toBe(vault);
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`herald-user:${password}`).toString('base64')}`);
      expect(r.headers['x-source']).toBe('herald');
    }
    // ... and the log shows it masked, in the store and through the API.
    const attempts = await world.store.attempts.listForDelivery(account, id!);
    expect(attempts.map((a) => [a.request.headers['x-vault-token'], a.request.headers.authorization, a.request.headers['x-source']])).toEqual([
      ['********', '********', 'herald'],
      ['********', '********', 'herald'],
    ]);
    const answers = [created.text, await get(`/v1/webhooks/${created.id}`), await get(`/v1/deliveries/${id}`), await get(`/v1/deliveries/${id}/attempts`)];
    expect(JSON.parse(answers[2]!).attempts[1].request.headers['x-vault-token']).toBe('********');
    for (const text of answers) expect(text).not.toContain(vault);
    // The webhook's document holds it encrypted: neither the name nor the value in clear.
    const doc = JSON.stringify(await internalMongoConnection(world.store).db!.collection('webhooks').findOne({ _id: created.id as never }));
    expect(doc).toContain('"secretHeaders":"enc:v1:');
    expect(doc).not.toContain(vault);
    expect(doc).not.toContain('X-Vault-Token');
  });

  it('keeps secrets out of the stored documents and out of API answers', async () => {
    const marker = (what: string) => `${what}-MARKER-${randomBytes(6).toString('hex')}`;
    const password = marker('pw');
    const token = marker('tok');
    const headerValue = marker('hdr');
    const secrets = [newSigningSecret(), newSigningSecret(), newSigningSecret()] as const;
    const basic = await createWebhook({ name: 'Basic', url: `${receiver.url}/basic`, auth: { type: 'basic', username: 'herald-user', password }, secret: secrets[0] });
    const bearer = await createWebhook({ name: 'Bearer', url: `${receiver.url}/bearer`, auth: { type: 'bearer', token }, secret: secrets[1] });
    const headers = await createWebhook({ name: 'Headers', url: `${receiver.url}/headers`, auth: { type: 'headers', headers: { 'X-Tenant-Secret': headerValue } }, secret: secrets[2] });
    const basicHeader = `Basic ${Buffer.from(`herald-user:${password}`).toString('base64')}`;
    // What must never show: the markers, the Authorization values built from them, the signing secrets (with or without prefix).
    const forbidden = [password, token, headerValue, basicHeader, Buffer.from(`herald-user:${password}`).toString('base64'), ...secrets, ...secrets.map((s) => s.slice('whsec_'.length))];

    const ids = [
      ...(await produceJobs(world, basic.id, [event(account, 'evt_secret_basic')])),
      ...(await produceJobs(world, bearer.id, [event(account, 'evt_secret_bearer')])),
      ...(await produceJobs(world, headers.id, [event(account, 'evt_secret_headers')])),
    ];
    for (const id of ids) {
      await eventually(async () => (await world.store.deliveries.get(account, id))?.status === 'succeeded', `delivery ${id} to succeed`, 30_000);
    }
    // The secrets were really used: the receiver got them, and the signatures check.
    const last = (path: string) => receiver.received.filter((r) => r.path === path).at(-1)!;
    expect(last('/basic').headers.authorization).toBe(basicHeader);
    expect(last('/bearer').headers.authorization).toBe(`Bearer ${token}`);
    expect(last('/headers').headers['x-tenant-secret']).toBe(headerValue);
    for (const [path, secret] of [['/basic', secrets[0]], ['/bearer', secrets[1]], ['/headers', secrets[2]]] as const) {
      expect(new StandardWebhook(secret).verify(last(path).body, last(path).headers as Record<string, string>)).toBeTruthy();
    }

    // Every raw document of the database, read with the native driver.
    const db = internalMongoConnection(world.store).db!;
    const raw: string[] = [];
    for (const c of await db.listCollections().toArray()) {
      for (const doc of await db.collection(c.name).find({}).toArray()) raw.push(`${c.name} ${JSON.stringify(doc)}`);
    }
    expect(raw.filter((d) => d.startsWith('attempts ')).length).toBeGreaterThanOrEqual(6);
    expect(raw.some((d) => d.startsWith('webhooks ') && d.includes(basic.id))).toBe(true);
    for (const d of raw) for (const f of forbidden) expect(d.includes(f), `${f} in ${d.slice(0, 200)}…`).toBe(false);
    // The log still shows the request was authenticated, masked.
    const attempts = await world.store.attempts.listForDelivery(account, ids[2]!);
    expect(attempts.map((a) => a.request.headers['x-tenant-secret'])).toEqual(['********', '********']);

    // Every answer of the API about these webhooks and deliveries.
    const answers = [basic.text, bearer.text, headers.text, await get('/v1/webhooks'), await get('/v1/deliveries?limit=100')];
    for (const w of [basic.id, bearer.id, headers.id]) answers.push(await get(`/v1/webhooks/${w}`), await get(`/v1/webhooks/${w}/deliveries`));
    for (const id of ids) answers.push(await get(`/v1/deliveries/${id}`), await get(`/v1/deliveries/${id}/attempts`));
    const detail = JSON.parse(answers[answers.length - 2]!) as { attempts: unknown[]; status: string };
    expect(detail).toMatchObject({ status: 'succeeded' });
    expect(detail.attempts).toHaveLength(2);
    for (const text of answers) for (const f of forbidden) expect(text.includes(f), `${f} in ${text.slice(0, 200)}…`).toBe(false);
  });
});
