import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';
import type { AccountId, AccountRecord, AccountRecordRepository, IdPageQuery } from '../repositories.ts';
import { decodeAccountRecord, encodeAccountRecord } from '../internal/account-record-codec.ts';
import { assertListLimit } from '../internal/list-query.ts';
import { toDate, toMillis } from './columns.ts';

/** A row of `schemas` or `rule_groups`: id, account and dates as columns, the rest as the codec's JSON text. */
interface AccountRecordRow {
  id: string;
  account: string;
  data: string;
  created_at: number;
  updated_at: number;
}

/** The tables that hold account records, one per kind. */
export type AccountRecordTable = 'schemas' | 'rule_groups';

/** An account's records of one kind (`what` names the kind in errors), kept whole (internal/account-record-codec.ts). */
export class SqliteAccountRecordRepository<T extends AccountRecord> implements AccountRecordRepository<T> {
  readonly #upsert: Database.Statement<[AccountRecordRow]>;
  readonly #get: Database.Statement<[string, string], AccountRecordRow>;
  readonly #list: Database.Statement<[string], AccountRecordRow>;
  readonly #first: Database.Statement<[string, number], AccountRecordRow>;
  readonly #after: Database.Statement<[string, string, number], AccountRecordRow>;
  readonly #delete: Database.Statement<[string, string]>;

  constructor(
    db: Database.Database,
    table: AccountRecordTable,
    private readonly what: string,
  ) {
    // Replaces the account's own record; an id another account holds changes nothing (0 changes).
    this.#upsert = db.prepare(`
      INSERT INTO ${table} (id, account, data, created_at, updated_at) VALUES (@id, @account, @data, @created_at, @updated_at)
      ON CONFLICT (id) DO UPDATE SET data = excluded.data, created_at = excluded.created_at, updated_at = excluded.updated_at
      WHERE ${table}.account = excluded.account`);
    this.#get = db.prepare(`SELECT * FROM ${table} WHERE id = ? AND account = ?`);
    this.#list = db.prepare(`SELECT * FROM ${table} WHERE account = ? ORDER BY id`);
    this.#first = db.prepare(`SELECT * FROM ${table} WHERE account = ? ORDER BY id LIMIT ?`);
    this.#after = db.prepare(`SELECT * FROM ${table} WHERE account = ? AND id > ? ORDER BY id LIMIT ?`);
    this.#delete = db.prepare(`DELETE FROM ${table} WHERE id = ? AND account = ?`);
  }

  async upsert(record: T): Promise<void> {
    const encoded = encodeAccountRecord(record);
    const row: AccountRecordRow = { id: encoded.id, account: encoded.account, data: encoded.data, created_at: toMillis(encoded.createdAt), updated_at: toMillis(encoded.updatedAt) };
    if (this.#upsert.run(row).changes === 0) throw new HeraldError('HERALD_CONFLICT', `${this.what} id ${record.id} is taken`);
  }

  async get(account: AccountId, id: string): Promise<T | null> {
    const row = this.#get.get(id, account);
    return row ? decode<T>(row) : null;
  }

  async list(account: AccountId): Promise<T[]> {
    return this.#list.all(account).map((row) => decode<T>(row));
  }

  async page(account: AccountId, query: IdPageQuery): Promise<T[]> {
    assertListLimit(query.limit);
    const rows = query.after === undefined ? this.#first.all(account, query.limit) : this.#after.all(account, query.after, query.limit);
    return rows.map((row) => decode<T>(row));
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    return this.#delete.run(id, account).changes === 1;
  }
}

function decode<T extends AccountRecord>(row: AccountRecordRow): T {
  return decodeAccountRecord<T>({ id: row.id, account: row.account, data: row.data, createdAt: toDate(row.created_at), updatedAt: toDate(row.updated_at) });
}
