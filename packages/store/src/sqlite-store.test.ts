import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeraldError, type Attempt, type PayloadSchema, type RuleGroup, type Webhook } from '@herald/core';
import type { Account, ApiKey, EventType } from './entities.ts';
import type { NewDelivery, Store } from './repositories.ts';
import { createSqliteStore } from './index.ts';
import { internalSqliteDatabase } from './sqlite/sqlite-store.ts';
import { KILL_CHILD_ACCOUNT, KILL_CHILD_KEY, KILL_CHILD_T0, killChildSecret } from './sqlite/kill-child.fixture.ts';
import { storeContract } from './store.contract.ts';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../../..');
const KILL_CHILD = join(here, 'sqlite', 'kill-child.fixture.ts');

/** A fresh directory under the system's temp directory, removed by `removeAll`. */
const made: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-'));
  made.push(dir);
  return dir;
}
function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

storeContract('sqlite', async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-'));
  const path = join(dir, 'herald.db');
  try {
    return {
      store: createSqliteStore({ path, ...options }),
      // Another connection to the same file, as a restart with other options opens it.
      reopen: async (other) => createSqliteStore({ path, ...other }),
      rawWebhook: async (s, account, id) => {
        const row = internalSqliteDatabase(s).prepare('SELECT * FROM webhooks WHERE account = ? AND id = ?').get(account, id);
        return row === undefined ? null : JSON.stringify(row);
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
});

// --- fixtures -----------------------------------------------------------------------------------

const ACC = 'acc_durable';
const KEY = Buffer.alloc(32, 9);
const OTHER_KEY = Buffer.alloc(32, 8);
const T0 = new Date('2031-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const SECRET = 'whsec_ZHVyYWJsZSBzZWNyZXQ=';
const PASSWORD = 'pw-durable-value';

function delivery(id: string, overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    account: ACC,
    webhookId: 'wh_1',
    schemaId: 'sch_1',
    eventId: `evt_${id}`,
    eventType: 'ticket.updated',
    entity: { type: 'ticket', id: '1042' },
    event: {
      id: `evt_${id}`,
      type: 'ticket.updated',
      account: ACC,
      entity: { type: 'ticket', id: '1042' },
      action: 'update',
      occurredAt: '2031-03-01T09:59:59Z',
      data: { 'dotted.key': [[1], []], $odd: { x: null }, text: 'Grüße 😀' },
    },
    status: 'pending',
    nextAttemptAt: at(0),
    createdAt: at(-10_000),
    ...overrides,
  };
}

function attempt(deliveryId: string, number: number): Attempt {
  return {
    id: `att_${deliveryId}_${number}`,
    account: ACC,
    deliveryId,
    webhookId: 'wh_1',
    number,
    startedAt: at(number * 1000),
    durationMs: 120,
    request: { url: 'https://example.com/hook', method: 'POST', headers: { 'x.dotted': 'v', $odd: 'w' }, body: '{"ref":"T-1042"}' },
    response: { status: 503, headers: { 'retry-after': '5' }, body: 'busy', truncated: false },
    success: false,
  };
}

const webhook: Webhook = {
  id: 'wh_1',
  account: ACC,
  name: 'ERP',
  description: 'Sends tickets to the ERP',
  url: 'https://erp.example.com/hook',
  method: 'PUT',
  active: true,
  eventTypes: ['ticket.updated', 'ticket.created'],
  projects: ['prj_1'],
  auth: { type: 'basic', username: 'erp-user', password: PASSWORD },
  headers: { 'X-Tenant': 'acme' },
  secret: SECRET,
  previousSecrets: [{ secret: 'whsec_b2xkIHNlY3JldA==', expiresAt: at(86_400_000) }],
  schema: 'sch_1',
  dedupWindowSeconds: 60,
  retry: { schedule: [5, 30] },
  timeoutMs: 10_000,
  maxConcurrency: 4,
  createdAt: at(-100_000),
  updatedAt: at(-50_000),
};
const account: Account = { id: ACC, name: 'Durable Ltd', webhooksEnabled: true, createdAt: at(-200_000), updatedAt: at(-100_000) };
const activeKey: ApiKey = { id: 'key_1', account: ACC, name: 'CI', role: 'admin', hash: 'a'.repeat(64), prefix: 'hk_abcd', createdAt: at(-90_000), revokedAt: null, lastUsedAt: at(-1_000) };
const revokedKey: ApiKey = { ...activeKey, id: 'key_2', name: 'old', role: 'read', hash: 'b'.repeat(64), revokedAt: at(-5_000), lastUsedAt: null };
const schema: PayloadSchema = {
  id: 'sch_1', account: ACC, name: 'ERP payload', contentType: 'application/json', body: '{ "ref": {{ticket:ref}} }', strict: true,
  eventTypes: ['ticket.updated'], createdAt: at(-80_000), updatedAt: at(-70_000),
};
const ruleGroup: RuleGroup = {
  id: 'rg_1', account: ACC, name: 'Priority', position: 1, active: true, createdAt: at(-60_000), updatedAt: at(-60_000),
  rules: [{
    id: 'r_1', name: 'High', eventTypes: ['ticket.updated'], match: 'all', stopRules: false, stopGroups: false,
    conditions: [{ field: 'data.priority', op: 'equals', value: { 'a.b': [[1]] } }], actions: [{ webhook: 'wh_1', schema: 'sch_1' }],
  }],
};
const eventType: EventType = {
  name: 'ticket.updated', description: 'A ticket changed', archived: false, schema: { $schema: 'x', type: 'object' }, example: { ref: 'T-1' },
  createdAt: at(-300_000), updatedAt: at(-300_000),
};

// --- durability across close and reopen ---------------------------------------------------------

describe('SQLite store: data survives close and reopen', () => {
  let path: string;
  afterEach(removeAll);
  beforeEach(() => {
    path = join(tempDir(), 'nested', 'dir', 'herald.db');
  });

  /** `null` = no key. */
  async function open(encryptionKey: Buffer | null = KEY): Promise<Store> {
    const store = createSqliteStore(encryptionKey === null ? { path } : { path, encryptionKey });
    await store.init();
    return store;
  }

  it('keeps accounts, keys, webhooks (secrets still decryptable), schemas, rules, event types, deliveries, attempts, retries, claims and health', async () => {
    const first = await open();
    await first.accounts.create(account);
    await first.apiKeys.insert(activeKey);
    await first.apiKeys.insert(revokedKey);
    await first.webhooks.upsert(webhook);
    await first.schemas.upsert(schema);
    await first.ruleGroups.upsert(ruleGroup);
    await first.eventTypes.create(eventType);
    // a retry due at +5 s, a final one, one cancelled with its webhook gone
    await first.deliveries.insertMany([
      delivery('dlv_retry', { attempts: 1, nextAttemptAt: at(5_000), lastError: 'http_status: 503' }),
      delivery('dlv_done', { status: 'succeeded', attempts: 1, nextAttemptAt: null }),
      delivery('dlv_x', { webhookId: 'wh_gone' }),
    ]);
    await first.attempts.insertMany([attempt('dlv_retry', 1), attempt('dlv_done', 1)]);
    expect(await first.deliveries.cancelPendingForWebhook(ACC, 'wh_gone')).toBe(1);
    // a lease that was running when the process stopped
    await first.deliveries.insertMany([delivery('dlv_leased')]);
    expect(await first.deliveries.claim(ACC, 'dlv_leased', 'worker-1', 30_000, at(0))).not.toBeNull();
    expect(await first.dedup.claim(ACC, 'wh_1|sch_1|ticket|1042', 'dlv_retry', at(0), at(60_000))).toBe('dlv_retry');
    await first.webhookHealth.recordOutcome(ACC, 'wh_1', false, at(1_000));
    await first.webhookHealth.recordOutcome(ACC, 'wh_1', false, at(2_000));
    const before = {
      retry: await first.deliveries.get(ACC, 'dlv_retry'),
      list: await first.deliveries.list(ACC, { limit: 10 }),
    };
    await first.close();
    // closed cleanly: the WAL was checkpointed into the file, which alone holds the data now
    expect(existsSync(`${path}-wal`)).toBe(false);

    const second = await open();
    try {
      expect(await second.accounts.get(ACC)).toStrictEqual(account);
      expect(await second.apiKeys.list(ACC)).toStrictEqual([activeKey, revokedKey]);
      expect(await second.apiKeys.findActiveByHashAcrossAccounts(activeKey.hash)).toStrictEqual(activeKey);
      expect(await second.apiKeys.findActiveByHashAcrossAccounts(revokedKey.hash)).toBeNull();
      expect(await second.webhooks.get(ACC, 'wh_1')).toStrictEqual(webhook);
      expect(await second.schemas.get(ACC, 'sch_1')).toStrictEqual(schema);
      expect(await second.ruleGroups.list(ACC)).toStrictEqual([ruleGroup]);
      expect(await second.eventTypes.get('ticket.updated')).toStrictEqual(eventType);
      expect(await second.deliveries.get(ACC, 'dlv_retry')).toStrictEqual(before.retry);
      expect(await second.deliveries.list(ACC, { limit: 10 })).toStrictEqual(before.list);
      expect((await second.deliveries.get(ACC, 'dlv_x'))?.status).toBe('cancelled');
      expect(await second.attempts.listForDelivery(ACC, 'dlv_retry')).toStrictEqual([attempt('dlv_retry', 1)]);
      expect(await second.webhookHealth.get(ACC, 'wh_1')).toStrictEqual({ consecutiveFailures: 2, failingSince: at(1_000) });

      // the de-duplication claim still holds against another delivery, until its window ends
      expect(await second.dedup.claim(ACC, 'wh_1|sch_1|ticket|1042', 'dlv_other', at(59_999), at(120_000))).toBe('dlv_retry');
      // the lease still fences: nobody else takes it before it ends, and its holder can complete it
      expect(await second.deliveries.claim(ACC, 'dlv_leased', 'worker-2', 30_000, at(30_000))).toBeNull();
      // the retry is due when it was, not before; the cancelled and final ones never
      expect(await second.deliveries.claimDueAcrossAccounts('scheduler', 30_000, 10, at(4_999))).toEqual([]);
      const due = await second.deliveries.claimDueAcrossAccounts('scheduler', 30_000, 10, at(5_000));
      expect(due.map((d) => d.id)).toEqual(['dlv_retry']);
      expect(due[0]).toMatchObject({ attempts: 1, lastError: 'http_status: 503', leaseUntil: at(35_000) });
      expect(await second.deliveries.complete(ACC, 'dlv_leased', 'worker-1', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
    } finally {
      await second.close();
    }

    // with another key, or none, the secrets do not open
    for (const other of [OTHER_KEY, null]) {
      const third = await open(other);
      try {
        await expect(third.webhooks.get(ACC, 'wh_1')).rejects.toMatchObject({ code: 'HERALD_CONFIG_INVALID', message: expect.stringContaining('wh_1') });
        expect(await third.webhooks.count(ACC)).toBe(1);
      } finally {
        await third.close();
      }
    }
  });

  it('keeps secrets encrypted in the file: neither the signing secret nor the auth settings are in clear', async () => {
    const store = await open();
    await store.webhooks.upsert(webhook);
    const row = internalSqliteDatabase(store).prepare('SELECT secret, auth, sealed_auth, previous_secrets, data FROM webhooks WHERE id = ?').get('wh_1') as Record<string, string>;
    expect(row['secret']).toMatch(/^enc:v1:/);
    expect(JSON.parse(row['auth']!)).toStrictEqual({ type: 'basic' });
    expect(row['sealed_auth']).toMatch(/^enc:v1:/);
    expect(row['previous_secrets']).toMatch(/^enc:v1:/);
    await store.close();
    const bytes = readFileSync(path).toString('latin1');
    expect(bytes).toContain('erp.example.com'); // the file does hold the webhook ...
    for (const clear of [SECRET, PASSWORD, 'erp-user', 'whsec_b2xkIHNlY3JldA==']) expect(bytes).not.toContain(clear); // ... but not its secrets
  });
});

// --- SIGKILL ------------------------------------------------------------------------------------

describe('SQLite store: every acknowledged write survives SIGKILL of the process', () => {
  afterEach(removeAll);

  it('finds, after the writer was killed mid-stream, every write it had acknowledged', { timeout: 60_000 }, async () => {
    const path = join(tempDir(), 'killed.db');
    const ROUNDS = 1_000_000;
    const KILL_AFTER = 400;
    const child = spawn(process.execPath, ['--import', 'tsx', KILL_CHILD, path, String(ROUNDS)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedAt = -1;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killedAt < 0 && stdout.split('\n').length > KILL_AFTER) {
        killedAt = stdout.split('\n').length - 1;
        child.kill('SIGKILL');
      }
    });
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (c, s) => done({ code: c, signal: s })));
    expect({ code, signal, stderr }).toMatchObject({ code: null, signal: 'SIGKILL' });

    // Every line the child printed after a write resolved, up to its death (more may have come after kill()).
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines).not.toContain('done');
    expect(lines.length).toBeGreaterThanOrEqual(KILL_AFTER);
    const acked = { deliveries: [] as string[], attempts: [] as string[], claims: [] as Array<[string, string]>, webhooks: [] as string[] };
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'delivery') acked.deliveries.push(a!);
      else if (kind === 'attempt') acked.attempts.push(a!);
      else if (kind === 'claim') acked.claims.push([a!, b!]);
      else if (kind === 'webhook') acked.webhooks.push(a!);
      else throw new Error(`unexpected line from the child: ${line}`);
    }
    expect(acked.webhooks.length).toBeGreaterThan(3);
    // It died without closing: what it committed is in the WAL, to be recovered on open.
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);

    const store = createSqliteStore({ path, encryptionKey: KILL_CHILD_KEY });
    try {
      await store.init();
      const stored = await store.deliveries.existingAcrossAccounts(acked.deliveries);
      expect(acked.deliveries.filter((id) => !stored.has(id))).toEqual([]);
      for (const id of acked.deliveries) {
        expect(await store.deliveries.get(KILL_CHILD_ACCOUNT, id), id).toMatchObject({ id, status: 'pending', attempts: 1, nextAttemptAt: new Date(KILL_CHILD_T0.getTime() + 60_000) });
      }
      for (const id of acked.attempts) {
        expect((await store.attempts.listForDelivery(KILL_CHILD_ACCOUNT, id)).map((a) => a.number), id).toEqual([1]);
      }
      for (const [key, holder] of acked.claims) {
        expect(await store.dedup.claim(KILL_CHILD_ACCOUNT, key, 'dlv_intruder', KILL_CHILD_T0, new Date(KILL_CHILD_T0.getTime() + 1)), key).toBe(holder);
      }
      for (const id of acked.webhooks) {
        expect(await store.webhooks.get(KILL_CHILD_ACCOUNT, id), id).toMatchObject({ id, secret: killChildSecret(id), auth: { type: 'basic', username: 'erp' } });
      }
      // and the file is whole: the store reads and writes on
      const retries = await store.deliveries.claimDueAcrossAccounts('heir', 30_000, 5, new Date(KILL_CHILD_T0.getTime() + 60_000));
      expect(retries.map((d) => d.id)).toEqual(acked.deliveries.slice(0, 5));
      expect(String(internalSqliteDatabase(store).pragma('integrity_check', { simple: true }))).toBe('ok');
    } finally {
      await store.close();
    }
  });
});

