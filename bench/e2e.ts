/**
 * End-to-end delivery throughput, latency and cost, on the real services: events produced to
 * `herald.events` → `herald matcher` → `herald.deliveries` → `herald delivery` (each its own
 * process, as deployed) → a local receiver answering 200 at once → the delivery recorded
 * `succeeded` in MongoDB (every attempt durable before it counts).
 *
 * Measurements, in one run:
 * - ceiling: a plain undici loop POSTing to the same receiver (what this machine allows at all);
 * - throughput: BENCH_EVENTS events (default 20,000) produced at once; deliveries per second from
 *   the first event produced to the last delivery recorded as succeeded in MongoDB; over that
 *   window, the CPU each process used (Herald's two apps, the Kafka broker and the MongoDB server,
 *   when scripts/services.sh runs them) and the MongoDB commands each app sent (their
 *   `herald_store_commands_total` on /metrics), per delivery;
 * - latency: 500 events per second for BENCH_SECONDS (default 10, at most 30); p99 of (arrival
 *   at the receiver − the event's occurredAt);
 * - a grown log: BENCH_PRELOAD (default 200,000) finished deliveries and their attempts written
 *   into the log, then the throughput run again;
 * - a slow endpoint: a second webhook on the same events whose receiver answers after 10 s; 500
 *   events per second for BENCH_SECONDS; the p99 of the first webhook's deliveries meanwhile.
 *
 * A ledger counts every event produced as delivered or missing (first webhook), and every extra
 * arrival as a duplicate; a run whose counts do not balance is void (it exits 1 and prints
 * `void=1`). It brings up Kafka and mongo-java-server if KAFKA_BROKERS and MONGODB_URI are not set
 * (bench/lib/services.ts), stops by itself, and prints its figures last:
 *
 *   deliveries_per_s=N p99_ms=N ceiling_per_s=N ratio=N missing=N duplicates=N store_commands_per_delivery=N
 *   cpu_ms_per_delivery=N log_preloaded_per_s=N slow_endpoint_p99_ms=N
 *
 * (one line), after a line with the per-process figures.
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
import { acquireServices, servicePids } from './lib/services.ts';
import { processCpuSeconds } from './lib/cpu.ts';
import { benchAppEnv, benchDbName } from './lib/app-env.ts';

const log = (line: string) => process.stderr.write(`[bench:e2e] ${line}\n`);
const N = Math.max(1000, Number(process.env.BENCH_EVENTS ?? 20_000));
const LATENCY_SECONDS = Math.min(30, Math.max(3, Number(process.env.BENCH_SECONDS ?? 10)));
const PRELOAD = Math.max(0, Number(process.env.BENCH_PRELOAD ?? 200_000));
const LATENCY_RATE = 500;
const CEILING_SECONDS = 5;
const SLOW_ANSWER_MS = 10_000;
const ACCOUNT = 'acc_bench';
const WEBHOOK = 'wh_01BENCH0000000000000000000';
const SLOW_WEBHOOK = 'wh_01BENCHSLOW00000000000000';
const TYPE = 'bench.ticket_changed';

interface Receiver {
  url: string;
  arrivals: Map<string, number[]>;
  posts: () => number;
  close(): Promise<void>;
}

/** A receiver: 200 after `delayMs` (0: at once), and when each delivery id arrived (every arrival, for duplicates). */
async function startReceiver(delayMs = 0): Promise<Receiver> {
  const arrivals = new Map<string, number[]>();
  let posts = 0;
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    req.resume();
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') {
        const list = arrivals.get(id);
        if (list) list.push(at);
        else arrivals.set(id, [at]);
      }
      const answer = () => res.writeHead(200, { 'content-length': '2' }).end('ok');
      if (delayMs > 0) setTimeout(answer, delayMs).unref();
      else answer();
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

