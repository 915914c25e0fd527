/**
 * Chaos: does every event still get delivered when processes die and the endpoint goes away?
 * On the real services: events produced to `herald.events` → two `herald matcher` → two
 * `herald delivery` (each its own process, as deployed) → a local receiver answering 200 at once
 * → each delivery recorded `succeeded` in MongoDB.
 *
 * - BENCH_EVENTS events (default 50,000) produced at BENCH_RATE per second (default 1,000), in
 *   100 ms ticks;
 * - BENCH_KILLS SIGKILLs (default 10) spread evenly over the production time, alternating matcher
 *   and delivery, instance 0 and 1; each killed instance is started again at once;
 * - from the middle of the production on, the receiver refuses connections (its port is closed)
 *   for BENCH_DOWN_S seconds (default 60), then listens again on the same port. The webhook's
 *   retry schedule is short (1, 2, 4, 8, 15, then 30 s), so what failed meanwhile is tried again
 *   soon after;
 * - then it waits (at most BENCH_WAIT_S, default 600 s) until every event's delivery has arrived
 *   and is recorded `succeeded`.
 *
 * A ledger counts every event produced as delivered (arrived at least once) or missing, and every
 * extra arrival as a duplicate (delivery is at least once: duplicates are reported, not a failure).
 * The run is void (`void=1`, exit 1) unless delivered + missing = events, every delivered one is
 * recorded `succeeded`, none ended in another status, and nothing is missing. It brings up Kafka
 * and mongo-java-server if KAFKA_BROKERS and MONGODB_URI are not set (bench/lib/services.ts),
 * stops by itself (at the latest after BENCH_DEADLINE_S, default 1,200 s: then void), and prints
 * its figures last:
 *
 *   events=N delivered=N missing=N duplicates=N kills=N receiver_down_s=N
 *
 * (one line), after a line with the details.
 *
 *   pnpm bench:chaos
 */
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
// Relative imports: the root package does not depend on the workspace packages.
import { deliveryIdFor, entityKey, topicNames, type EventEnvelope, type Webhook } from '../packages/core/src/index.ts';
import { createKafkaBus, encodeJson } from '../packages/bus/src/index.ts';
import { createMongoStore } from '../packages/store/src/index.ts';
import { internalMongoConnection } from '../packages/store/src/mongo/mongo-store.ts';
import { startApp, type AppProcess } from '../test/app-process.ts';
import { acquireServices, type Services } from './lib/services.ts';
import { benchAppEnv, benchDbName } from './lib/app-env.ts';

const log = (line: string): void => {
  process.stderr.write(`[bench:chaos] ${line}\n`);
};
const num = (name: string, fallback: number, min: number) => {
  const v = Number(process.env[name] ?? fallback);
  return Number.isFinite(v) ? Math.max(min, v) : fallback;
};
const N = Math.round(num('BENCH_EVENTS', 50_000, 1));
const RATE = num('BENCH_RATE', 1_000, 1);
const KILLS = Math.round(num('BENCH_KILLS', 10, 0));
const DOWN_S = num('BENCH_DOWN_S', 60, 0);
const WAIT_S = num('BENCH_WAIT_S', 600, 10);
const DEADLINE_S = num('BENCH_DEADLINE_S', 1_200, 60);
const ACCOUNT = 'acc_chaos';
const WEBHOOK = 'wh_01CHAOS00000000000000000000';
const TYPE = 'bench.ticket_changed';
const RETRY_SCHEDULE = [1, 2, 4, 8, 15, 30, 30, 30, 30, 30, 30, 30, 30];
const CHUNK = 2000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The receiver: 200 at once; every arrival counted per `webhook-id`; its port can be closed.

