/**
 * `herald dev`'s throughput through its durable embedded mode (F21): the SQLite store and bus in
 * a fresh HERALD_DATA_DIR, against the same run with `--memory`.
 *
 * `herald dev` runs as its own process (the production build, apps/herald/dist/bin.js, when it
 * exists; the sources with tsx otherwise), with one account, one event type and one webhook to a
 * receiver on 127.0.0.1 that answers 200 at once. BENCH_EVENTS events (default 3000) are posted
 * to POST /v1/events, 16 at a time, as a product would; a ledger counts each event's arrival at
 * the receiver (missing, duplicates), and the log is then read through the API to check that
 * every delivery is recorded `succeeded`. Figures:
 *
 *   events_per_s     first event posted → last delivery arrived, SQLite
 *   intake_per_s     events answered 202 per second, SQLite
 *   memory_events_per_s, memory_intake_per_s   the same with --memory
 *   missing, duplicates, unrecorded   over both runs (a run with any of them is void: exit 1)
 *   db_mb            the size of the data directory after the SQLite run
 *
 *   pnpm bench:embedded
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startApp } from '../test/app-process.ts';

const log = (line: string) => process.stderr.write(`[bench:embedded] ${line}\n`);
const N = Math.max(100, Number(process.env.BENCH_EVENTS ?? 3000));
const CONCURRENCY = 16;
const OP = 'herald-dev-admin-token';
const TIMEOUT_MS = 300_000;
const built = existsSync(fileURLToPath(new URL('../apps/herald/dist/bin.js', import.meta.url)));

interface Run {
  eventsPerS: number;
  intakePerS: number;
  missing: number;
  duplicates: number;
  unrecorded: number;
}

async function startReceiver(): Promise<{ url: string; arrivals: Map<string, number>; last: () => number; close(): Promise<void> }> {
  const arrivals = new Map<string, number>();
  let lastAt = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_id: string }).event_id;
      arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
      lastAt = performance.now();
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    last: () => lastAt,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  return total;
}

async function run(memory: boolean, dataDir: string): Promise<Run> {
  const receiver = await startReceiver();
  const dev = await startApp(
    'dev',
    { HERALD_DATA_DIR: dataDir, HERALD_DEV_RECEIVER_PORT: '-1', HERALD_ALLOWED_TARGETS: '127.0.0.1/32', LOG_LEVEL: 'warn' },
    built ? 'cli' : 'sources',
    memory ? ['--memory'] : [],
  );
  const api = `http://127.0.0.1:${dev.healthPort}`;
  const pool = new Pool(api, { connections: CONCURRENCY });
  const call = async (token: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? (JSON.parse(text) as any) : undefined };
  };
  try {
    const expect = async (what: string, status: number, r: Promise<{ status: number; json: any }>) => {
      const got = await r;
      if (got.status !== status) throw new Error(`${what}: ${got.status} ${JSON.stringify(got.json)}`);
      return got;
    };
    await expect('account', 201, call(OP, 'POST', '/v1/accounts', { id: 'acc_bench', name: 'Bench' }));
    const key = (await expect('api key', 201, call(OP, 'POST', '/v1/api-keys', { account: 'acc_bench', role: 'admin', name: 'bench' }))).json.key as string;
    await expect('event type', 201, call(OP, 'POST', '/v1/event-types', { name: 'bench.changed', description: 'A benchmark event' }));
    const wh = await call(key, 'POST', '/v1/webhooks', { name: 'Bench', url: `${receiver.url}/hooks`, eventTypes: ['bench.changed'], dedupWindowSeconds: 0 });
    if (wh.status !== 201) throw new Error(`webhook: ${wh.status} ${JSON.stringify(wh.json)}`);

    const occurredAt = new Date().toISOString();
    const started = performance.now();
    let next = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < N) {
          const i = next++;
          const r = await call(OP, 'POST', '/v1/events', {
            id: `evt_${i}`, type: 'bench.changed', account: 'acc_bench', entity: { type: 'ticket', id: String(i) }, action: 'update', occurredAt, data: { n: i },
          });
          if (r.status !== 202) refused++;
        }
      }),
    );
    const intakeS = (performance.now() - started) / 1000;
    if (refused > 0) throw new Error(`${refused} events were not accepted`);
    const deadline = Date.now() + TIMEOUT_MS;
    while (receiver.arrivals.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const eventsS = (receiver.last() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500)); // late duplicates, if any

    // Every delivery recorded succeeded in the log (the store), read through the API.
    let recorded = 0;
    let after: string | undefined;
    for (;;) {
      const page = await call(key, 'GET', `/v1/deliveries?status=succeeded&limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      recorded += (page.json.data as unknown[]).length;
      after = page.json.nextCursor ?? undefined;
      if (!after) break;
    }
    let missing = 0;
    let duplicates = 0;
    for (let i = 0; i < N; i++) {
      const n = receiver.arrivals.get(`evt_${i}`) ?? 0;
      if (n === 0) missing++;
      else duplicates += n - 1;
    }
    return { eventsPerS: N / eventsS, intakePerS: N / intakeS, missing, duplicates, unrecorded: N - recorded };
  } finally {
    await pool.close();
    await dev.kill('SIGTERM');
    await receiver.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-embedded-'));
  try {
    log(`${N} events, ${CONCURRENCY} at a time, herald dev from ${built ? 'the build (node apps/herald/bin/herald.js)' : 'the sources (tsx)'}`);
    const sqlite = await run(false, join(dir, 'data'));
    const dbMb = dirBytes(join(dir, 'data')) / 1024 / 1024;
    log(`SQLite: ${sqlite.eventsPerS.toFixed(0)} events/s end to end, ${sqlite.intakePerS.toFixed(0)}/s accepted, data dir ${dbMb.toFixed(1)} MB`);
    const memory = await run(true, join(dir, 'unused'));
    log(`memory: ${memory.eventsPerS.toFixed(0)} events/s end to end, ${memory.intakePerS.toFixed(0)}/s accepted`);
    const missing = sqlite.missing + memory.missing;
    const duplicates = sqlite.duplicates + memory.duplicates;
    const unrecorded = sqlite.unrecorded + memory.unrecorded;
    const v = missing + duplicates + unrecorded > 0;
    process.stdout.write(
      `events_per_s=${sqlite.eventsPerS.toFixed(0)} intake_per_s=${sqlite.intakePerS.toFixed(0)} memory_events_per_s=${memory.eventsPerS.toFixed(0)} ` +
        `memory_intake_per_s=${memory.intakePerS.toFixed(0)} missing=${missing} duplicates=${duplicates} unrecorded=${unrecorded} db_mb=${dbMb.toFixed(1)}${v ? ' void=1' : ''}\n`,
    );
    if (v) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
