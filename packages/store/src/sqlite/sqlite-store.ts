import type Database from 'better-sqlite3';
import { HeraldError, type PayloadSchema, type RuleGroup } from '@herald/core';
import type { Store } from '../repositories.ts';
import { WebhookSecrets } from '../internal/webhook-secrets.ts';
import { SqliteAccountRecordRepository } from './account-record.repository.ts';
import { SqliteAccountRepository } from './account.repository.ts';
import { SqliteApiKeyRepository } from './api-key.repository.ts';
import { SqliteAttemptRepository } from './attempt.repository.ts';
import { SqliteDedupRepository } from './dedup.repository.ts';
import { SqliteDeliveryRepository } from './delivery.repository.ts';
import { SqliteEventTypeRepository } from './event-type.repository.ts';
import { openDatabase } from './open-database.ts';
import { SqliteWebhookHealthRepository } from './webhook-health.repository.ts';
import { SqliteWebhookRepository } from './webhook.repository.ts';

export interface SqliteStoreOptions {
  /**
   * The database file, created (with its directory) if missing; a file Herald did not create is
   * refused. `':memory:'` = a database in memory, for tests: nothing survives `close()`.
   */
  path: string;
  /**
   * 32 bytes: webhook secrets and auth settings are stored encrypted with it (AES-256-GCM) and
   * decrypted on read, as the MongoDB store does. Absent = stored in clear (development only).
   * Reading values encrypted with another key fails with HERALD_CONFIG_INVALID.
   */
  encryptionKey?: Buffer;
  /** How long a write waits for another connection's write lock before it fails, in ms; default 5000. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

const databaseOf = new WeakMap<Store, Database.Database>();

/** For tests only: the store's own better-sqlite3 connection, to look at the raw rows and query plans. */
export function internalSqliteDatabase(store: Store): Database.Database {
  const db = databaseOf.get(store);
  if (!db) throw new TypeError('Not a store made by createSqliteStore');
  return db;
}

/**
 * The embedded store (F21): the whole contract in one SQLite file through better-sqlite3, so that
 * embedded mode keeps its data across restarts. Opens the file at once — synchronously, so a bad
 * path, a file that is not a Herald store or one of a newer schema fails here with
 * HERALD_CONFIG_INVALID naming the file (see open-database.ts for the checks and the durability
 * settings: WAL, `synchronous = FULL`, a busy timeout) — and creates its tables and indexes when
 * the file is new. `init()` then has nothing left to create; it checks the connection.
 *
 * Every repository call is one synchronous better-sqlite3 call or one transaction, committed
 * (and fsync'ed) before its promise resolves: what a call acknowledged is on disk, also if the
 * process is killed right after. Several processes may open the same file (WAL: readers never
 * wait; writers take turns, each read-modify-write in an IMMEDIATE transaction), though embedded
 * mode runs one.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  // First, so that a bad key fails before the file is touched.
  const secrets = new WebhookSecrets(options.encryptionKey);
  const db = openDatabase(options.path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  const where = db.name;

  function assertOpen(): void {
    if (!db.open) throw new HeraldError('HERALD_UNAVAILABLE', `The SQLite store ${where} is closed`);
  }

  const store: Store = {
    kind: 'sqlite',
    deliveries: new SqliteDeliveryRepository(db),
    attempts: new SqliteAttemptRepository(db),
    webhooks: new SqliteWebhookRepository(db, secrets),
    accounts: new SqliteAccountRepository(db),
    apiKeys: new SqliteApiKeyRepository(db),
    eventTypes: new SqliteEventTypeRepository(db),
    schemas: new SqliteAccountRecordRepository<PayloadSchema>(db, 'schemas', 'Schema'),
    ruleGroups: new SqliteAccountRecordRepository<RuleGroup>(db, 'rule_groups', 'Rule group'),
    dedup: new SqliteDedupRepository(db),
    webhookHealth: new SqliteWebhookHealthRepository(db),

    async init() {
      await store.ping();
    },

    async ping() {
      assertOpen();
      try {
        db.prepare('SELECT 1').get();
      } catch (err) {
        throw new HeraldError('HERALD_UNAVAILABLE', `The SQLite store ${where} does not answer: ${(err as Error).message}`, { cause: err });
      }
    },

    async close() {
      // The last connection to close checkpoints the WAL into the database file and removes it.
      if (db.open) db.close();
    },
  };
  databaseOf.set(store, db);
  return store;
}
