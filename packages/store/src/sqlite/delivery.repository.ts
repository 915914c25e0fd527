import type Database from 'better-sqlite3';
import type { Delivery, DeliveryStatus, EventEnvelope } from '@herald/core';
import type { AccountId, DeliveryListQuery, DeliveryOutcome, DeliveryRepository, InsertLease, NewDelivery, RequeueQuery } from '../repositories.ts';
import { assertDeliveryListQuery, assertListLimit, assertValidDate, unknownCursorError } from '../internal/list-query.ts';
import { initialDelivery, uniqueById } from '../internal/new-delivery.ts';
import { assertRequeueQuery, isFinalStatus } from '../internal/requeue-query.ts';
import { claimableFrom, isClaimableAt } from '../internal/due.ts';
import { fromJsonText, toJsonText } from '../internal/json-value.ts';
import { fromFlag, toDate, toDateOrNull, toFlag, toMillis, toMillisOrNull } from './columns.ts';
import { FINAL_STATUS_SQL } from './schema.ts';

/** A row of `deliveries` (see schema.ts). */
interface DeliveryRow {
  id: string;
  account: string;
  webhook_id: string;
  schema_id: string | null;
  event_id: string;
  event_type: string;
  entity_type: string;
  entity_id: string;
  status: DeliveryStatus;
  attempts: number;
  attempt_limit: number | null;
  next_attempt_at: number | null;
  lease_until: number | null;
  lease_owner: string | null;
  claimable_from: number | null;
  last_error: string | null;
  suppressed_by: string | null;
  test: number;
  created_at: number;
  updated_at: number;
  event: string;
}

/** A delivery and who holds its lease (kept beside it, never shown). */
interface Stored {
  delivery: Delivery;
  leaseOwner: string | null;
}

/** How many deliveries a replay requeues per transaction. */
const REQUEUE_PAGE = 100;

function toRow({ delivery: d, leaseOwner }: Stored): DeliveryRow {
  return {
    id: d.id,
    account: d.account,
    webhook_id: d.webhookId,
    schema_id: d.schemaId,
    event_id: d.eventId,
    event_type: d.eventType,
    entity_type: d.entity.type,
    entity_id: d.entity.id,
    status: d.status,
    attempts: d.attempts,
    attempt_limit: d.attemptLimit ?? null,
    next_attempt_at: toMillisOrNull(d.nextAttemptAt),
    lease_until: toMillisOrNull(d.leaseUntil),
    lease_owner: leaseOwner,
    claimable_from: toMillisOrNull(claimableFrom(d)),
    last_error: d.lastError ?? null,
    suppressed_by: d.suppressedBy ?? null,
    test: toFlag(d.test === true),
    created_at: toMillis(d.createdAt),
    updated_at: toMillis(d.updatedAt),
    event: toJsonText(d.event),
  };
}