// --- opening ------------------------------------------------------------------------------------

describe('SQLite store: opening the file', () => {
  afterEach(removeAll);

  async function openError(path: string, options: { encryptionKey?: Buffer } = {}): Promise<HeraldError> {
    let thrown: unknown;
    try {
      await createSqliteStore({ path, ...options }).close();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HeraldError);
    return thrown as HeraldError;
  }

  it('creates the file and its missing directories, in WAL mode with synchronous = FULL and a busy timeout', async () => {
    const path = join(tempDir(), 'a', 'b', 'c', 'herald.db');
    const store = createSqliteStore({ path, busyTimeoutMs: 1234 });
    try {
      await store.init();
      await store.init();
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.kind).toBe('sqlite');
      expect(existsSync(path)).toBe(true);
      const db = internalSqliteDatabase(store);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(db.prepare(`SELECT value FROM herald_meta WHERE key = 'schema_version'`).pluck().get()).toBe('1');
    } finally {
      await store.close();
    }
    // closed: ping says so, and closing again is harmless
    await expect(store.ping()).rejects.toMatchObject({ code: 'HERALD_UNAVAILABLE' });
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('has the indexes the queries use (query plans of the hot and the sweeping paths)', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    try {
      const db = internalSqliteDatabase(store);
      const plan = (sql: string, ...params: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      expect(plan('SELECT * FROM deliveries WHERE claimable_from <= ? ORDER BY claimable_from, next_attempt_at, id LIMIT ?', 1, 1)).toMatch(/USING INDEX deliveries_due/);
      expect(plan(`SELECT id FROM deliveries WHERE status IN ('succeeded', 'failed', 'suppressed', 'cancelled') AND updated_at < ? ORDER BY updated_at, id LIMIT ?`, 1, 1)).toMatch(
        /USING INDEX deliveries_final_by_update/,
      );
      expect(plan('SELECT * FROM deliveries WHERE account = ? ORDER BY created_at DESC, id DESC LIMIT 10', 'a')).toMatch(/USING INDEX deliveries_by_account_time/);
      expect(plan('SELECT * FROM deliveries WHERE account = ? AND webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT 10', 'a', 'w')).toMatch(/USING INDEX deliveries_by_webhook_time/);
      expect(plan('SELECT * FROM deliveries WHERE account = ? AND entity_type = ? AND entity_id = ? ORDER BY created_at DESC, id DESC LIMIT 10', 'a', 't', 'i')).toMatch(
        /USING INDEX deliveries_by_entity_time/,
      );
      expect(plan(`UPDATE deliveries SET status = 'cancelled' WHERE account = ? AND webhook_id = ? AND status = 'pending'`, 'a', 'w')).toMatch(/USING INDEX deliveries_pending_by_webhook/);
      expect(plan('SELECT * FROM dedup_claims WHERE until < ? ORDER BY until LIMIT ?', 1, 1)).toMatch(/INDEX dedup_claims_by_until/);
      expect(plan('SELECT * FROM attempts WHERE delivery_id = ? AND account = ? ORDER BY number', 'd', 'a')).toMatch(/USING INDEX sqlite_autoindex_attempts_1/);
      expect(plan('SELECT * FROM api_keys WHERE hash = ?', 'h')).toMatch(/USING INDEX sqlite_autoindex_api_keys/);
      for (const table of ['webhooks', 'schemas', 'rule_groups']) expect(plan(`SELECT * FROM ${table} WHERE account = ? AND id > ? ORDER BY id`, 'a', 'x')).toMatch(new RegExp(`USING INDEX ${table}_by_account`));
    } finally {
      await store.close();
    }
  });

  it("keeps ':memory:' in memory: nothing is written to disk, and it works as a store", async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.init();
    await store.accounts.create(account);
    expect(await store.accounts.get(ACC)).toStrictEqual(account);
    await store.close();
    expect(existsSync(':memory:')).toBe(false);
  });

  it('names the path when its directory cannot be created', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const path = join(dir, 'a-file', 'sub', 'herald.db');
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/Cannot create the directory/);
  });

  it('names the path when the file cannot be opened (it is a directory)', async () => {
    const path = join(tempDir(), 'is-a-dir');
    mkdirSync(path);
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/Cannot open the SQLite store/);
  });

  it('refuses a file that is not a SQLite database, and leaves it as it was', async () => {
    const path = join(tempDir(), 'notes.txt');
    const content = 'These are my notes, not a database.\n'.repeat(200);
    writeFileSync(path, content);
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/is not a SQLite database/);
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a SQLite database of another application, and leaves it as it was', async () => {
    const path = join(tempDir(), 'other-app.db');
    const other = new Database(path);
    other.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')`);
    other.close();
    const before = readFileSync(path);
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a Herald store/);
    expect(readFileSync(path).equals(before)).toBe(true);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(check.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all()).toEqual(['users']);
    check.close();
  });

  it('refuses a store written by a newer Herald (a higher schema version), saying so', async () => {
    const path = join(tempDir(), 'herald.db');
    await createSqliteStore({ path }).close();
    const db = new Database(path);
    db.prepare(`UPDATE herald_meta SET value = '7' WHERE key = 'schema_version'`).run();
    db.close();
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/schema version 7, written by a newer Herald; this Herald reads schema version 1/);
  });

  it('refuses an empty path, and a bad encryption key before it touches the file', async () => {
    expect((await openError('  ')).code).toBe('HERALD_CONFIG_INVALID');
    const path = join(tempDir(), 'never.db');
    const err = await openError(path, { encryptionKey: Buffer.alloc(16, 1) });
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain('32 bytes');
    expect(existsSync(path)).toBe(false);
  });

  it('opens a file that another connection holds open, and both see each other’s writes', async () => {
    const path = join(tempDir(), 'shared.db');
    const one = createSqliteStore({ path });
    const two = createSqliteStore({ path });
    try {
      await one.deliveries.insertMany([delivery('dlv_1')]);
      const claims = await Promise.all([one, two, one, two].map((s, i) => s.deliveries.claim(ACC, 'dlv_1', `owner-${i}`, 30_000, at(0))));
      expect(claims.filter((c) => c !== null)).toHaveLength(1);
      expect((await two.deliveries.get(ACC, 'dlv_1'))?.leaseUntil).toEqual(at(30_000));
    } finally {
      await one.close();
      await two.close();
    }
  });
});
