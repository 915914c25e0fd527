/**
 * End-to-end delivery throughput and latency (issue 6), on the real services: events produced to
 * `herald.events` → `herald matcher` → `herald.deliveries` → `herald delivery` (each its own
 * process, as deployed) → a local receiver answering 200 at once → the attempt durable in MongoDB.
 *
 * Three measurements, in one run:
 * - ceiling: a plain undici loop POSTing to the same receiver (what this machine allows at all);
 * - throughput: BENCH_EVENTS events (default 20,000) produced at once; deliveries per second from
 *   the first event produced to the last delivery recorded as succeeded in MongoDB;
 * - latency: 500 events per second for BENCH_SECONDS (default 10, at most 30); p99 of (arrival
 *   at the receiver − the event's occurredAt).
 *
 * A ledger counts every event produced as delivered or missing, and every extra arrival as a
 * duplicate; a run whose counts do not balance is void (it exits 1 and prints `void=1`). It brings
 * up Kafka and FerretDB if KAFKA_BROKERS and MONGODB_URI are not set (bench/lib/services.ts), stops
 * by itself, and prints its figures last:
 *
 *   deliveries_per_s=N p99_ms=N ceiling_per_s=N ratio=N missing=N duplicates=N
 *
 *   pnpm bench:e2e
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
// Relative imports: the root package does not depend on the workspace packages.
import { deliveryIdFor, entityKey, topicNames, type EventEnvelope } from '../packages/core/src/index.ts';
import { createKafkaBus, encodeJson } from '../packages/bus/src/index.ts';
import { createMongoStore } from '../packages/store/src/index.ts';
import { internalMongoConnection } from '../packages/store/src/mongo/mongo-store.ts';
import { startApp, type AppProcess } from '../test/app-process.ts';
import { acquireServices } from './lib/services.ts';

const log = (line: string) => process.stderr.write(`[bench:e2e] ${line}\n`);
const N = Math.max(1000, Number(process.env.BENCH_EVENTS ?? 20_000));
const LATENCY_SECONDS = Math.min(30, Math.max(3, Number(process.env.BENCH_SECONDS ?? 10)));
const LATENCY_RATE = 500;
const CEILING_SECONDS = 5;
const ACCOUNT = 'acc_bench';
const WEBHOOK = 'wh_01BENCH0000000000000000000';
const TYPE = 'bench.ticket_changed';

interface Arrival {
  at: number;
}

/** The receiver: 200 at once, and when each delivery id arrived (every arrival, for duplicates). */
async function startReceiver(): Promise<{ url: string; arrivals: Map<string, Arrival[]>; posts: () => number; close(): Promise<void> }> {
  const arrivals = new Map<string, Arrival[]>();
  let posts = 0;
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    req.resume();
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') {
        const list = arrivals.get(id);
        if (list) list.push({ at });
        else arrivals.set(id, [{ at }]);
      }
      res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    posts: () => posts,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** What the machine allows: a plain undici loop, 64 requests in flight, for a few seconds. */
async function measureCeiling(url: string): Promise<number> {
  const pool = new Pool(url, { connections: 64 });
  const body = JSON.stringify({ event_id: 'evt_ceiling', entity_id: '1', entity_type: 'ticket', action_type: 'update', result: { ref: 'T-1' } });
  const deadline = Date.now() + CEILING_SECONDS * 1000;
  let sent = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (Date.now() < deadline) {
        const r = await pool.request({ path: '/ceiling', method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await r.body.dump();
        if (r.statusCode === 200) sent++;
      }
    }),
  );
  const rate = sent / ((Date.now() - started) / 1000);
  await pool.close();
  return rate;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