interface Receiver {
  readonly port: number;
  /** Arrivals per delivery id (all of them, for duplicates). */
  readonly arrivals: Map<string, number>;
  posts(): number;
  isUp(): boolean;
  /** Seconds the port has been closed so far (all outages). */
  downSeconds(): number;
  /** Stops listening and drops every connection: connects are refused until `up`. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  let posts = 0;
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    req.resume();
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
      res.writeHead(200, { 'content-length': '2' }).end('ok');
    });
  };
  const listen = async (port: number): Promise<Server> => {
    // The port is free while it is down; something else could take it meanwhile (an app's
    // health server, say): then try for a while before giving up.
    for (let attempt = 0; ; attempt++) {
      const server = createServer(handler);
      server.keepAliveTimeout = 60_000;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        return server;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw err;
        log(`receiver: port ${port} is in use (${attempt + 1}), trying again…`);
        await sleep(200);
      }
    }
  };
  let server: Server | null = await listen(0);
  const port = (server.address() as import('node:net').AddressInfo).port;
  let downSince = 0;
  let downMs = 0;
  const shut = async (s: Server) => {
    const closed = new Promise((r) => s.close(r));
    s.closeAllConnections();
    await closed;
  };
  return {
    port,
    arrivals,
    posts: () => posts,
    isUp: () => server !== null,
    downSeconds: () => (downMs + (downSince ? Date.now() - downSince : 0)) / 1000,
    async down() {
      if (!server) return;
      const s = server;
      server = null;
      downSince = Date.now();
      await shut(s);
    },
    async up() {
      if (server) return;
      server = await listen(port);
      downMs += Date.now() - downSince;
      downSince = 0;
    },
    async close() {
      if (server) await shut(server);
      server = null;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Two instances each of the matcher and the delivery app, killed and started again.

type Role = 'matcher' | 'delivery';

interface Slot {
  role: Role;
  index: number;
  app: AppProcess | null;
  /** Kills and restarts of this slot, one after another. */
  chain: Promise<void>;
  /** Set while this bench kills it (an exit then is expected). */
  killing: boolean;
}

const state = {
  services: null as Services | null,
  receiver: null as Receiver | null,
  slots: [] as Slot[],
  produced: [] as string[],
  recorded: new Set<string>(),
  kills: 0,
  unexpectedExits: 0,
  dropDatabase: null as (() => Promise<unknown>) | null,
  /** Set once the run is over (no app is started again). */
  finished: false,
  /** Set once the last line is out. */
  printed: false,
};

function ledger() {
  const arrivals = state.receiver?.arrivals ?? new Map<string, number>();
  let delivered = 0;
  let missing = 0;
  let duplicates = 0;
  for (const id of state.produced) {
    const a = arrivals.get(id) ?? 0;
    if (a === 0) missing++;
    else {
      delivered++;
      duplicates += a - 1;
    }
  }
  return { events: state.produced.length, delivered, missing, duplicates };
}

