import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { HeraldError } from '@herald/core';
import type { Bus, ConsumedMessage, SubscribeOptions, Subscription } from './bus.ts';
import { busContract } from './bus.contract.ts';
import { consumerLagContract } from './consumer-lag.contract.ts';
import { createSqliteBus } from './index.ts';
import { KILL_CHILD_GROUP, KILL_CHILD_HOLDING_GROUP, KILL_CHILD_TOPIC } from './sqlite/kill-child.fixture.ts';
import { internalSqliteBus, type SqliteBusOptions } from './sqlite/sqlite-bus.ts';
import { waitUntil } from './testing/wait-until.ts';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../../..');
const CHILD = join(here, 'sqlite', 'kill-child.fixture.ts');

busContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bus-'));
  try {
    return { bus: createSqliteBus({ path: join(dir, 'bus.db') }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
});

let lagBuses = 0;
consumerLagContract('sqlite', () => createSqliteBus({ path: join(tempDir(), 'lag.db') }), (prefix) => `${prefix}-${++lagBuses}`);

// --- fixtures -----------------------------------------------------------------------------------

const made: string[] = [];
const open: Bus[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bus-'));
  made.push(dir);
  return dir;
}
function openBus(options: SqliteBusOptions): Bus {
  const bus = createSqliteBus(options);
  open.push(bus);
  return bus;
}
afterEach(async () => {
  for (const bus of open.splice(0)) await bus.close();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Consumer {
  subscription: Subscription;
  messages: ConsumedMessage[];
  values(): string[];
}

async function consume(bus: Bus, options: Omit<SubscribeOptions, 'handleBatch'>, handler: (messages: ConsumedMessage[]) => void = () => {}): Promise<Consumer> {
  const messages: ConsumedMessage[] = [];
  const subscription = await bus.subscribe({
    ...options,
    handleBatch: async (batch) => {
      handler(batch.messages);
      messages.push(...batch.messages);
    },
  });
  return { subscription, messages, values: () => messages.map((m) => m.value.toString()) };
}

const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);
const plain = (values: string[]) => values.map((value) => ({ key: 'one-key', value }));
const messageCount = (bus: Bus): number => internalSqliteBus(bus).db.prepare<[], number>('SELECT COUNT(*) FROM bus_messages').pluck().get()!;

async function openError(path: string, options: Partial<SqliteBusOptions> = {}): Promise<HeraldError> {
  try {
    openBus({ path, ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(HeraldError);
    return err as HeraldError;
  }
  throw new Error(`createSqliteBus(${path}) opened`);
}

interface ChildResult {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the fixture; with `killAfterLines`, SIGKILLs it once it printed that many lines. */
function runChild(args: string[], killAfterLines?: number): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!killed && killAfterLines !== undefined && stdout.split('\n').length > killAfterLines) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((done) =>
    child.on('close', (code, signal) => done({ lines: stdout.split('\n').filter((l) => l !== ''), code, signal, stderr })),
  );
}

describe('SQLite bus: batches', () => {
  it('hands at most maxBatchSize messages at once (default 500), in offset order, as the memory bus', async () => {
    const bus = openBus({ path: join(tempDir(), 'bus.db') });
    await bus.publish('t', Array.from({ length: 1200 }, (_, i) => ({ key: 'k', value: String(i) })));
    const sizes: number[] = [];
    const firstOffsets: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handleBatch: async (batch) => {
        sizes.push(batch.messages.length);
        firstOffsets.push(batch.messages[0]!.offset);
      },
    });
    await waitUntil(() => sizes.reduce((a, b) => a + b, 0) === 1200, 'all 1200 messages');
    expect(sizes).toEqual([500, 500, 200]);
    expect(firstOffsets).toEqual(['0', '500', '1000']);
  });
});

// --- reopen ------------------------------------------------------------------------------------

describe('SQLite bus: a reopened file resumes every group after its last committed offset', () => {
  it('hands again what was published but not committed, never what was committed', async () => {
    const path = join(tempDir(), 'bus.db');
    const first = createSqliteBus({ path, maxBatchSize: 4 });
    await first.ensureTopics([{ topic: 't', partitions: 1 }]);
    await first.publish('t', plain(numbered(0, 10)));
    // A commits [m0..m3] and [m4..m7], then fails on [m8, m9] over and over.
    let aFailures = 0;
    const a = await consume(first, { groupId: 'A', topics: ['t'], retryDelayMs: 20 }, (messages) => {
      if (messages.some((m) => m.value.toString() === 'm8')) {
        aFailures++;
        throw new Error('fails on purpose');
      }
    });
    // B starts at the end and never commits anything.
    let bFailures = 0;
    await consume(first, { groupId: 'B', topics: ['t'], fromBeginning: false, retryDelayMs: 20 }, () => {
      bFailures++;
      throw new Error('fails on purpose');
    });
    await first.publish('t', [{ key: 'one-key', value: Buffer.from([0, 255, 10]), headers: { 'x-trace': 'tr-10' } }, ...plain(['m11'])]);
    await waitUntil(() => aFailures >= 2 && bFailures >= 2, 'A and B to fail twice');
    expect(a.values()).toEqual(numbered(0, 8));
    await first.close();

    const second = openBus({ path, maxBatchSize: 4 });
    const a2 = await consume(second, { groupId: 'A', topics: ['t'] });
    const b2 = await consume(second, { groupId: 'B', topics: ['t'], fromBeginning: false });
    const c2 = await consume(second, { groupId: 'C', topics: ['t'], fromBeginning: false });
    await second.publish('t', plain(['m12']));
    await waitUntil(() => a2.values().includes('m12') && b2.values().includes('m12') && c2.values().includes('m12'), 'm12 in A, B and C');

    // A: after its last commit (offset 8), nothing it committed again.
    expect(a2.messages.map((m) => m.offset)).toEqual(['8', '9', '10', '11', '12']);
    expect(a2.values().slice(0, 2)).toEqual(['m8', 'm9']);
    // B: from where it started before the restart (offset 10), though it never committed a batch.
    expect(b2.messages.map((m) => m.offset)).toEqual(['10', '11', '12']);
    expect(b2.messages[0]!.value.equals(Buffer.from([0, 255, 10]))).toBe(true);
    expect(b2.messages[0]!.headers).toEqual({ 'x-trace': 'tr-10' });
    expect(b2.messages[1]!.headers).toEqual({});
    // A new group with fromBeginning false starts at the end of the reopened log.
    expect(c2.messages.map((m) => m.offset)).toEqual(['12']);
  });
});

// --- SIGKILL -----------------------------------------------------------------------------------

describe('SQLite bus: a SIGKILLed publisher loses nothing it acknowledged', () => {
  it('hands, after a reopen, every message whose publish had resolved', { timeout: 60_000 }, async () => {
    const path = join(tempDir(), 'killed.db');
    const KILL_AFTER = 300;
    const { lines, code, signal, stderr } = await runChild(['publish', path, '1000000'], KILL_AFTER);
    expect({ code, signal, stderr }).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(lines).not.toContain('done');
    expect(lines.length).toBeGreaterThanOrEqual(KILL_AFTER);
    const acked = lines.flatMap((line) => {
      const [word, ...values] = line.split(' ');
      if (word !== 'acked') throw new Error(`unexpected line from the child: ${line}`);
      return values;
    });
    // It died without closing: its commits are in the WAL, to be recovered on open.
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);

    const bus = openBus({ path, partitions: 2 });
    const committedBy = (groupId: string): Map<number, number> =>
      new Map(
        internalSqliteBus(bus)
          .db.prepare<[string], { partition: number; next: number }>(
            `SELECT p.partition AS partition, o.next_offset AS next FROM bus_offsets o JOIN bus_partitions p USING (slot) WHERE o.group_id = ?`,
          )
          .all(groupId)
          .map((row) => [row.partition, row.next]),
      );
    const committed = committedBy(KILL_CHILD_GROUP);
    expect([...committed.keys()].sort()).toEqual([0, 1]);
    // The holding group committed nothing (its rows say where it started), so retention kept the whole log.
    expect(committedBy(KILL_CHILD_HOLDING_GROUP)).toEqual(new Map([[0, 0], [1, 0]]));
    const everything = await consume(bus, { groupId: KILL_CHILD_HOLDING_GROUP, topics: [KILL_CHILD_TOPIC] });
    const resumed = await consume(bus, { groupId: KILL_CHILD_GROUP, topics: [KILL_CHILD_TOPIC] });
    const ends = internalSqliteBus(bus)
      .db.prepare<[], { partition: number; count: number }>(`SELECT p.partition AS partition, COUNT(m.offset) AS count FROM bus_partitions p LEFT JOIN bus_messages m USING (slot) GROUP BY p.partition`)
      .all();
    const total = ends.reduce((n, e) => n + e.count, 0);
    await waitUntil(() => everything.messages.length >= total, () => `${total} messages, got ${everything.messages.length}`);
    const resumedTotal = ends.reduce((n, e) => n + e.count - (committed.get(e.partition) ?? 0), 0);
    await waitUntil(() => resumed.messages.length >= resumedTotal, () => `${resumedTotal} messages for ${KILL_CHILD_GROUP}, got ${resumed.messages.length}`);
    await new Promise((r) => setTimeout(r, 100)); // nothing more comes
    await everything.subscription.stop();
    await resumed.subscription.stop();

    // 0 lost: every acknowledged message is in the log, once, with its headers.
    const inLog = everything.values();
    const inLogSet = new Set(inLog);
    expect(acked.filter((v) => !inLogSet.has(v))).toEqual([]);
    expect(inLog).toHaveLength(inLogSet.size);
    expect(everything.messages.every((m) => m.headers['x-n'] === m.value.toString())).toBe(true);
    // At most the one publish in flight at the kill got in unacknowledged.
    expect(inLog.length - acked.length).toBeGreaterThanOrEqual(0);
    expect(inLog.length - acked.length).toBeLessThanOrEqual(3);
    // The child's group had committed some of it, and resumes exactly after what it committed.
    expect([...committed.values()].reduce((n, c) => n + c, 0)).toBeGreaterThan(0);
    for (const { partition } of ends) {
      const offsets = resumed.messages.filter((m) => m.partition === partition).map((m) => Number(m.offset));
      const all = everything.messages.filter((m) => m.partition === partition).map((m) => Number(m.offset));
      expect(offsets, `partition ${partition}`).toEqual(all.filter((o) => o >= (committed.get(partition) ?? 0)));
    }
    expect(String(internalSqliteBus(bus).db.pragma('integrity_check', { simple: true }))).toBe('ok');
  });
});

