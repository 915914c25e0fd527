import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv, silentLogger } from '@herald/runtime';
import { devEnvSchema, startEmbedded, type Embedded } from './dev.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';
import { startApp, type AppProcess } from '../../../test/app-process.ts';

// herald dev's durable embedded mode (F21): the SQLite store and bus in HERALD_DATA_DIR. No Kafka
// or MongoDB is involved; this file is in the integration project for its child processes and
// time limits.

const J = { 'content-type': 'application/json' };
let dirs: string[] = [];
const newDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'herald-data-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

const devEnv = (dir: string | undefined, extra: Record<string, string> = {}) =>
  parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '-1', HERALD_RETRY_POLL_MS: '100', LOG_LEVEL: 'silent', ...(dir ? { HERALD_DATA_DIR: dir } : {}), ...extra });

async function call(h: { apiUrl: string }, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${h.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : J) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const event = (id: string, entity: string, occurredAt = new Date().toISOString()) => ({
  id,
  type: 'ticket.closed',
  account: 'tenant-7',
  entity: { type: 'ticket', id: entity },
  action: 'update',
  occurredAt,
  data: { ref: `T-${entity}` },
});

describe('herald dev keeps its data in HERALD_DATA_DIR across a restart', () => {
  let herald: Embedded | undefined;
  afterEach(async () => {
    await herald?.stop();
    herald = undefined;
  });

  it('accounts, keys, webhooks, schemas, rules, the log, a pending retry (sent after the restart) and de-duplication claims', async () => {
    const dir = await newDir();
    let up = false;
    const receiver = await startReceiver(() => ({ status: up ? 200 : 503 }));
    try {
      herald = await startEmbedded(devEnv(dir), { logger: silentLogger() });
      const op = herald.adminToken;
      expect((await call(herald, op, 'POST', '/v1/accounts', { id: 'tenant-7', name: 'Seven' })).status).toBe(201);
      const key = (await call(herald, op, 'POST', '/v1/api-keys', { account: 'tenant-7', role: 'admin', name: 'ci' })).json.key as string;
      expect((await call(herald, op, 'POST', '/v1/event-types', { name: 'ticket.closed', description: 'A ticket was closed', example: { ref: 'T-1' } })).status).toBe(201);
      const wh = await call(herald, key, 'POST', '/v1/webhooks', {
        name: 'ERP', url: `${receiver.url}/hooks`, eventTypes: ['ticket.closed'], retry: { schedule: [2] }, dedupWindowSeconds: 3600,
      });
      expect(wh.status).toBe(201);
      const sch = await call(herald, key, 'POST', '/v1/schemas', { name: 'Message 1', contentType: 'text/plain', body: 'Ticket {{ticket:ref}}', eventTypes: ['ticket.closed'] });
      expect(sch.status).toBe(201);
      const rules = await call(herald, key, 'POST', '/v1/rule-groups', {
        name: 'Tickets', rules: [{ name: 'All', eventTypes: ['ticket.closed'], match: 'all', conditions: [], actions: [{ webhook: wh.json.id, schema: sch.json.id }] }],
      });
      expect(rules.status).toBe(201);

      // The first attempt fails (503): the delivery waits for its retry, 2 s later.
      expect((await call(herald, op, 'POST', '/v1/events', event('evt_a', '1'))).status).toBe(202);
      await eventually(async () => (await call(herald!, key, 'GET', `/v1/webhooks/${wh.json.id}/deliveries`)).json.data.length === 2, 'the two deliveries (subscription and rule) to be logged');
      await eventually(async () => {
        const d = (await call(herald!, key, 'GET', `/v1/webhooks/${wh.json.id}/deliveries`)).json.data as { status: string; attemptCount: number }[];
        return d.every((x) => x.status === 'pending' && x.attemptCount >= 1);
      }, 'both deliveries to wait for a retry');
      const before = receiver.received.length;
      await herald.stop();
      herald = undefined;
      up = true;

      herald = await startEmbedded(devEnv(dir), { logger: silentLogger() });
      // The old key, the webhook, the schema, the rule group and the log are all there.
      expect((await call(herald, key, 'GET', '/v1/me')).json).toMatchObject({ kind: 'account', accountId: 'tenant-7' });
      expect((await call(herald, key, 'GET', `/v1/webhooks/${wh.json.id}`)).json).toMatchObject({ name: 'ERP', dedupWindowSeconds: 3600 });
      expect((await call(herald, key, 'GET', `/v1/schemas/${sch.json.id}`)).json).toMatchObject({ name: 'Message 1' });
      expect((await call(herald, key, 'GET', `/v1/rule-groups/${rules.json.id}`)).json).toMatchObject({ name: 'Tickets' });
      // The pending retries made before the restart are sent after it, and succeed.
      await eventually(async () => {
        const d = (await call(herald!, key, 'GET', `/v1/webhooks/${wh.json.id}/deliveries`)).json.data as { status: string }[];
        return d.length === 2 && d.every((x) => x.status === 'succeeded');
      }, 'the retries to be sent after the restart', 30_000);
      expect(receiver.received.length).toBeGreaterThan(before);
      // The de-duplication claim of entity 1 survived: the same entity within the window is suppressed.
      expect((await call(herald, op, 'POST', '/v1/events', event('evt_b', '1'))).status).toBe(202);
      await eventually(async () => {
        const d = (await call(herald!, key, 'GET', '/v1/deliveries?limit=10')).json.data as { eventId: string; status: string }[];
        const b = d.filter((x) => x.eventId === 'evt_b');
        return b.length === 2 && b.every((x) => x.status === 'suppressed');
      }, 'the second event of entity 1 to be suppressed');
    } finally {
      await receiver.close();
    }
  });

  it('shows the same demo API key at every start, and keeps webhook secrets encrypted with a key made at the first start', async () => {
    const dir = await newDir();
    herald = await startEmbedded(devEnv(dir), { logger: silentLogger() });
    const first = herald.demo!.apiKey;
    expect(herald.dataDir).toBe(dir);
    await herald.stop();
    herald = await startEmbedded(devEnv(dir), { logger: silentLogger() });
    expect(herald.demo!.apiKey).toBe(first);
    expect((await call(herald, first, 'GET', '/v1/me')).status).toBe(200);
    for (const f of ['encryption.key', 'dev-api-key']) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    // A revoked demo key is replaced by a new one at the next start.
    const me = (await call(herald, first, 'GET', '/v1/me')).json as { keyId: string; accountId: string };
    expect((await call(herald, herald.adminToken, 'DELETE', `/v1/api-keys/${me.keyId}?account=${me.accountId}`)).status).toBe(204);
    await herald.stop();
    herald = await startEmbedded(devEnv(dir), { logger: silentLogger() });
    expect(herald.demo!.apiKey).not.toBe(first);
    expect((await call(herald, herald.demo!.apiKey, 'GET', '/v1/me')).status).toBe(200);
  });

  it('refuses a HERALD_DATA_DIR that is a file, naming it', async () => {
    const dir = await newDir();
    const file = join(dir, 'herald.db');
    herald = await startEmbedded(devEnv(dir), { logger: silentLogger() });
    await herald.stop();
    herald = undefined;
    await expect(startEmbedded(devEnv(file), { logger: silentLogger() })).rejects.toThrow(`HERALD_DATA_DIR ${file} is not a directory`);
  });

  it('with --memory keeps nothing: a key from before the restart is refused', async () => {
    herald = await startEmbedded(devEnv(undefined), { logger: silentLogger(), memory: true });
    expect(herald.dataDir).toBeUndefined();
    const key = herald.demo!.apiKey;
    await herald.stop();
    herald = await startEmbedded(devEnv(undefined), { logger: silentLogger(), memory: true });
    expect((await call(herald, key, 'GET', '/v1/me')).status).toBe(401);
  });
});

describe('a SIGKILLed herald dev', () => {
  let dev: AppProcess | undefined;
  afterEach(async () => {
    await dev?.kill();
    dev = undefined;
  });

  it('loses no event it had answered 202, and sends each after the restart', async () => {
    const dir = await newDir();
    const receiver = await startReceiver(() => ({ status: 200 }));
    try {
      const env = { HERALD_DATA_DIR: dir, HERALD_DEV_RECEIVER_PORT: '-1', HERALD_RETRY_POLL_MS: '100', LOG_LEVEL: 'warn' };
      dev = await startApp('dev', env);
      const h = { apiUrl: `http://127.0.0.1:${dev.healthPort}` };
      const op = 'herald-dev-admin-token';
      expect((await call(h, op, 'POST', '/v1/accounts', { id: 'tenant-7', name: 'Seven' })).status).toBe(201);
      const key = (await call(h, op, 'POST', '/v1/api-keys', { account: 'tenant-7', role: 'admin', name: 'ci' })).json.key as string;
      expect((await call(h, op, 'POST', '/v1/event-types', { name: 'ticket.closed', description: 'A ticket was closed' })).status).toBe(201);
      expect((await call(h, key, 'POST', '/v1/webhooks', { name: 'ERP', url: `${receiver.url}/hooks`, eventTypes: ['ticket.closed'], dedupWindowSeconds: 0 })).status).toBe(201);

      // Events posted 8 at a time; the process is killed while they are being accepted.
      const acknowledged = new Set<string>();
      let n = 0;
      const post = async () => {
        for (;;) {
          const id = `evt_${n++}`;
          try {
            const r = await call(h, op, 'POST', '/v1/events', event(id, String(n)));
            if (r.status === 202) acknowledged.add(id);
          } catch {
            return; // the process is gone
          }
        }
      };
      const posting = Array.from({ length: 8 }, post);
      await eventually(() => acknowledged.size >= 150, '150 events to be accepted', 60_000);
      await dev.kill('SIGKILL');
      await Promise.all(posting);
      dev = undefined;

      dev = await startApp('dev', env);
      const ids = () => new Set(receiver.received.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id));
      await eventually(() => [...acknowledged].every((id) => ids().has(id)), `every one of the ${acknowledged.size} accepted events to be delivered`, 60_000);
      const missing = [...acknowledged].filter((id) => !ids().has(id));
      expect(missing).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});

describe('herald dev --memory from the CLI', () => {
  it('rejects an unknown option with the usage', async () => {
    await expect(startApp('dev', { HERALD_DEV_RECEIVER_PORT: '-1' }, 'sources', ['--persist'])).rejects.toThrow(/unknown option "--persist"/);
  });
});
