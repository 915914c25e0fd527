/**
 * Production builds (issue 12): the apps are built (scripts/bundle-app.ts) and run with plain
 * node from the build output, against real Kafka and the test MongoDB server; no tsx or other dev
 * tool runs. Then graceful shutdown: SIGTERM to `herald delivery` (the CLI's build) in the middle
 * of a burst, three times, and SIGTERM to `herald matcher` once: every event is delivered exactly
 * once (0 missing, 0 duplicates), and each stop is logged as a graceful one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';
import { startApp, type AppProcess } from '../../../test/app-process.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APPS = ['herald', 'config-api', 'matcher', 'delivery'] as const;
const OPERATOR = 'compiled-operator-token-0123456789';

function envFor(label: string): Record<string, string> {
  const name = uniqueName(label).replace(/[^a-zA-Z0-9-]/g, '-');
  return {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    MONGODB_URI: `${mongoUri().replace(/\/+$/, '')}/${name.replace(/-/g, '_')}`,
    HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    HERALD_ADMIN_TOKEN: OPERATOR,
    HERALD_TOPIC_PREFIX: `${name}.`,
    HERALD_TOPIC_PARTITIONS: '2',
    HERALD_MATCHER_GROUP: `${name}-matcher`,
    HERALD_DELIVERY_GROUP: `${name}-delivery`,
    HERALD_RETRY_POLL_MS: '200',
    HERALD_ALLOWED_TARGETS: '127.0.0.1/32',
    LOG_LEVEL: 'info',
  };
}

async function post<T>(base: string, path: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** An account, an admin key and a webhook to `url` for `ticket.created`, through the API. */
async function setUp(base: string, url: string): Promise<string> {
  const account = await post<{ id: string }>(base, '/v1/accounts', OPERATOR, { name: 'Compiled' });
  const key = await post<{ key: string }>(base, '/v1/api-keys', OPERATOR, { account: account.id, role: 'admin', name: 'setup' });
  const types = await fetch(`${base}/v1/event-types/ticket.created`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  if (types.status === 404) await post(base, '/v1/event-types', OPERATOR, { name: 'ticket.created', description: 'A ticket was created' });
  await post(base, '/v1/webhooks', key.key, { name: 'Receiver', url, eventTypes: ['ticket.created'] });
  return account.id;
}

function event(account: string, i: number) {
  return { id: `evt_c_${i}`, type: 'ticket.created', account, entity: { type: 'ticket', id: `t-${i}` }, action: 'new', occurredAt: new Date().toISOString(), data: { n: i } };
}

/** Event ids the receiver got, from the default payload's `event_id`. */
function eventIds(received: { body: string }[]): string[] {
  return received.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id);
}

let shipped = '';

