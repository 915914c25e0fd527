import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';
import type { Account } from '../entities.ts';
import type { AccountPatch, AccountRepository, IdPageQuery } from '../repositories.ts';
import { assertListLimit } from '../internal/list-query.ts';
import { fromFlag, toDate, toFlag, toMillis } from './columns.ts';
import { isUniqueViolation } from './constraint-error.ts';

interface AccountRow {
  id: string;
  name: string;
  webhooks_enabled: number;
  created_at: number;
  updated_at: number;
}

function toRow(a: Account): AccountRow {
  return { id: a.id, name: a.name, webhooks_enabled: toFlag(a.webhooksEnabled), created_at: toMillis(a.createdAt), updated_at: toMillis(a.updatedAt) };
}

function fromRow(row: AccountRow): Account {
  return { id: row.id, name: row.name, webhooksEnabled: fromFlag(row.webhooks_enabled), createdAt: toDate(row.created_at), updatedAt: toDate(row.updated_at) };
}

/** Accounts (operator-level: no account scopes these); every field is a column. */
export class SqliteAccountRepository implements AccountRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[AccountRow]>;
  readonly #get: Database.Statement<[string], AccountRow>;
  readonly #first: Database.Statement<[number], AccountRow>;
  readonly #after: Database.Statement<[string, number], AccountRow>;
  readonly #save: Database.Statement<[AccountRow]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO accounts (id, name, webhooks_enabled, created_at, updated_at) VALUES (@id, @name, @webhooks_enabled, @created_at, @updated_at)`);
    this.#get = db.prepare(`SELECT * FROM accounts WHERE id = ?`);
    this.#first = db.prepare(`SELECT * FROM accounts ORDER BY id LIMIT ?`);
    this.#after = db.prepare(`SELECT * FROM accounts WHERE id > ? ORDER BY id LIMIT ?`);
    this.#save = db.prepare(`UPDATE accounts SET name = @name, webhooks_enabled = @webhooks_enabled, updated_at = @updated_at WHERE id = @id`);
  }

  async create(account: Account): Promise<void> {
    try {
      this.#insert.run(toRow(account));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Account ${account.id} already exists`, { cause: err });
    }
  }

  async get(id: string): Promise<Account | null> {
    const row = this.#get.get(id);
    return row ? fromRow(row) : null;
  }

  async list(query: IdPageQuery): Promise<Account[]> {
    assertListLimit(query.limit);
    const rows = query.after === undefined ? this.#first.all(query.limit) : this.#after.all(query.after, query.limit);
    return rows.map(fromRow);
  }

  async update(id: string, patch: AccountPatch, now: Date = new Date()): Promise<Account | null> {
    return this.#db.transaction(() => {
      const row = this.#get.get(id);
      if (!row) return null;
      const account = fromRow(row);
      if (patch.name !== undefined) account.name = patch.name;
      if (patch.webhooksEnabled !== undefined) account.webhooksEnabled = patch.webhooksEnabled;
      account.updatedAt = new Date(now.getTime());
      this.#save.run(toRow(account));
      return account;
    }).immediate();
  }
}
