import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';

export const BUS_META_TABLE = 'herald_bus_meta';
export const BUS_SCHEMA_VERSION = 1;

/**
 * Version 1 of the bus file.
 * - `bus_partitions`: one row per partition of each topic; `slot` is the short id the other tables use.
 * - `bus_messages`: the log; (slot, offset) is the primary key, offsets of a slot rise by one from 0.
 *   A rowid table (values are often larger than WITHOUT ROWID suits).
 * - `bus_offsets`: per (group, slot), the next offset the group hands: everything before it is
 *   committed. A group's row is written when it first subscribes (where it starts), so a restart
 *   resumes it there even if it never committed a batch.
 */
const SCHEMA_V1 = `
CREATE TABLE ${BUS_META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE bus_partitions (
  slot INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  UNIQUE (topic, partition)
);
CREATE TABLE bus_messages (
  slot INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  key TEXT,
  value BLOB NOT NULL,
  headers TEXT,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (slot, offset)
);
CREATE TABLE bus_offsets (
  group_id TEXT NOT NULL,
  slot INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (group_id, slot)
) WITHOUT ROWID;
`;

export type SynchronousMode = 'normal' | 'full';

/**
 * Opens (creating it and its directory if missing) the SQLite file of a Herald bus, and takes it
 * for this connection alone:
 *
 * - `locking_mode = EXCLUSIVE`, set before anything is read: the connection holds the file's lock
 *   until it is closed, so a second process (or a second bus in this process) on the same file
 *   fails to open with HERALD_UNAVAILABLE naming the file, instead of two consumers sharing one log
 *   without seeing each other's publishes. The lock dies with the process, SIGKILL included. In
 *   exclusive mode the WAL index lives in the process's memory (no `-shm` file).
 * - `journal_mode = WAL`: a commit appends its pages to `<file>-wal`; a file left by a killed
 *   process is recovered from the WAL when it is next opened (every commit in it kept, a torn last
 *   transaction dropped).
 * - `synchronous`: see `SqliteBusOptions.synchronous`.
 *
 * Refuses, with HERALD_CONFIG_INVALID naming the file: a directory or file that cannot be created
 * or opened, a file that is not a SQLite database, a SQLite database that is not a Herald bus
 * (tables but no `herald_bus_meta`, e.g. the Herald store's file), and a bus whose schema version
 * is newer than this code's. It checks before it changes anything, so a foreign file is left as it was.
 */
export function openBusDatabase(path: string, synchronous: SynchronousMode, busyTimeoutMs: number): { db: Database.Database; file: string } {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new HeraldError('HERALD_CONFIG_INVALID', `The SQLite bus needs a file path, got ${JSON.stringify(path)}`);
  }
  if (path === ':memory:') {
    throw new HeraldError('HERALD_CONFIG_INVALID', `The SQLite bus needs a file path, got ':memory:' (for a bus in memory, use createMemoryBus)`);
  }
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new HeraldError('HERALD_CONFIG_INVALID', `The SQLite bus's synchronous mode must be 'normal' or 'full', got ${JSON.stringify(synchronous)}`);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `The SQLite bus's busy timeout must be a whole number of milliseconds >= 0, got ${busyTimeoutMs}`);
  }
  const file = resolve(path);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `Cannot create the directory of the SQLite bus ${file}: ${messageOf(err)}`, { cause: err });
  }

  const SqliteDatabase = loadBetterSqlite3();
  let db: Database.Database;
  try {
    db = new SqliteDatabase(file, { timeout: busyTimeoutMs });
  } catch (err) {
    throw openError(file, err);
  }
  try {
    prepare(db, file, synchronous);
    return { db, file };
  } catch (err) {
    db.close();
    throw err instanceof HeraldError ? err : openError(file, err);
  }
}

