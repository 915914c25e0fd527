import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';
import type { ApiKey, ApiKeyRole } from '../entities.ts';
import type { AccountId, ApiKeyRepository } from '../repositories.ts';
import { toDate, toDateOrNull, toMillis, toMillisOrNull } from './columns.ts';
import { isUniqueViolation } from './constraint-error.ts';

interface ApiKeyRow {
  id: string;
  account: string;
  hash: string;
  name: string;
  role: ApiKeyRole;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

function toRow(k: ApiKey): ApiKeyRow {
  return {
    id: k.id,
    account: k.account,
    hash: k.hash,
    name: k.name,
    role: k.role,
    prefix: k.prefix,
    created_at: toMillis(k.createdAt),
    revoked_at: toMillisOrNull(k.revokedAt),
    last_used_at: toMillisOrNull(k.lastUsedAt),
  };
}

function fromRow(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    account: row.account,
    name: row.name,
    role: row.role,
    hash: row.hash,
    prefix: row.prefix,
    createdAt: toDate(row.created_at),
    revokedAt: toDateOrNull(row.revoked_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
  };
}

/**
 * API keys: `id` is the primary key and `hash` unique across accounts, so a second key with
 * either fails with a constraint error, HERALD_CONFLICT. `revoke` and `touch` each write only their
 * own column in one statement: a touch can never undo a revocation, and the first `revokedAt`
 * stays (`coalesce`).
 */
export class SqliteApiKeyRepository implements ApiKeyRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[ApiKeyRow]>;
  readonly #byHash: Database.Statement<[string], ApiKeyRow>;
  readonly #list: Database.Statement<[string], ApiKeyRow>;
  readonly #get: Database.Statement<[string, string], ApiKeyRow>;
  readonly #revoke: Database.Statement<[number, string, string]>;
  readonly #touch: Database.Statement<[number, string, string]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(`
      INSERT INTO api_keys (id, account, hash, name, role, prefix, created_at, revoked_at, last_used_at)
      VALUES (@id, @account, @hash, @name, @role, @prefix, @created_at, @revoked_at, @last_used_at)`);
    this.#byHash = db.prepare(`SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL`);
    this.#list = db.prepare(`SELECT * FROM api_keys WHERE account = ? ORDER BY created_at, id`);
    this.#get = db.prepare(`SELECT * FROM api_keys WHERE id = ? AND account = ?`);
    this.#revoke = db.prepare(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND account = ?`);
    this.#touch = db.prepare(`UPDATE api_keys SET last_used_at = ? WHERE id = ? AND account = ?`);
  }

  async insert(key: ApiKey): Promise<void> {
    try {
      this.#insert.run(toRow(key));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `API key ${key.id} conflicts with a stored key (same id or same hash)`, { cause: err });
    }
  }

  async findActiveByHashAcrossAccounts(hash: string): Promise<ApiKey | null> {
    const row = this.#byHash.get(hash);
    return row ? fromRow(row) : null;
  }

  async list(account: AccountId): Promise<ApiKey[]> {
    return this.#list.all(account).map(fromRow);
  }

  async get(account: AccountId, id: string): Promise<ApiKey | null> {
    const row = this.#get.get(id, account);
    return row ? fromRow(row) : null;
  }

  async revoke(account: AccountId, id: string, now: Date = new Date()): Promise<ApiKey | null> {
    return this.#db.transaction(() => {
      if (this.#revoke.run(toMillis(now), id, account).changes === 0) return null;
      const row = this.#get.get(id, account);
      return row ? fromRow(row) : null;
    }).immediate();
  }

  async touch(account: AccountId, id: string, now: Date): Promise<void> {
    this.#touch.run(toMillis(now), id, account);
  }
}
