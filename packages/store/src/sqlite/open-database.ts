import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';
import { META_TABLE, SCHEMA_V1, SCHEMA_VERSION } from './schema.ts';

/** The path that asks for a database in memory (tests): nothing survives `close()`. */
export const IN_MEMORY = ':memory:';

/**
 * Opens (creating it and its directory if missing) the SQLite file of a Herald store, makes sure
 * it is one, and sets it up for durability:
 *
 * - `journal_mode = WAL`: a commit appends its pages to `<file>-wal`; readers never block the
 *   writer, and a database left by a killed process is recovered from the WAL when it is next
 *   opened (the commits in it are kept, a torn last transaction is dropped).
 * - `synchronous = FULL`: every commit is fsync'ed before it returns. What the process needs is
 *   only that a write survives SIGKILL of the process; that already holds once SQLite's write()
 *   of the WAL frames has returned (the data is in the kernel's page cache, which the process's
 *   death does not touch), which is all `NORMAL` would give. FULL also keeps every acknowledged
 *   write through a crash of the machine or a power loss, at ~0.3 ms a commit on this machine;
 *   the repositories commit once per call (a batch is one transaction), so that is cheap.
 * - `busy_timeout`: a write that finds another connection's write lock waits up to that long
 *   (e.g. a second process on the same file) before failing with SQLITE_BUSY.
 *
 * Refuses, with HERALD_CONFIG_INVALID naming the file: a directory or file that cannot be created
 * or opened, a file that is not a SQLite database, a SQLite database that is not a Herald store
 * (tables but no `herald_meta`), and a store whose schema version is newer than this code's
 * (written by a newer Herald). It checks before it changes anything, so a foreign file is left
 * as it was.
 */
export function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new HeraldError('HERALD_CONFIG_INVALID', `The SQLite store needs a file path (or '${IN_MEMORY}'), got ${JSON.stringify(path)}`);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `The SQLite store's busy timeout must be a whole number of milliseconds >= 0, got ${busyTimeoutMs}`);
  }
  const inMemory = path === IN_MEMORY;
  const file = inMemory ? IN_MEMORY : resolve(path);
  if (!inMemory) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new HeraldError('HERALD_CONFIG_INVALID', `Cannot create the directory of the SQLite store ${file}: ${messageOf(err)}`, { cause: err });
    }
  }

  const SqliteDatabase = loadBetterSqlite3();
  let db: Database.Database;
  try {
    db = new SqliteDatabase(file, { timeout: busyTimeoutMs });
  } catch (err) {
    throw openError(file, err);
  }
  try {
    prepare(db, file, inMemory);
    return db;
  } catch (err) {
    db.close();
    throw err instanceof HeraldError ? err : openError(file, err);
  }
}

/**
 * better-sqlite3, loaded when a SQLite store is opened rather than when this module is imported:
 * it is a native addon, which an app's bundle (scripts/bundle-app.ts) cannot hold, and only
 * embedded mode needs it, so the apps that run on MongoDB start without it. Resolved from this
 * package, where pnpm installs it.
 */
function loadBetterSqlite3(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new HeraldError(
      'HERALD_CONFIG_INVALID',
      `The SQLite store needs the better-sqlite3 package (a native addon), which cannot be loaded here: ${messageOf(err)}. ` +
        'Install it (pnpm install builds it), or run embedded mode in memory (herald dev --memory).',
      { cause: err },
    );
  }
}

function prepare(db: Database.Database, file: string, inMemory: boolean): void {
  // First a read, which changes nothing: a file that is not SQLite fails here (SQLITE_NOTADB).
  let tables: string[];
  try {
    tables = db.prepare<[], string>(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
  } catch (err) {
    if (codeOf(err) === 'SQLITE_NOTADB') {
      throw new HeraldError('HERALD_CONFIG_INVALID', `${file} is not a SQLite database, so not a Herald store: point the store at a new file`, { cause: err });
    }
    throw err;
  }
  if (tables.length > 0 && !tables.includes(META_TABLE)) {
    throw new HeraldError(
      'HERALD_CONFIG_INVALID',
      `${file} is a SQLite database but not a Herald store (it has no ${META_TABLE} table): point the store at a new file`,
    );
  }
  if (tables.includes(META_TABLE)) checkVersion(readVersion(db, file), file);

  const mode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  if (!inMemory && mode !== 'wal') {
    throw new HeraldError('HERALD_CONFIG_INVALID', `Cannot use write-ahead logging for the SQLite store ${file} (journal mode stays ${mode}); is it on a local file system?`);
  }
  db.pragma('synchronous = FULL');

  // Create or upgrade under the write lock: two processes opening a new file at once create it once.
  db.transaction(() => {
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(META_TABLE) !== undefined;
    if (!exists) {
      db.exec(SCHEMA_V1);
      db.prepare(`INSERT INTO ${META_TABLE} (key, value) VALUES ('schema_version', ?), ('created_at', ?)`).run(String(SCHEMA_VERSION), new Date().toISOString());
      return;
    }
    checkVersion(readVersion(db, file), file);
    // Version 1 is the first layout: nothing to upgrade yet. Later versions add their steps here.
  }).immediate();
}

function readVersion(db: Database.Database, file: string): number {
  const value = db.prepare<[], string>(`SELECT value FROM ${META_TABLE} WHERE key = 'schema_version'`).pluck().get();
  const version = value === undefined ? Number.NaN : Number(value);
  if (!Number.isInteger(version) || version < 1) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `${file} has a ${META_TABLE} table without a valid schema_version (${JSON.stringify(value ?? null)}): it is not a Herald store, or it is damaged`);
  }
  return version;
}

function checkVersion(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new HeraldError(
      'HERALD_CONFIG_INVALID',
      `The SQLite store ${file} has schema version ${version}, written by a newer Herald; this Herald reads schema version ${SCHEMA_VERSION} and older. Upgrade Herald to open it.`,
    );
  }
}

function openError(file: string, err: unknown): HeraldError {
  const code = codeOf(err);
  // Another connection held the lock for longer than the busy timeout: try again later.
  const heraldCode = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' ? 'HERALD_UNAVAILABLE' : 'HERALD_CONFIG_INVALID';
  return new HeraldError(heraldCode, `Cannot open the SQLite store ${file}: ${messageOf(err)}${code ? ` (${code})` : ''}`, { cause: err });
}

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