async function main(): Promise<number> {
  const services = acquireServices(log);
  const name = `bench-e2e-${Date.now().toString(36)}`;
  const dbName = name.replace(/-/g, '_');
  const topics = topicNames(`${name}.`);
  const key = randomBytes(32);
  const receiver = await startReceiver();
  const bus = createKafkaBus({ brokers: services.kafkaBrokers.split(','), clientId: name });
  const store = createMongoStore({ uri: services.mongoUri, dbName, encryptionKey: key });
  const apps: AppProcess[] = [];
  let exitCode = 0;
  try {
    log(`ceiling: a plain undici loop for ${CEILING_SECONDS} s…`);
    const ceiling = await measureCeiling(receiver.url);
    log(`ceiling_per_s=${Math.round(ceiling)}`);

    await store.init();
    await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 6 })));
    const now = new Date();
    await store.accounts.create({ id: ACCOUNT, name: 'Bench', webhooksEnabled: true, createdAt: now, updatedAt: now });
    await store.eventTypes.create({ name: TYPE, description: 'bench', archived: false, createdAt: now, updatedAt: now });
    await store.webhooks.upsert({
      id: WEBHOOK, account: ACCOUNT, name: 'Bench receiver', url: `${receiver.url}/hooks`, method: 'POST', active: true, eventTypes: [TYPE],
      auth: { type: 'none' }, headers: {}, secret: `whsec_${randomBytes(24).toString('base64')}`, dedupWindowSeconds: 0, maxConcurrency: 100, createdAt: now, updatedAt: now,
    });
    const deliveries = internalMongoConnection(store).db!.collection('deliveries');
    const succeeded = () => deliveries.countDocuments({ webhookId: WEBHOOK, status: 'succeeded' });

    const env: Record<string, string> = {
      KAFKA_BROKERS: services.kafkaBrokers,
      MONGODB_URI: `${services.mongoUri.replace(/\/+$/, '')}/${dbName}`,
      HERALD_ENCRYPTION_KEY: key.toString('hex'),
      HERALD_TOPIC_PREFIX: `${name}.`,
      HERALD_TOPIC_PARTITIONS: '6',
      HERALD_MATCHER_GROUP: `${name}-matcher`,
      HERALD_DELIVERY_GROUP: `${name}-delivery`,
      HERALD_ALLOWED_TARGETS: '127.0.0.1/32',
      HERALD_DELIVERY_CONCURRENCY: process.env.BENCH_DELIVERY_CONCURRENCY ?? '256',
      LOG_LEVEL: 'warn',
    };
    log('starting herald matcher and herald delivery…');
    apps.push(await startApp('matcher', env), await startApp('delivery', env));

    const produced: { event: EventEnvelope; deliveryId: string }[] = [];
    let seq = 0;
    const makeEvents = (count: number): EventEnvelope[] =>
      Array.from({ length: count }, () => {
        const i = seq++;
        const e: EventEnvelope = {
          id: `evt_bench_${i}`, type: TYPE, account: ACCOUNT, entity: { type: 'ticket', id: String(i) }, action: 'update',
          occurredAt: new Date().toISOString(), data: { ref: `T-${i}`, priority: i % 2 ? 'high' : 'low' }, previous: { priority: 'normal' },
        };
        produced.push({ event: e, deliveryId: deliveryIdFor(e.id, WEBHOOK, null) });
        return e;
      });
    const produce = (events: EventEnvelope[]) => bus.publish(topics.events, events.map((e) => ({ key: entityKey(e), value: encodeJson(e) })));

    log('warm-up: 500 events…');
    await produce(makeEvents(500));
    if (!(await waitFor(async () => (await succeeded()) >= 500, 120_000, 250))) {
      const byStatus = await deliveries.aggregate([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
      const stuck = await deliveries.find({ status: { $ne: 'succeeded' } }, { projection: { event: 0 } }).limit(3).toArray();
      const tickets = await internalMongoConnection(store).db!.collection('delivery_lease_tickets').find({ deliveryId: { $in: stuck.map((d) => d._id) } }).toArray();
      throw new Error(`the warm-up did not complete within 2 minutes: receiver got ${receiver.posts()} posts; deliveries by status ${JSON.stringify(byStatus)}; e.g. ${JSON.stringify(stuck)}; tickets ${JSON.stringify(tickets)}; arrivals of the first: ${JSON.stringify(receiver.arrivals.get(String(stuck[0]?._id)))}`);
    }

    log(`throughput: ${N} events produced at once…`);
    const before = await succeeded();
    const t0 = Date.now();
    for (let i = 0; i < N; i += 1000) await produce(makeEvents(Math.min(1000, N - i)));
    const producedIn = Date.now() - t0;
    let tEnd = 0;
    const done = await waitFor(async () => {
      if ((await succeeded()) >= before + N) {
        tEnd = Date.now();
        return true;
      }
      return false;
    }, 60_000 + N * 5, 100);
    if (!done) {
      // The run could not balance within its time limit: report what was measured, as void.
      const recorded = (await succeeded()) - before;
      const rate = recorded / ((Date.now() - t0) / 1000);
      log(`the throughput run did not complete: ${recorded} of ${N} recorded within the limit — this run is void`);
      process.stdout.write(`deliveries_per_s=${Math.round(rate)} p99_ms=NaN ceiling_per_s=${Math.round(ceiling)} ratio=${(rate / ceiling).toFixed(3)} missing=${N - recorded} duplicates=NaN void=1\n`);
      return 1;
    }
    const throughput = N / ((tEnd - t0) / 1000);
    log(`produced in ${producedIn} ms; all recorded after ${tEnd - t0} ms: deliveries_per_s=${Math.round(throughput)}`);

    log(`latency: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s…`);
    const latencyFrom = produced.length;
    const start = Date.now();
    for (let tick = 0; tick < LATENCY_SECONDS * 10; tick++) {
      const due = start + tick * 100;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      await produce(makeEvents(LATENCY_RATE / 10));
    }
    const latencySet = produced.slice(latencyFrom);
    await waitFor(() => latencySet.every((p) => receiver.arrivals.has(p.deliveryId)), 60_000, 100);
    await waitFor(async () => (await succeeded()) >= produced.length, 30_000, 250);
    const latencies = latencySet.flatMap((p) => {
      const a = receiver.arrivals.get(p.deliveryId);
      return a ? [a[0]!.at - Date.parse(p.event.occurredAt)] : [];
    });
    const p99 = percentile(latencies, 99);
    log(`p50_ms=${percentile(latencies, 50)} p99_ms=${p99} max_ms=${Math.max(...latencies)}`);

    // The ledger: every event produced is delivered or missing; extra arrivals are duplicates.
    await new Promise((r) => setTimeout(r, 1_000));
    let delivered = 0;
    let missing = 0;
    let duplicates = 0;
    for (const p of produced) {
      const a = receiver.arrivals.get(p.deliveryId);
      if (!a) missing++;
      else {
        delivered++;
        duplicates += a.length - 1;
      }
    }
    const recorded = await succeeded();
    const balanced = delivered + missing === produced.length && recorded === delivered;
    log(`ledger: produced=${produced.length} delivered=${delivered} missing=${missing} duplicates=${duplicates} recorded_in_mongodb=${recorded}${balanced ? '' : ' — UNBALANCED: this run is void'}`);
    const figures = {
      deliveries_per_s: Math.round(throughput),
      p99_ms: Math.round(p99),
      ceiling_per_s: Math.round(ceiling),
      ratio: Number((throughput / ceiling).toFixed(2)),
      missing,
      duplicates,
      ...(balanced ? {} : { void: 1 }),
    };
    if (!balanced) exitCode = 1;
    process.stdout.write(`${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
  } finally {
    for (const app of apps) await app.kill('SIGTERM');
    await bus.close();
    try {
      await internalMongoConnection(store).db?.dropDatabase();
    } catch {
      // the database stays behind; nothing else depends on it
    }
    await store.close();
    await receiver.close();
    services.release();
  }
  return exitCode;
}

// kafkajs and mongoose leave timers behind: the bench ends itself once its figures are out.
main().then((code) => process.exit(code), (err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