// --- retention -----------------------------------------------------------------------------------

describe('SQLite bus: retention', () => {
  it('deletes what every known group committed, in batches, and the file stops growing', { timeout: 60_000 }, async () => {
    const path = join(tempDir(), 'bus.db');
    const bus = openBus({ path, maxBatchSize: 50, pruneEvery: 200 });
    await bus.ensureTopics([{ topic: 't', partitions: 2 }]);
    const keyed = (values: string[]) => values.map((value, i) => ({ key: `k${i}`, value: value.padEnd(400, '.') }));

    // B stops after 300 messages: retention keeps what B has not committed, though A has.
    const a = await consume(bus, { groupId: 'A', topics: ['t'] });
    let bSeen = 0;
    const b = await consume(bus, { groupId: 'B', topics: ['t'] }, (messages) => {
      if (bSeen >= 300) throw new Error('B is done');
      bSeen += messages.length;
    });
    await bus.publish('t', keyed(numbered(0, 1000)));
    await waitUntil(() => a.messages.length === 1000 && bSeen >= 300, 'A to take 1000 and B 300');
    await b.subscription.stop();
    const bCommitted = b.messages.length;
    const { db, prune } = internalSqliteBus(bus);
    // Pruned on its own as the commits came (it lags by fewer than pruneEvery commits)...
    await waitUntil(() => messageCount(bus) < 1000, () => `a pruned log, got ${messageCount(bus)}`);
    expect(messageCount(bus)).toBeGreaterThanOrEqual(1000 - bCommitted);
    // ...and never past B: exactly what B has not committed is left.
    prune();
    expect(messageCount(bus)).toBe(1000 - bCommitted);

    // B comes back and catches up: what is committed goes.
    const b2 = await consume(bus, { groupId: 'B', topics: ['t'] });
    await waitUntil(() => b2.messages.length === 1000 - bCommitted, 'B to catch up');
    expect(new Set([...b.values(), ...b2.values()]).size).toBe(1000);
    await waitUntil(() => messageCount(bus) < 200, () => `fewer than 200 messages left, got ${messageCount(bus)}`);
    prune();
    expect(messageCount(bus)).toBe(0);

    // Not on every commit: 20 more committed messages (< pruneEvery) stay until more are committed.
    await bus.publish('t', keyed(numbered(1000, 1020)));
    await waitUntil(() => a.messages.length === 1020 && b2.messages.length === 1000 - bCommitted + 20, 'both groups to take 20 more');
    await new Promise((r) => setTimeout(r, 50));
    expect(messageCount(bus)).toBe(20);

    // Round after round, the file reuses the pages retention freed instead of growing.
    const pages: number[] = [];
    for (let round = 0; round < 6; round++) {
      const from = 2000 + round * 1000;
      await bus.publish('t', keyed(numbered(from, from + 1000)));
      await waitUntil(() => a.values().includes(`m${from + 999}`.padEnd(400, '.')) && b2.values().includes(`m${from + 999}`.padEnd(400, '.')), `round ${round}`);
      await waitUntil(() => messageCount(bus) < 200, () => `fewer than 200 messages left, got ${messageCount(bus)}`);
      pages.push(db.pragma('page_count', { simple: true }) as number);
    }
    expect(pages[5]).toBeLessThanOrEqual(pages[1]! * 1.1);
    // Offsets go on after the pruned ones: nothing was handed twice.
    expect(new Set(a.messages.map((m) => `${m.partition}/${m.offset}`)).size).toBe(a.messages.length);
  });

  it('keeps, across a reopen, the offsets of a log whose messages retention deleted', async () => {
    const path = join(tempDir(), 'bus.db');
    const first = createSqliteBus({ path, pruneEvery: 1 });
    const a = await consume(first, { groupId: 'A', topics: ['t'] });
    await first.publish('t', plain(numbered(0, 5)));
    await waitUntil(() => a.messages.length === 5 && messageCount(first) === 0, 'A to take 5 and retention to delete them');
    await first.close();

    const second = openBus({ path });
    const a2 = await consume(second, { groupId: 'A', topics: ['t'] });
    const fresh = await consume(second, { groupId: 'new', topics: ['t'] });
    await second.publish('t', plain(['m5']));
    await waitUntil(() => a2.messages.length === 1 && fresh.messages.length === 1, 'm5 in A and in a new group');
    expect(a2.messages.map((m) => [m.offset, m.value.toString()])).toEqual([['5', 'm5']]);
    // A new group from the beginning gets what is still retained.
    expect(fresh.messages.map((m) => m.offset)).toEqual(['5']);
  });
});