/**
 * better-sqlite3, loaded when a SQLite bus is opened rather than when this module is imported: it
 * is a native addon, which an app's bundle (scripts/bundle-app.ts) cannot hold, and only embedded
 * mode needs it, so the apps that run on Kafka start without it.
 */
function loadBetterSqlite3(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new HeraldError(
      'HERALD_CONFIG_INVALID',
      `The SQLite bus needs the better-sqlite3 package (a native addon), which cannot be loaded here: ${messageOf(err)}. ` +
        'Install it (pnpm install builds it), or use the in-memory bus (herald dev --memory).',
      { cause: err },
    );
  }
}

function prepare(db: Database.Database, file: string, synchronous: SynchronousMode): void {
  // Before the first read: from that read on, this connection keeps the file's lock.
  db.pragma('locking_mode = EXCLUSIVE');
  // A read, which changes nothing: a file that is not SQLite fails here (SQLITE_NOTADB), a file
  // another connection holds fails with SQLITE_BUSY once the busy timeout passed.
  let tables: string[];
  try {
    tables = db.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
  } catch (err) {
    if (codeOf(err) === 'SQLITE_NOTADB') {
      throw new HeraldError('HERALD_CONFIG_INVALID', `${file} is not a SQLite database, so not a Herald bus: point the bus at a new file`, { cause: err });
    }
    throw err;
  }
  if (tables.length > 0 && !tables.includes(BUS_META_TABLE)) {
    throw new HeraldError(
      'HERALD_CONFIG_INVALID',
      `${file} is a SQLite database but not a Herald bus (it has no ${BUS_META_TABLE} table): point the bus at a new file`,
    );
  }
  if (tables.includes(BUS_META_TABLE)) checkVersion(readVersion(db, file), file);

  const mode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  if (mode !== 'wal') {
    throw new HeraldError('HERALD_CONFIG_INVALID', `Cannot use write-ahead logging for the SQLite bus ${file} (journal mode stays ${mode}); is it on a local file system?`);
  }
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);

  // Also takes the write lock now, which this connection then keeps until close().
  db.transaction(() => {
    if (!tables.includes(BUS_META_TABLE)) {
      db.exec(SCHEMA_V1);
      db.prepare(`INSERT INTO ${BUS_META_TABLE} (key, value) VALUES ('schema_version', ?), ('created_at', ?)`).run(String(BUS_SCHEMA_VERSION), new Date().toISOString());
    }
    // Version 1 is the first layout: nothing to upgrade yet. Later versions add their steps here.
  }).immediate();
}

function readVersion(db: Database.Database, file: string): number {
  const value = db.prepare<[], string>(`SELECT value FROM ${BUS_META_TABLE} WHERE key = 'schema_version'`).pluck().get();
  const version = value === undefined ? Number.NaN : Number(value);
  if (!Number.isInteger(version) || version < 1) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `${file} has a ${BUS_META_TABLE} table without a valid schema_version (${JSON.stringify(value ?? null)}): it is not a Herald bus, or it is damaged`);
  }
  return version;
}

function checkVersion(version: number, file: string): void {
  if (version > BUS_SCHEMA_VERSION) {
    throw new HeraldError(
      'HERALD_CONFIG_INVALID',
      `The SQLite bus ${file} has schema version ${version}, written by a newer Herald; this Herald reads schema version ${BUS_SCHEMA_VERSION} and older. Upgrade Herald to open it.`,
    );
  }
}

function openError(file: string, err: unknown): HeraldError {
  const code = codeOf(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new HeraldError(
      'HERALD_UNAVAILABLE',
      `The SQLite bus ${file} is in use by another process (or another bus in this one): one process owns a bus file. ` +
        `Stop the other one, or point this one at another file (${code})`,
      { cause: err },
    );
  }
  return new HeraldError('HERALD_CONFIG_INVALID', `Cannot open the SQLite bus ${file}: ${messageOf(err)}${code ? ` (${code})` : ''}`, { cause: err });
}

export function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