beforeAll(() => {
  // Build what the image runs (the README's test command builds them too; this keeps the test
  // honest when run alone).
  const r = spawnSync('pnpm', APPS.flatMap((a) => ['--filter', a === 'herald' ? 'herald' : `@herald/${a}`]).concat(['build']), { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pnpm build failed (${r.status ?? r.error?.message}): ${r.stdout}\n${r.stderr}`);
  // What the image ships (the Dockerfile runs the same script): the bundles and two data packages.
  shipped = mkdtempSync(join(tmpdir(), 'herald-shipped-'));
  const s = spawnSync('bash', [`${ROOT}scripts/ship.sh`, shipped], { cwd: ROOT, encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`scripts/ship.sh failed: ${s.stdout}\n${s.stderr}`);
}, 120_000);

afterAll(() => {
  if (shipped) rmSync(shipped, { recursive: true, force: true });
});

describe('the apps built for production', () => {
  it('builds one bundle per app that needs no dev tool: no tsx, no TypeScript source loaded', () => {
    for (const app of APPS) {
      const bundle = `${ROOT}apps/${app}/dist/bin.js`;
      expect(existsSync(bundle), bundle).toBe(true);
      expect(statSync(bundle).size).toBeGreaterThan(100_000);
      const meta = JSON.parse(readFileSync(`${ROOT}apps/${app}/dist/meta.json`, 'utf8')) as { outputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
      const externals = Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
      // Only Node's own modules and the optional peers stay outside the bundle: nothing that would
      // load TypeScript at run time. (node:sqlite: a Node 22 module undici's optional cache store names.)
      expect(externals.filter((p) => !isBuiltin(p) && p !== 'node:sqlite' && !/kerberos|zstd|aws|gcp-metadata|snappy|socks|mongodb-client-encryption|pino-pretty|better-sqlite3/.test(p))).toEqual([]);
      expect(readFileSync(bundle, 'utf8')).not.toMatch(/from ['"][^'"]*\.ts['"]/);
    }
  });

  it('starts each app from what the image ships (scripts/ship.sh: bundles, no sources) and delivers an event through them', async () => {
    // No TypeScript and no node_modules of dependencies in the shipped folder.
    const files = readdirSync(shipped, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(readdirSync(join(shipped, 'node_modules'))).toEqual(['@herald']);
    const env = envFor('compiled-apps');
    const receiver = await startReceiver(() => ({ status: 200 }));
    const apps: AppProcess[] = [];
    try {
      apps.push(await startApp('config-api', env, { shipped }));
      apps.push(await startApp('matcher', env, { shipped }));
      apps.push(await startApp('delivery', env, { shipped }));
      for (const a of apps) expect(a.child.spawnargs.slice(1)).toEqual([expect.stringMatching(/apps\/(config-api|matcher|delivery)\/dist\/bin\.js$/)]);
      const base = `http://127.0.0.1:${apps[0]!.healthPort}`;
      const account = await setUp(base, `${receiver.url}/hooks`);
      await post(base, '/v1/events', OPERATOR, event(account, 1));
      await eventually(() => receiver.received.length === 1, 'the event at the receiver', 30_000);
      expect(eventIds(receiver.received)).toEqual(['evt_c_1']);
      expect(receiver.received[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    } finally {
      for (const a of apps.reverse()) await a.kill('SIGTERM');
      await receiver.close();
    }
  }, 120_000);

  it('SIGTERM in the middle of a burst, three times to `herald delivery` and once to `herald matcher`: 0 missing, 0 duplicates', async () => {
    const env = envFor('compiled-sigterm');
    // Each answer takes a little while, so that attempts are in flight when the signal comes.
    const receiver = await startReceiver(() => ({ status: 200, delayMs: 15 }));
    const api = await startApp('config-api', env, 'cli');
    let matcher = await startApp('matcher', env, 'cli');
    let delivery = await startApp('delivery', env, 'cli');
    const stops: string[] = [];
    try {
      const base = `http://127.0.0.1:${api.healthPort}`;
      const account = await setUp(base, `${receiver.url}/hooks`);
      const TOTAL = 600;
      let sent = 0;
      const producer = (async () => {
        while (sent < TOTAL) {
          const batch = Array.from({ length: 10 }, (_, k) => event(account, sent + k + 1));
          await Promise.all(batch.map((e) => post(base, '/v1/events', OPERATOR, e)));
          sent += batch.length;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const sigterm = async (which: 'delivery' | 'matcher') => {
        const before = receiver.received.length;
        // In the middle: deliveries are flowing when the signal comes.
        await eventually(() => receiver.received.length > before + 20, `deliveries flowing before the SIGTERM to ${which}`, 30_000, 10);
        const app = which === 'delivery' ? delivery : matcher;
        await app.kill('SIGTERM');
        expect(app.child.exitCode, `herald ${which} exit code after SIGTERM; stderr: ${app.stderr()}`).toBe(0);
        const logs = app.stdout();
        expect(logs).toContain('"msg":"shutting down"');
        expect(logs).toContain('"msg":"stopped"');
        stops.push(which);
        if (which === 'delivery') delivery = await startApp('delivery', env, 'cli');
        else matcher = await startApp('matcher', env, 'cli');
      };
      await sigterm('delivery');
      await sigterm('matcher');
      await sigterm('delivery');
      await sigterm('delivery');
      await producer;
      await eventually(() => new Set(eventIds(receiver.received)).size === TOTAL, `all ${TOTAL} events delivered`, 90_000, 100);
      // Quiet for a moment: a late duplicate would show up now.
      await new Promise((r) => setTimeout(r, 2_000));
      const ids = eventIds(receiver.received);
      const counts = new Map<string, number>();
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      const duplicates = [...counts].filter(([, n]) => n > 1);
      expect(stops).toEqual(['delivery', 'matcher', 'delivery', 'delivery']);
      expect({ delivered: counts.size, duplicates: duplicates.length }).toEqual({ delivered: TOTAL, duplicates: 0 });
    } finally {
      await delivery.kill('SIGTERM');
      await matcher.kill('SIGTERM');
      await api.kill('SIGTERM');
      await receiver.close();
    }
  }, 240_000);
});