function fromRow(row: DeliveryRow): Stored {
  const delivery: Delivery = {
    id: row.id,
    account: row.account,
    webhookId: row.webhook_id,
    schemaId: row.schema_id,
    eventId: row.event_id,
    eventType: row.event_type,
    entity: { type: row.entity_type, id: row.entity_id },
    event: fromJsonText<EventEnvelope>(row.event),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: toDateOrNull(row.next_attempt_at),
    leaseUntil: toDateOrNull(row.lease_until),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  if (row.last_error !== null) delivery.lastError = row.last_error;
  if (row.suppressed_by !== null) delivery.suppressedBy = row.suppressed_by;
  if (fromFlag(row.test)) delivery.test = true;
  if (row.attempt_limit !== null) delivery.attemptLimit = row.attempt_limit;
  return { delivery, leaseOwner: row.lease_owner };
}

/** A copy of the delivery to hand out (the stored object is then changed no more, but callers own theirs). */
function out(stored: Stored): Delivery {
  return fromRow(toRow(stored)).delivery;
}

/**
 * Deliveries in SQLite. Every operation that reads and then writes runs in one IMMEDIATE
 * transaction (the write lock is taken first), so it is atomic against every other connection to
 * the file, not only against the calls of this process (which better-sqlite3 runs one at a time
 * anyway: each call is synchronous). The claim, lease and due rules are internal/due.ts's, as in
 * the memory store; `claimable_from` keeps `claimableFrom()` of each row, so that the retry
 * scheduler finds what is due through an index rather than by scanning the log.
 */
export class SqliteDeliveryRepository implements DeliveryRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[DeliveryRow]>;
  readonly #byId: Database.Statement<[string, string], DeliveryRow>;
  readonly #exists: Database.Statement<[string], number>;
  readonly #save: Database.Statement<[DeliveryRow]>;
  readonly #due: Database.Statement<[number, number], DeliveryRow>;
  readonly #cancel: Database.Statement<[{ account: string; webhookId: string; now: number }]>;
  readonly #finalBefore: Database.Statement<[number, number], string>;
  readonly #deleteAttempts: Database.Statement<[string]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #listStatements = new Map<string, Database.Statement<[Record<string, unknown>], DeliveryRow>>();

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(`
      INSERT INTO deliveries (id, account, webhook_id, schema_id, event_id, event_type, entity_type, entity_id, status, attempts,
        attempt_limit, next_attempt_at, lease_until, lease_owner, claimable_from, last_error, suppressed_by, test, created_at, updated_at, event)
      VALUES (@id, @account, @webhook_id, @schema_id, @event_id, @event_type, @entity_type, @entity_id, @status, @attempts,
        @attempt_limit, @next_attempt_at, @lease_until, @lease_owner, @claimable_from, @last_error, @suppressed_by, @test, @created_at, @updated_at, @event)
      ON CONFLICT (id) DO NOTHING`);
    this.#byId = db.prepare(`SELECT * FROM deliveries WHERE id = ? AND account = ?`);
    this.#exists = db.prepare<[string], number>(`SELECT 1 FROM deliveries WHERE id = ?`).pluck();
    // What the repository changes after insert; the rest of a delivery never changes.
    this.#save = db.prepare(`
      UPDATE deliveries SET status = @status, attempts = @attempts, attempt_limit = @attempt_limit, next_attempt_at = @next_attempt_at,
        lease_until = @lease_until, lease_owner = @lease_owner, claimable_from = @claimable_from, last_error = @last_error, updated_at = @updated_at
      WHERE id = @id`);
    // Uses deliveries_due: `claimable_from <= ?` implies the index's `claimable_from IS NOT NULL`.
    this.#due = db.prepare(`SELECT * FROM deliveries WHERE claimable_from <= ? ORDER BY claimable_from, next_attempt_at, id LIMIT ?`);
    // A cancelled delivery is final: claimableFrom() is null, and its lease holder is fenced off.
    this.#cancel = db.prepare(`
      UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL, claimable_from = NULL, updated_at = @now
      WHERE account = @account AND webhook_id = @webhookId AND status = 'pending'`);
    this.#finalBefore = db.prepare<[number, number], string>(`SELECT id FROM deliveries WHERE ${FINAL_STATUS_SQL} AND updated_at < ? ORDER BY updated_at, id LIMIT ?`).pluck();
    this.#deleteAttempts = db.prepare(`DELETE FROM attempts WHERE delivery_id = ?`);
    this.#delete = db.prepare(`DELETE FROM deliveries WHERE id = ?`);
  }

  async insertMany(deliveries: NewDelivery[], lease?: InsertLease): Promise<{ inserted: string[] }> {
    const now = new Date();
    return this.#db.transaction(() => {
      const inserted: string[] = [];
      for (const d of uniqueById(deliveries)) {
        const stored: Stored = { delivery: initialDelivery(d, now), leaseOwner: null };
        if (lease && stored.delivery.status === 'pending') leaseTo(stored, lease.owner, lease.leaseMs, now);
        if (this.#insert.run(toRow(stored)).changes === 1) inserted.push(d.id);
      }
      return { inserted };
    }).immediate();
  }

  async get(account: AccountId, id: string): Promise<Delivery | null> {
    const row = this.#byId.get(id, account);
    return row ? fromRow(row).delivery : null;
  }

  async existingAcrossAccounts(ids: readonly string[]): Promise<Set<string>> {
    return this.#db.transaction(() => new Set([...new Set(ids)].filter((id) => this.#exists.get(id) !== undefined)))();
  }

  async list(account: AccountId, query: DeliveryListQuery): Promise<Delivery[]> {
    assertDeliveryListQuery(query);
    const where = ['account = @account'];
    const params: Record<string, unknown> = { account, limit: query.limit };
    if (query.webhookId !== undefined) {
      where.push('webhook_id = @webhookId');
      params['webhookId'] = query.webhookId;
    }
    if (query.status !== undefined) {
      where.push('status = @status');
      params['status'] = query.status;
    }
    if (query.eventType !== undefined) {
      where.push('event_type = @eventType');
      params['eventType'] = query.eventType;
    }
    if (query.entity !== undefined) {
      where.push('entity_type = @entityType', 'entity_id = @entityId');
      params['entityType'] = query.entity.type;
      params['entityId'] = query.entity.id;
    }
    if (query.since !== undefined) {
      where.push('created_at >= @since');
      params['since'] = toMillis(query.since);
    }
    if (query.until !== undefined) {
      where.push('created_at < @until');
      params['until'] = toMillis(query.until);
    }
    return this.#db.transaction(() => {
      if (query.after !== undefined) {
        const cursor = this.#byId.get(query.after, account);
        if (!cursor) throw unknownCursorError();
        // Latest first: what comes after the cursor is older, or as old with a smaller id.
        where.push('(created_at < @cursorAt OR (created_at = @cursorAt AND id < @cursorId))');
        params['cursorAt'] = cursor.created_at;
        params['cursorId'] = cursor.id;
      }
      const sql = `SELECT * FROM deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`;
      return this.#listStatement(sql).all(params).map((row) => fromRow(row).delivery);
    })();
  }

  async claim(account: AccountId, id: string, owner: string, leaseMs: number, now: Date = new Date()): Promise<Delivery | null> {
    return this.#db.transaction(() => {
      const row = this.#byId.get(id, account);
      if (!row) return null;
      const stored = fromRow(row);
      if (!isClaimableAt(stored.delivery, now)) return null;
      leaseTo(stored, owner, leaseMs, now);
      this.#save.run(toRow(stored));
      return out(stored);
    }).immediate();
  }

  async claimDueAcrossAccounts(owner: string, leaseMs: number, limit: number, now: Date = new Date()): Promise<Delivery[]> {
    if (!(limit >= 1)) return [];
    return this.#db.transaction(() =>
      this.#due.all(toMillis(now), Math.floor(limit)).map((row) => {
        const stored = fromRow(row);
        leaseTo(stored, owner, leaseMs, now);
        this.#save.run(toRow(stored));
        return out(stored);
      }),
    ).immediate();
  }

  async complete(account: AccountId, id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return this.#db.transaction(() => {
      const row = this.#byId.get(id, account);
      if (!row || row.lease_owner !== owner || row.status !== 'pending') return false;
      const stored = fromRow(row);
      const d = stored.delivery;
      d.status = outcome.status;
      d.attempts = outcome.attempts;
      d.nextAttemptAt = outcome.nextAttemptAt === null ? null : new Date(outcome.nextAttemptAt.getTime());
      if (outcome.lastError !== undefined) d.lastError = outcome.lastError;
      else delete d.lastError;
      d.leaseUntil = null;
      d.updatedAt = new Date();
      stored.leaseOwner = null;
      this.#save.run(toRow(stored));
      return true;
    }).immediate();
  }

  async requeue(account: AccountId, id: string, now: Date = new Date()): Promise<Delivery | null> {
    return this.#db.transaction(() => {
      const row = this.#byId.get(id, account);
      if (!row) return null;
      const stored = fromRow(row);
      if (!requeued(stored, now)) return null;
      this.#save.run(toRow(stored));
      return out(stored);
    }).immediate();
  }

  async requeueForWebhook(account: AccountId, webhookId: string, query: RequeueQuery, now: Date = new Date()): Promise<number> {
    assertRequeueQuery(query);
    const statuses = [...new Set(query.statuses)];
    if (statuses.length === 0) return 0;
    const params: Record<string, unknown> = { account, webhookId, since: toMillis(query.since), limit: REQUEUE_PAGE };
    statuses.forEach((s, i) => (params[`s${i}`] = s));
    let sql = `SELECT * FROM deliveries WHERE account = @account AND webhook_id = @webhookId AND created_at >= @since`;
    if (query.until !== undefined) {
      sql += ' AND created_at < @until';
      params['until'] = toMillis(query.until);
    }
    sql += ` AND status IN (${statuses.map((_, i) => `@s${i}`).join(', ')}) AND test = 0`;
    const first = this.#listStatement(`${sql} ORDER BY created_at, id LIMIT @limit`);
    const next = this.#listStatement(`${sql} AND (created_at > @cursorAt OR (created_at = @cursorAt AND id > @cursorId)) ORDER BY created_at, id LIMIT @limit`);

    // One transaction per page, and the event loop gets a turn between pages: a large replay
    // holds the write lock only briefly at a time.
    let count = 0;
    let cursor: DeliveryRow | undefined;
    for (;;) {
      const page = this.#db.transaction(() => {
        const rows = cursor === undefined ? first.all(params) : next.all({ ...params, cursorAt: cursor.created_at, cursorId: cursor.id });
        for (const row of rows) {
          const stored = fromRow(row);
          if (!requeued(stored, now)) continue;
          this.#save.run(toRow(stored));
          count++;
        }
        return rows;
      }).immediate();
      if (page.length < REQUEUE_PAGE) return count;
      cursor = page[page.length - 1];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async cancelPendingForWebhook(account: AccountId, webhookId: string): Promise<number> {
    return this.#cancel.run({ account, webhookId, now: Date.now() }).changes;
  }

  async deleteFinalOlderThanAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    assertListLimit(limit);
    assertValidDate('cutoff', cutoff);
    // One transaction: the attempts and their delivery go together (attempts first all the same).
    return this.#db.transaction(() => {
      const victims = this.#finalBefore.all(toMillis(cutoff), limit);
      for (const id of victims) this.#deleteAttempts.run(id);
      for (const id of victims) this.#delete.run(id);
      return victims.length;
    }).immediate();
  }

  #listStatement(sql: string): Database.Statement<[Record<string, unknown>], DeliveryRow> {
    let statement = this.#listStatements.get(sql);
    if (!statement) {
      statement = this.#db.prepare<[Record<string, unknown>], DeliveryRow>(sql);
      this.#listStatements.set(sql, statement);
    }
    return statement;
  }
}

function leaseTo(stored: Stored, owner: string, leaseMs: number, now: Date): void {
  stored.delivery.leaseUntil = new Date(now.getTime() + leaseMs);
  stored.delivery.updatedAt = new Date(now.getTime());
  stored.leaseOwner = owner;
}

/** Back to pending, due at `now`, one attempt more allowed; false (nothing changed) unless final and not a test. */
function requeued(stored: Stored, now: Date): boolean {
  const d = stored.delivery;
  if (!isFinalStatus(d.status) || d.test === true) return false;
  d.status = 'pending';
  d.nextAttemptAt = new Date(now.getTime());
  d.attemptLimit = d.attempts + 1;
  d.leaseUntil = null;
  d.updatedAt = new Date(now.getTime());
  stored.leaseOwner = null;
  return true;
}