async function scrape(app: AppProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${app.healthPort}/metrics`)).text();
}

/** The sum of an app's `herald_store_commands_total` (all commands), from its /metrics. */
async function storeCommands(app: AppProcess): Promise<number> {
  return Object.values(countersIn(await scrape(app))).reduce((a, b) => a + b, 0);
}

/**
 * A counter of a scrape by one label: the store commands by command (the default) or the attempts
 * by error class (`herald_delivery_attempts_total`, `error_class`), what a run's log line breaks
 * its cost into.
 */
function countersIn(text: string, metric = 'herald_store_commands_total', label = 'command'): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const key = re.exec(line)?.[1] ?? '';
    out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

interface Window {
  end(deliveries: number): Record<string, number>;
}

/** CPU and store commands of every process from now until `end`, per delivery. */
async function costWindow(apps: { name: string; app: AppProcess }[]): Promise<Window & { commands0: number[] }> {
  const procs = [...apps.map((a) => ({ name: a.name, pid: a.app.child.pid! })), ...servicePids()];
  const cpu0 = procs.map((p) => processCpuSeconds(p.pid));
  const commands0 = await Promise.all(apps.map((a) => storeCommands(a.app)));
  return {
    commands0,
    end(deliveries) {
      const out: Record<string, number> = {};
      let all = 0;
      procs.forEach((p, i) => {
        const ms = (processCpuSeconds(p.pid) - cpu0[i]!) * 1000;
        all += ms;
        out[`cpu_ms_per_delivery_${p.name}`] = Number((ms / deliveries).toFixed(3));
      });
      out.cpu_ms_per_delivery = Number((all / deliveries).toFixed(3));
      out.cpu_processes_counted = procs.length;
      return out;
    },
  };
}

async function main(): Promise<number> {
  const services = acquireServices(log);
  const name = `bench-e2e-${Date.now().toString(36)}`;
  const dbName = benchDbName(name);
  const topics = topicNames(`${name}.`);
  const key = randomBytes(32);
  const receiver = await startReceiver();
  const slowReceiver = await startReceiver(SLOW_ANSWER_MS);
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
    const webhook = (id: string, url: string) => ({
      id, account: ACCOUNT, name: `Bench ${id}`, url, method: 'POST' as const, active: true, eventTypes: [TYPE],
      auth: { type: 'none' as const }, headers: {}, secret: `whsec_${randomBytes(24).toString('base64')}`, dedupWindowSeconds: 60, maxConcurrency: 100, createdAt: now, updatedAt: now,
    });
    await store.webhooks.upsert(webhook(WEBHOOK, `${receiver.url}/hooks`));
    const db = internalMongoConnection(store).db!;
    const deliveries = db.collection<{ _id: string; status: string }>('deliveries');

    const env = benchAppEnv(name, services, key);
    log('starting herald matcher and herald delivery…');
    const matcher = await startApp('matcher', env);
    apps.push(matcher);
    const delivery = await startApp('delivery', env);
    apps.push(delivery);

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

    // Recorded = the delivery's document says `succeeded`. Read by `_id` only (what has arrived
    // and is not yet seen recorded), so the check costs the server the same whatever the log holds.
    const recorded = new Set<string>();
    const unconfirmed = new Set<string>();
    let checked = 0;
    async function confirm(): Promise<number> {
      for (; checked < produced.length; checked++) unconfirmed.add(produced[checked]!.deliveryId);
      const arrived = [...unconfirmed].filter((id) => receiver.arrivals.has(id));
      for (let i = 0; i < arrived.length; i += 2000) {
        const docs = await deliveries.find({ _id: { $in: arrived.slice(i, i + 2000) } }, { projection: { status: 1 } }).toArray();
        for (const d of docs) {
          if (d.status === 'succeeded') {
            recorded.add(d._id);
            unconfirmed.delete(d._id);
          }
        }
      }
      return recorded.size;
    }
    const allRecorded = (upTo: number) => async () => (await confirm()) >= upTo && unconfirmed.size === 0;

    log('warm-up: 500 events…');
    await produce(makeEvents(500));
    if (!(await waitFor(allRecorded(500), 120_000, 250))) {
      const byStatus = await deliveries.aggregate([{ $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
      throw new Error(`the warm-up did not complete within 2 minutes: receiver got ${receiver.posts()} posts; ${recorded.size} recorded; deliveries by status ${JSON.stringify(byStatus)}`);
    }

    /** N events at once; deliveries per second until the last is recorded, and what it cost. */
    async function throughputRun(label: string): Promise<{ rate: number; cost: Record<string, number>; commands: number[] } | null> {
      log(`${label}: ${N} events produced at once…`);
      const target = produced.length + N;
      const window = await costWindow([{ name: 'matcher', app: matcher }, { name: 'delivery', app: delivery }]);
      const before = await scrape(delivery);
      const t0 = Date.now();
      for (let i = 0; i < N; i += 1000) await produce(makeEvents(Math.min(1000, N - i)));
      const producedIn = Date.now() - t0;
      let tEnd = 0;
      const done = await waitFor(async () => {
        if (await allRecorded(target)()) {
          tEnd = Date.now();
          return true;
        }
        return false;
      }, 60_000 + N * 5, 100);
      if (!done) {
        log(`${label} did not complete: ${recorded.size} of ${target} recorded within the limit — this run is void`);
        return null;
      }
      const commands1 = await Promise.all([storeCommands(matcher), storeCommands(delivery)]);
      const cost = window.end(N);
      const commands = commands1.map((c, i) => c - window.commands0[i]!);
      const rate = N / ((tEnd - t0) / 1000);
      log(`${label}: produced in ${producedIn} ms; all recorded after ${tEnd - t0} ms: ${Math.round(rate)}/s; store commands matcher=${commands[0]} delivery=${commands[1]}; ${JSON.stringify(cost)}`);
      const after = await scrape(delivery);
      const byClass = (text: string) => countersIn(text, 'herald_delivery_attempts_total', 'error_class');
      log(`${label}: delivery's store commands ${JSON.stringify(delta(countersIn(after), countersIn(before)))}; attempts by error class ${JSON.stringify(delta(byClass(after), byClass(before)))}`);
      return { rate, cost, commands };
    }

    /** `rate` events per second for LATENCY_SECONDS; the p99 of the first webhook's arrivals. */
    async function latencyRun(label: string): Promise<{ p50: number; p99: number }> {
      log(`${label}: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s…`);
      const from = produced.length;
      const start = Date.now();
      for (let tick = 0; tick < LATENCY_SECONDS * 10; tick++) {
        const due = start + tick * 100;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        await produce(makeEvents(LATENCY_RATE / 10));
      }
      const set = produced.slice(from);
      await waitFor(() => set.every((p) => receiver.arrivals.has(p.deliveryId)), 60_000, 100);
      await waitFor(allRecorded(produced.length), 60_000, 250);
      const latencies = set.flatMap((p) => {
        const a = receiver.arrivals.get(p.deliveryId);
        return a ? [a[0]! - Date.parse(p.event.occurredAt)] : [];
      });
      const r = { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
      log(`${label}: p50_ms=${r.p50} p99_ms=${r.p99} max_ms=${Math.max(...latencies)}`);
      return r;
    }

    const first = await throughputRun('throughput');
    if (!first) {
      process.stdout.write(`deliveries_per_s=0 p99_ms=NaN ceiling_per_s=${Math.round(ceiling)} ratio=0 missing=${produced.length - recorded.size} duplicates=NaN void=1\n`);
      return 1;
    }
    const latency = await latencyRun('latency');

    log(`preloading the log with ${PRELOAD} finished deliveries and their attempts…`);
    const attempts = db.collection<{ _id: string }>('attempts');
    const t = new Date(Date.now() - 3_600_000);
    for (let i = 0; i < PRELOAD; i += 2000) {
      const n = Math.min(2000, PRELOAD - i);
      const ids = Array.from({ length: n }, (_, k) => deliveryIdFor(`evt_old_${i + k}`, WEBHOOK, null));
      await attempts.insertMany(
        ids.map((id, k) => ({
          _id: `${id}#1`, id: `att_old_${i + k}`, account: ACCOUNT, deliveryId: id, webhookId: WEBHOOK, number: 1, startedAt: t, durationMs: 2,
          request: { url: `${receiver.url}/hooks`, method: 'POST', headers: '{}', body: '{}' }, response: { status: 200, headers: '{}', body: 'ok', truncated: false }, success: true,
        })),
        { ordered: false },
      );
      await deliveries.insertMany(
        ids.map((id, k) => ({
          _id: id, account: ACCOUNT, webhookId: WEBHOOK, schemaId: null, eventId: `evt_old_${i + k}`, eventType: TYPE, entity: { type: 'ticket', id: `old-${i + k}` },
          event: JSON.stringify({ id: `evt_old_${i + k}` }), status: 'succeeded', attempts: 1, nextAttemptAt: null, leaseUntil: null, leaseOwner: null, leaseGen: 0, createdAt: t, updatedAt: t,
        })) as never[],
        { ordered: false },
      );
    }
    const logSize = await deliveries.estimatedDocumentCount();
    log(`the log holds ${logSize} deliveries`);
    const preloaded = PRELOAD > 0 ? await throughputRun('throughput with the grown log') : first;

    log(`slow endpoint: a second webhook on the same events, answering after ${SLOW_ANSWER_MS / 1000} s…`);
    await store.webhooks.upsert(webhook(SLOW_WEBHOOK, `${slowReceiver.url}/slow`));
    await bus.publish(topics.config, [{ key: ACCOUNT, value: encodeJson({ kind: 'webhook', account: ACCOUNT, id: SLOW_WEBHOOK, at: new Date().toISOString() }) }]);
    // The matchers' plan for the account is dropped by the notice; wait until the slow webhook gets events.
    await produce(makeEvents(10));
    await waitFor(() => slowReceiver.posts() > 0, 30_000, 100);
    const slow = await latencyRun('latency beside the slow endpoint');

    // The ledger (first webhook): every event produced is delivered or missing; extra arrivals are duplicates.
    await new Promise((r) => setTimeout(r, 1_000));
    await confirm();
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
    const balanced = delivered + missing === produced.length && recorded.size === delivered;
    log(`ledger: produced=${produced.length} delivered=${delivered} missing=${missing} duplicates=${duplicates} recorded_in_mongodb=${recorded.size}${balanced ? '' : ' — UNBALANCED: this run is void'}`);
    const perDelivery = (c: number) => Number((c / N).toFixed(4));
    const details = {
      store_commands_per_delivery_matcher: perDelivery(first.commands[0]!),
      store_commands_per_delivery_preloaded: perDelivery(preloaded!.commands[1]!),
      ...Object.fromEntries(Object.entries(first.cost).filter(([k]) => k !== 'cpu_ms_per_delivery')),
      cpu_ms_per_delivery_preloaded: preloaded!.cost.cpu_ms_per_delivery,
      p50_ms: latency.p50,
      slow_endpoint_p50_ms: slow.p50,
      log_size: logSize,
    };
    process.stdout.write(`${Object.entries(details).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    const figures = {
      deliveries_per_s: Math.round(first.rate),
      p99_ms: Math.round(latency.p99),
      ceiling_per_s: Math.round(ceiling),
      ratio: Number((first.rate / ceiling).toFixed(2)),
      missing,
      duplicates,
      store_commands_per_delivery: perDelivery(first.commands[1]!),
      cpu_ms_per_delivery: first.cost.cpu_ms_per_delivery,
      log_preloaded_per_s: Math.round(preloaded!.rate),
      slow_endpoint_p99_ms: Math.round(slow.p99),
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
    await slowReceiver.close();
    services.release();
  }
  return exitCode;
}

// kafkajs and mongoose leave timers behind: the bench ends itself once its figures are out.
main().then((code) => process.exit(code), (err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