function lastLine(extra: Record<string, number> = {}): string {
  const l = ledger();
  const figures = { ...l, kills: state.kills, receiver_down_s: Math.round(state.receiver?.downSeconds() ?? 0), ...extra };
  return `${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
}

/** The global deadline: print what there is, void, and go (the apps killed, the database dropped if it can be). */
async function giveUp(why: string): Promise<never> {
  state.finished = true;
  log(`${why}: printing what there is; this run is void`);
  state.printed = true;
  process.stdout.write(lastLine({ void: 1 }));
  for (const s of state.slots) if (s.app?.child.exitCode === null) s.app.child.kill('SIGKILL');
  await Promise.race([state.dropDatabase?.().catch(() => {}), sleep(10_000)]);
  try {
    state.services?.release();
  } catch {
    // nothing more to do
  }
  process.exit(1);
}

async function main(): Promise<number> {
  const services = acquireServices(log);
  state.services = services;
  const name = `bench-chaos-${Date.now().toString(36)}`;
  const dbName = benchDbName(name);
  const topics = topicNames(`${name}.`);
  const key = randomBytes(32);
  const receiver = await startReceiver();
  state.receiver = receiver;
  const url = `http://127.0.0.1:${receiver.port}/hooks`;
  const bus = createKafkaBus({ brokers: services.kafkaBrokers.split(','), clientId: name });
  const store = createMongoStore({ uri: services.mongoUri, dbName, encryptionKey: key });
  let exitCode = 0;
  try {
    log(`events=${N} rate=${RATE}/s kills=${KILLS} receiver_down_s=${DOWN_S}; receiver on 127.0.0.1:${receiver.port}; database ${dbName}`);
    await store.init();
    state.dropDatabase = () => internalMongoConnection(store).db!.dropDatabase();
    await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 6 })));
    const now = new Date();
    await store.accounts.create({ id: ACCOUNT, name: 'Chaos', webhooksEnabled: true, createdAt: now, updatedAt: now });
    await store.eventTypes.create({ name: TYPE, description: 'bench', archived: false, createdAt: now, updatedAt: now });
    const webhook: Webhook = {
      id: WEBHOOK, account: ACCOUNT, name: 'Chaos', url, method: 'POST', active: true, eventTypes: [TYPE],
      auth: { type: 'none' }, headers: {}, secret: `whsec_${randomBytes(24).toString('base64')}`, dedupWindowSeconds: 0, maxConcurrency: 100,
      retry: { schedule: RETRY_SCHEDULE }, createdAt: now, updatedAt: now,
    };
    await store.webhooks.upsert(webhook);
    const db = internalMongoConnection(store).db!;
    interface DeliveryDoc {
      _id: string;
      status: string;
      attempts?: number;
      lastError?: string;
      nextAttemptAt?: Date | null;
      leaseUntil?: Date | null;
      leaseOwner?: string | null;
    }
    const deliveries = db.collection<DeliveryDoc>('deliveries');
    const attemptsCollection = db.collection<{ _id: string; number: number; success: boolean; startedAt: Date; error?: { class: string; message: string }; response?: { status: number } }>('attempts');

    const env = benchAppEnv(name, services, key, {
      // Endpoint health must not turn the webhook off during the outage.
      HERALD_DISABLE_AFTER_FAILURES: '0',
      HERALD_RETRY_POLL_MS: '200',
    });

    /** Starts the slot's app (a few tries), and watches for exits this bench did not cause. */
    const start = async (slot: Slot): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const t0 = Date.now();
          const app = await startApp(slot.role, env);
          slot.app = app;
          app.child.once('exit', (code, signal) => {
            if (slot.killing || state.finished || slot.app !== app) return;
            state.unexpectedExits++;
            log(`${slot.role}[${slot.index}] exited by itself (code ${code}, signal ${signal}): starting it again`);
            slot.app = null;
            slot.chain = slot.chain.then(() => start(slot)).catch((err) => log(`${slot.role}[${slot.index}] could not be started again: ${(err as Error).message}`));
          });
          log(`${slot.role}[${slot.index}] ready in ${Date.now() - t0} ms (pid ${app.child.pid})`);
          return;
        } catch (err) {
          if (attempt >= 3 || state.finished) throw err;
          log(`${slot.role}[${slot.index}] did not start (${(err as Error).message.slice(0, 300)}); trying again`);
        }
      }
    };
    const killAndRestart = (slot: Slot): Promise<void> => {
      slot.chain = slot.chain.then(async () => {
        if (state.finished) return;
        const app = slot.app;
        if (app && app.child.exitCode === null && app.child.signalCode === null) {
          slot.killing = true;
          await app.kill('SIGKILL');
          slot.killing = false;
          state.kills++;
          log(`kill ${state.kills}: SIGKILL ${slot.role}[${slot.index}] (pid ${app.child.pid}); starting it again`);
        }
        slot.app = null;
        await start(slot);
      }).catch((err) => log(`${slot.role}[${slot.index}] could not be started again: ${(err as Error).message}`));
      return slot.chain;
    };

    log('starting 2 matchers and 2 delivery instances…');
    state.slots = (['matcher', 'delivery'] as const).flatMap((role) => [0, 1].map((index): Slot => ({ role, index, app: null, chain: Promise.resolve(), killing: false })));
    await Promise.all(state.slots.map((s) => start(s)));

    let seq = 0;
    const makeEvents = (count: number): EventEnvelope[] =>
      Array.from({ length: count }, () => {
        const i = seq++;
        const e: EventEnvelope = {
          id: `evt_chaos_${i}`, type: TYPE, account: ACCOUNT, entity: { type: 'ticket', id: String(i) }, action: 'update',
          occurredAt: new Date().toISOString(), data: { ref: `T-${i}`, priority: i % 2 ? 'high' : 'low' }, previous: { priority: 'normal' },
        };
        return e;
      });
    const produce = async (events: EventEnvelope[]) => {
      await bus.publish(topics.events, events.map((e) => ({ key: entityKey(e), value: encodeJson(e) })));
      for (const e of events) state.produced.push(deliveryIdFor(e.id, WEBHOOK, null));
    };

    // Recorded = the delivery's document says `succeeded`. Read by `_id` only (what has arrived
    // and is not yet seen recorded), so the check costs the server the same whatever the log holds.
    const unconfirmed = new Set<string>();
    let checked = 0;
    async function confirm(): Promise<number> {
      for (; checked < state.produced.length; checked++) unconfirmed.add(state.produced[checked]!);
      const arrived = [...unconfirmed].filter((id) => receiver.arrivals.has(id));
      for (let i = 0; i < arrived.length; i += CHUNK) {
        const docs = await deliveries.find({ _id: { $in: arrived.slice(i, i + CHUNK) } }, { projection: { status: 1 } }).toArray();
        for (const d of docs) {
          if (d.status === 'succeeded') {
            state.recorded.add(d._id);
            unconfirmed.delete(d._id);
          }
        }
      }
      return state.recorded.size;
    }

    let phase = 'production';
    const progress = setInterval(() => {
      const l = ledger();
      log(
        `${phase}: produced=${l.events}/${N} arrived=${l.delivered} duplicates=${l.duplicates} recorded=${state.recorded.size} kills=${state.kills} ` +
          `receiver=${receiver.isUp() ? 'up' : 'DOWN'} apps=${state.slots.map((s) => `${s.role[0]}${s.index}:${s.app ? 'up' : '-'}`).join(',')}`,
      );
    }, 10_000);
    progress.unref();

    // --- production, kills and the outage, side by side ---
    const productionMs = (N / RATE) * 1000;
    const t0 = Date.now();
    const side: Promise<void>[] = [];
    const killOrder: Slot[] = Array.from({ length: KILLS }, (_, k) => {
      const role: Role = k % 2 === 0 ? 'matcher' : 'delivery';
      const index = Math.floor(k / 2) % 2;
      return state.slots.find((s) => s.role === role && s.index === index)!;
    });
    killOrder.forEach((slot, k) => {
      const at = ((k + 1) * productionMs) / (KILLS + 1);
      side.push(sleep(at).then(() => killAndRestart(slot)));
    });
    if (DOWN_S > 0) {
      side.push(
        sleep(productionMs / 2).then(async () => {
          log(`receiver: refusing connections for ${DOWN_S} s (port ${receiver.port} closed)`);
          await receiver.down();
          await sleep(DOWN_S * 1000);
          await receiver.up();
          log(`receiver: listening again on port ${receiver.port} after ${receiver.downSeconds().toFixed(1)} s`);
        }),
      );
    }
    log(`production: ${N} events at ${RATE}/s (${(productionMs / 1000).toFixed(1)} s), ${KILLS} kills, the outage from ${(productionMs / 2000).toFixed(1)} s on…`);
    let behindMax = 0;
    for (let tick = 0; state.produced.length < N; tick++) {
      const due = t0 + tick * 100;
      if (due > Date.now()) await sleep(due - Date.now());
      const target = Math.min(N, Math.round((RATE * (tick + 1)) / 10));
      // Catching up after a slow tick: in batches of at most 1000.
      while (state.produced.length < target) await produce(makeEvents(Math.min(1000, target - state.produced.length)));
      behindMax = Math.max(behindMax, Date.now() - (t0 + (tick + 1) * 100));
    }
    const producedIn = Date.now() - t0;
    const producedRate = N / (producedIn / 1000);
    log(`production: ${N} events in ${(producedIn / 1000).toFixed(1)} s (${Math.round(producedRate)}/s; at most ${behindMax} ms behind the schedule)`);
    if (producedRate < RATE * 0.9) log(`production: the machine did not hold ${RATE}/s (${Math.round(producedRate)}/s)`);
    phase = 'kills and outage';
    await Promise.all(side);
    await Promise.all(state.slots.map((s) => s.chain));

    // --- every delivery arrived and recorded ---
    phase = 'waiting';
    log(`waiting (at most ${WAIT_S} s) until every delivery has arrived and is recorded succeeded…`);
    const tWait = Date.now();
    let complete = false;
    while (Date.now() - tWait < WAIT_S * 1000) {
      await confirm();
      if (unconfirmed.size === 0 && state.recorded.size === state.produced.length) {
        complete = true;
        break;
      }
      await sleep(500);
    }
    const settledIn = Date.now() - t0;
    log(complete ? `all ${state.produced.length} recorded succeeded ${((Date.now() - tWait) / 1000).toFixed(1)} s after the chaos (${(settledIn / 1000).toFixed(1)} s after the first event)` : `not complete after ${WAIT_S} s`);
    clearInterval(progress);
    // Late duplicates (a redelivery after a lease ran out) still count.
    await sleep(2_000);
    await confirm();

    // --- the statuses of every produced delivery, by _id ---
    phase = 'ledger';
    const byStatus: Record<string, number> = {};
    const problems: DeliveryDoc[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < state.produced.length; i += CHUNK) {
      const ids = state.produced.slice(i, i + CHUNK);
      const docs = await deliveries.find({ _id: { $in: ids } }, { projection: { status: 1, attempts: 1, lastError: 1, nextAttemptAt: 1, leaseUntil: 1, leaseOwner: 1 } }).toArray();
      for (const d of docs) {
        seen.add(d._id);
        byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
        if (d.status !== 'succeeded' || !receiver.arrivals.has(d._id)) problems.push(d);
      }
    }
    const noDocument = state.produced.filter((id) => !seen.has(id));
    if (noDocument.length > 0) byStatus.no_document = noDocument.length;
    const otherFinal = (byStatus.failed ?? 0) + (byStatus.suppressed ?? 0) + (byStatus.cancelled ?? 0);
    log(`statuses of the ${state.produced.length} deliveries: ${JSON.stringify(byStatus)}`);
    if (problems.length > 0 || noDocument.length > 0) {
      log(`${problems.length} deliveries not succeeded-and-arrived, ${noDocument.length} without a document; the first of them:`);
      for (const d of problems.slice(0, 20)) {
        const n = Math.max(1, (d.attempts ?? 0) + 1);
        const atts = await attemptsCollection.find({ _id: { $in: Array.from({ length: n }, (_, k) => `${d._id}#${k + 1}`) } }).toArray();
        log(
          `  ${d._id} event=evt_chaos_${state.produced.indexOf(d._id)} status=${d.status} attempts=${d.attempts} arrivals=${receiver.arrivals.get(d._id) ?? 0} ` +
            `next=${d.nextAttemptAt?.toISOString?.() ?? d.nextAttemptAt} lease=${d.leaseUntil?.toISOString?.() ?? d.leaseUntil}/${d.leaseOwner} lastError=${JSON.stringify(d.lastError ?? null)} ` +
            `logged=[${atts.map((a) => `#${a.number}:${a.success ? 'ok' : (a.error?.class ?? a.response?.status ?? 'fail')}`).join(' ')}]`,
        );
      }
      for (const id of noDocument.slice(0, 20)) log(`  ${id} event=evt_chaos_${state.produced.indexOf(id)} no delivery document; arrivals=${receiver.arrivals.get(id) ?? 0}`);
    }

    const l = ledger();
    const balanced = l.delivered + l.missing === l.events && state.recorded.size === l.delivered && l.missing === 0 && otherFinal === 0;
    const details = {
      recorded_succeeded: state.recorded.size,
      other_final: otherFinal,
      pending: byStatus.pending ?? 0,
      produced_per_s: Math.round(producedRate),
      settled_s: Number((settledIn / 1000).toFixed(1)),
      posts: receiver.posts(),
      unexpected_exits: state.unexpectedExits,
    };
    log(`ledger: events=${l.events} delivered=${l.delivered} missing=${l.missing} duplicates=${l.duplicates} recorded=${state.recorded.size}${balanced ? '' : ' — UNBALANCED: this run is void'}`);
    process.stdout.write(`${Object.entries(details).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    state.finished = true;
    state.printed = true;
    process.stdout.write(lastLine(balanced ? {} : { void: 1 }));
    if (!balanced) exitCode = 1;
  } finally {
    state.finished = true;
    log('cleaning up…');
    await Promise.all(
      state.slots.map(async (s) => {
        const app = s.app;
        if (!app) return;
        const gone = app.kill('SIGTERM');
        if ((await Promise.race([gone.then(() => true), sleep(15_000).then(() => false)])) === false) await app.kill('SIGKILL');
      }),
    );
    await bus.close().catch(() => {});
    try {
      await internalMongoConnection(store).db?.dropDatabase();
    } catch {
      // the database stays behind; nothing else depends on it
    }
    await store.close().catch(() => {});
    await receiver.close();
    services.release();
  }
  return exitCode;
}

const deadline = setTimeout(() => void giveUp(`the global deadline (${DEADLINE_S} s) passed`), DEADLINE_S * 1000);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void giveUp(`${signal} received`));

// kafkajs and the MongoDB driver leave timers behind: the bench ends itself once its figures are out.
main().then(
  (code) => {
    clearTimeout(deadline);
    process.exit(code);
  },
  (err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    if (!state.printed) process.stdout.write(lastLine({ void: 1 }));
    process.exit(1);
  },
);
