import type Database from 'better-sqlite3';
import { HeraldError, type Attempt } from '@herald/core';
import type { AccountId, AttemptRepository } from '../repositories.ts';
import { fromJsonText, toJsonText } from '../internal/json-value.ts';
import { fromFlag, toDate, toFlag, toMillis } from './columns.ts';
import { isUniqueViolation } from './constraint-error.ts';

/** A row of `attempts`: (delivery_id, number) is the primary key. */
interface AttemptRow {
  delivery_id: string;
  number: number;
  id: string;
  account: string;
  webhook_id: string;
  started_at: number;
  success: number;
  data: string;
}

/** What an attempt keeps as JSON: the request and response with their free-form header maps. */
type AttemptData = Pick<Attempt, 'durationMs' | 'request' | 'response' | 'error'>;

function toRow(a: Attempt): AttemptRow {
  const data: AttemptData = {
    durationMs: a.durationMs,
    request: { url: a.request.url, method: a.request.method, headers: a.request.headers, body: a.request.body },
  };
  if (a.response !== undefined) {
    data.response = { status: a.response.status, headers: a.response.headers, body: a.response.body, truncated: a.response.truncated };
  }
  if (a.error !== undefined) data.error = { class: a.error.class, message: a.error.message };
  return {
    delivery_id: a.deliveryId,
    number: a.number,
    id: a.id,
    account: a.account,
    webhook_id: a.webhookId,
    started_at: toMillis(a.startedAt),
    success: toFlag(a.success),
    data: toJsonText(data),
  };
}

function fromRow(row: AttemptRow): Attempt {
  const data = fromJsonText<AttemptData>(row.data);
  const attempt: Attempt = {
    id: row.id,
    account: row.account,
    deliveryId: row.delivery_id,
    webhookId: row.webhook_id,
    number: row.number,
    startedAt: toDate(row.started_at),
    durationMs: data.durationMs,
    request: data.request,
    success: fromFlag(row.success),
  };
  if (data.response !== undefined) attempt.response = data.response;
  if (data.error !== undefined) attempt.error = data.error;
  return attempt;
}

export class SqliteAttemptRepository implements AttemptRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[AttemptRow]>;
  readonly #insertNew: Database.Statement<[AttemptRow]>;
  readonly #list: Database.Statement<[string, string], AttemptRow>;
  readonly #deleteFor: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#db = db;
    const insert = `INSERT INTO attempts (delivery_id, number, id, account, webhook_id, started_at, success, data)
      VALUES (@delivery_id, @number, @id, @account, @webhook_id, @started_at, @success, @data)`;
    this.#insert = db.prepare(insert);
    this.#insertNew = db.prepare(`${insert} ON CONFLICT (delivery_id, number) DO NOTHING`);
    this.#list = db.prepare(`SELECT * FROM attempts WHERE delivery_id = ? AND account = ? ORDER BY number`);
    this.#deleteFor = db.prepare(`DELETE FROM attempts WHERE delivery_id = ?`);
  }

  async insert(attempt: Attempt): Promise<void> {
    try {
      this.#insert.run(toRow(attempt));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Attempt ${attempt.number} of delivery ${attempt.deliveryId} is already logged`, { cause: err });
    }
  }

  async insertMany(attempts: Attempt[]): Promise<{ inserted: number }> {
    return this.#db.transaction(() => {
      let inserted = 0;
      for (const attempt of attempts) inserted += this.#insertNew.run(toRow(attempt)).changes;
      return { inserted };
    }).immediate();
  }

  async listForDelivery(account: AccountId, deliveryId: string): Promise<Attempt[]> {
    return this.#list.all(deliveryId, account).map(fromRow);
  }

  async deleteForDeliveriesAcrossAccounts(deliveryIds: readonly string[]): Promise<number> {
    return this.#db.transaction(() => {
      let deleted = 0;
      for (const id of new Set(deliveryIds)) deleted += this.#deleteFor.run(id).changes;
      return deleted;
    }).immediate();
  }
}