// --- opening -----------------------------------------------------------------------------------

describe('SQLite bus: opening', () => {
  it('names the path when the file cannot be opened (it is a directory)', async () => {
    const path = join(tempDir(), 'is-a-dir');
    mkdirSync(path);
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/Cannot open the SQLite bus/);
  });

  it('names the path when its directory cannot be created (a file is in the way)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    const path = join(dir, 'a-file', 'sub', 'bus.db');
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/Cannot create the directory of the SQLite bus/);
  });

  it('names the path when no file can be created there (procfs)', async () => {
    // The directory exists (so not a root-only permission check, which root would pass) but cannot hold a file.
    const path = '/proc/self/herald-bus.db';
    const err = await openError(path);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toBe(`Cannot open the SQLite bus ${path}: unable to open database file (SQLITE_CANTOPEN)`);
  });

  it('refuses a file that is not a SQLite database, and a SQLite database of something else, leaving them as they were', async () => {
    const notes = join(tempDir(), 'notes.txt');
    const content = 'These are my notes, not a bus.\n'.repeat(200);
    writeFileSync(notes, content);
    const err = await openError(notes);
    expect(err.code).toBe('HERALD_CONFIG_INVALID');
    expect(err.message).toContain(notes);
    expect(err.message).toMatch(/is not a SQLite database/);
    expect(readFileSync(notes, 'utf8')).toBe(content);

    const other = join(tempDir(), 'store.db');
    const db = new Database(other);
    db.exec(`CREATE TABLE herald_meta (key TEXT PRIMARY KEY, value TEXT)`);
    db.close();
    const before = readFileSync(other);
    const err2 = await openError(other);
    expect(err2.code).toBe('HERALD_CONFIG_INVALID');
    expect(err2.message).toContain(other);
    expect(err2.message).toMatch(/not a Herald bus/);
    expect(readFileSync(other).equals(before)).toBe(true);
    expect(existsSync(`${other}-wal`)).toBe(false);
  });

  it('refuses a second bus on the file, in this process and in another, naming the file; the file opens again once closed', { timeout: 30_000 }, async () => {
    const path = join(tempDir(), 'bus.db');
    const owner = createSqliteBus({ path });
    await owner.publish('t', plain(['kept']));

    const err = await openError(path, { busyTimeoutMs: 0 });
    expect(err.code).toBe('HERALD_UNAVAILABLE');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/in use by another process/);

    const other = await runChild(['open', path]);
    expect(other.stderr).toBe('');
    expect(other.lines).toHaveLength(1);
    expect(other.lines[0]).toMatch(/^error HERALD_UNAVAILABLE /);
    expect(other.lines[0]).toContain(path);

    await owner.close();
    const reopened = openBus({ path });
    const received = await consume(reopened, { groupId: 'g', topics: ['t'] });
    await waitUntil(() => received.messages.length === 1, 'the message published before');
    expect(received.values()).toEqual(['kept']);
  });

  it('runs in WAL mode, synchronous NORMAL by default or FULL when asked', () => {
    const dir = tempDir();
    const normal = openBus({ path: join(dir, 'normal.db') });
    const full = openBus({ path: join(dir, 'full.db'), synchronous: 'full' });
    expect(normal.kind).toBe('sqlite');
    expect(internalSqliteBus(normal).db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(internalSqliteBus(normal).db.pragma('synchronous', { simple: true })).toBe(1);
    expect(internalSqliteBus(full).db.pragma('synchronous', { simple: true })).toBe(2);
    expect(() => createSqliteBus({ path: join(dir, 'x.db'), synchronous: 'off' as 'full' })).toThrow(/synchronous mode must be 'normal' or 'full'/);
    expect(() => createSqliteBus({ path: ':memory:' })).toThrow(/needs a file path/);
  });
});
