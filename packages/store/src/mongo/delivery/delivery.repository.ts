import type { FilterQuery, Model, UpdateQuery } from 'mongoose';
import { FINAL_DELIVERY_STATUSES, type Delivery } from '@herald/core';
import type { AccountId, AttemptRepository, DeliveryListQuery, DeliveryOutcome, DeliveryRepository, NewDelivery, RequeueQuery, InsertLease } from '../../repositories.ts';
import { claimableFrom, dueOrder, isClaimableAt } from '../../internal/due.ts';
import { assertDeliveryListQuery, assertListLimit, assertValidDate, unknownCursorError } from '../../internal/list-query.ts';
import { initialDelivery, uniqueById } from '../../internal/new-delivery.ts';
import { assertRequeueQuery, isFinalStatus } from '../../internal/requeue-query.ts';
import { duplicateIndexes } from '../duplicate-key.ts';
import { DeliveryQueue, IN_PROGRESS_MS, type QueuedDelivery } from './delivery-queue.ts';
import type { QueueEntryDoc } from './delivery-queue.schema.ts';
import { toDelivery, toDeliveryDoc, type DeliveryDoc } from './delivery.schema.ts';
import { LeaseTickets } from './lease-tickets.ts';

/*
 * Deliveries on MongoDB: what is written in which order, what is durable when, and what a crash
 * between two writes leaves behind.
 *
 * Collections: `deliveries` (the log, `_id` = delivery id), `delivery_lease_tickets` (the
 * compare-and-set of lease changes, lease-tickets.ts) and `delivery_queue` (where the scheduler
 * finds due deliveries, delivery-queue.ts). mongo-java-server answers only `{_id}` and
 * `{_id: {$in}}` filters from an index and scans the collection for anything else, and the log
 * grows to hundreds of thousands of documents; so every per-delivery operation here reads and
 * writes `deliveries`, tickets and attempts by `_id` alone, and checks the account and its
 * conditions in code (another account's delivery is treated as absent). Only cold paths filter
 * otherwise: `list`, the page reads of `requeueForWebhook`, `cancelPendingForWebhook`, retention,
 * the scheduler's scan of the (small) queue, and the queue backfill in init().
 *
 * There are no transactions. Each write is a single-document write (or one unordered bulk
 * insert), atomic on its own and durable once acknowledged. Writers that change who may write
 * next (claim, requeue, completion near the end of its lease) first win a ticket; a delivery
 * write gets back the document as it was (`returnDocument: 'before'`), and one that finds that
 * another write landed after its read (a cancel, or a writer whose ticket ran out) puts back the
 * fields it overwrote and reports that it lost.
 *
 * The queue invariant: a pending delivery that has a next attempt always has an entry. Writers
 * that make a delivery pending (insertMany, a retry outcome, requeue) write the entry first;
 * entries are deleted only after their delivery was seen final or missing, and a delete that
 * took an entry rewritten meanwhile puts it back (delivery-queue.ts; the one gap, a crash right
 * inside that put-back, is closed by the backfill of the next init()).
 * An entry may be due early: the scheduler then finds the delivery not claimable yet and points
 * the entry at when it is. After a crash it is due no later than the interrupted operation meant
 * (a retry's `nextAttemptAt`), so no delivery waits longer than its outcome asked for.
 *
 * insertMany: (1) queue entries of the pending deliveries, insert-only (an existing entry is
 *   kept); (2) the deliveries, one unordered insert.
 *   - crash after (1): entries without deliveries; the scheduler deletes them once they are
 *     IN_PROGRESS_MS old. The caller retries the batch, and its entries are kept.
 *   - a replayed batch: deliveries that exist stay as they are; an entry this call created for
 *     one of them (it had none: it is final) is stale, and the scheduler deletes it when due.
 * claim (and each delivery claimDueAcrossAccounts takes): (1) read by `_id`; (2) ticket
 *   `<id>#<gen+1>`; (3) the lease fields, by `_id`; (4) entry due just after the lease, so that
 *   the scheduler looks again if the holder dies.
 *   - after (2): the ticket blocks other claimers until the lease it would have given ends; the
 *     delivery is claimable again after that (the next claimer skips the dead generation).
 *   - after (3): leased, its entry still at its earlier due time: the scheduler finds it leased
 *     and points the entry at the lease's end.
 * complete: (1) read by `_id`: pending and leased by `owner`, else false; (2) ticket `<id>#<gen+1>`
 *   unless the lease has more than FAST_COMPLETION_MARGIN_MS to run (the fast path: no claimer
 *   takes an unexpired lease); (3) a `pending` outcome: entry at its `nextAttemptAt`; (4) the
 *   outcome, by `_id`; (5) a final outcome: entry deleted; (6) spent tickets deleted by `_id`.
 *   - after (2): the ticket holds off claimers for COMPLETION_HOLD_MS; the delivery stays leased
 *     to the dead holder, and is claimed and attempted again after both ran out (the attempt is
 *     logged already, so the engine records an outcome instead of resending).
 *   - after (3): the entry is due at `nextAttemptAt`, the delivery still leased to the dead
 *     holder: when the entry comes due, the scheduler claims the delivery if its lease ran out,
 *     else points the entry at the lease's end and claims it then, as in (2).
 *   - after (4), final: a stale entry; the scheduler deletes it when due.
 *   - after (4) or (5): spent tickets stay; they block nobody (generations up to the delivery's
 *     are never taken again) and retention deletes them with the delivery.
 * requeue (resend, and each delivery of a replay): (1) read by `_id`: final and not a test;
 *   (2) ticket; (3) entry due at `now`; (4) pending, by `_id`; (5) spent tickets deleted.
 *   - after (2): the ticket holds off other requeues for REQUEUE_HOLD_MS; the delivery stays final.
 *   - after (3): a stale entry; the scheduler deletes it once it is IN_PROGRESS_MS old.
 *   - after (4): spent tickets stay, as for complete.
 * cancelPendingForWebhook: one `updateMany` (a cold path). The entries of the cancelled
 *   deliveries stay; the scheduler deletes them when they come due.
 * deleteFinalOlderThanAcrossAccounts: (1) attempts; (2) expired tickets; (3) stale entries;
 *   (4) the deliveries, repeating the condition. A crash in between leaves final deliveries
 *   (without attempts, tickets or entries), which the next sweep deletes.
 * init(): every pending delivery without an entry gets one (`backfillQueue`): for deliveries
 *   stored before the queue existed, or by an instance that did not write entries yet.
 */

/**
 * How long a completion's ticket holds off claimers while its write lands. It only matters if
 * the process dies between the two; the delivery is then claimable again after this.
 */
const COMPLETION_HOLD_MS = 60_000;

/**
 * A completion whose lease still has this long to run writes without a ticket (see `complete`):
 * far more than a write takes, and than the clocks of two instances may differ.
 */
const FAST_COMPLETION_MARGIN_MS = 10_000;

/** How long a requeue's ticket holds off other requeues while its write lands (as COMPLETION_HOLD_MS). */
const REQUEUE_HOLD_MS = 60_000;
/** The ticket owner of a requeue (resend, replay): no worker holds a requeued delivery. */
const REQUEUE_OWNER = 'requeue';
/** How many deliveries a replay reads at a time, and how many of them it requeues at once. */
const REQUEUE_PAGE = 100;
const REQUEUE_CONCURRENCY = 8;
/** How many queue entries the init() backfill inserts at a time. */
const BACKFILL_CHUNK = 1_000;

/** What `complete` reads and writes, and puts back should it find it overwrote another write. */
const OUTCOME_FIELDS = ['status', 'attempts', 'nextAttemptAt', 'leaseUntil', 'leaseOwner', 'leaseGen', 'lastError', 'updatedAt'] as const;
/** What a claim writes. */
const LEASE_FIELDS = ['leaseGen', 'leaseOwner', 'leaseUntil', 'updatedAt'] as const;
/** What a requeue writes. */
const REQUEUE_FIELDS = ['status', 'nextAttemptAt', 'attemptLimit', 'leaseUntil', 'leaseOwner', 'leaseGen', 'updatedAt'] as const;

type Field = keyof DeliveryDoc;

/** Final and not a test: what may be requeued. */
function isRequeueable(doc: Pick<DeliveryDoc, 'status' | 'test'>): boolean {
  return isFinalStatus(doc.status) && doc.test !== true;
}

/** The document as a write has just left it: the one from just before it, with the fields it set. */
function after(before: DeliveryDoc, set: Partial<DeliveryDoc>): DeliveryDoc {
  return { ...before, ...set };
}

export class MongoDeliveryRepository implements DeliveryRepository {
  readonly #model: Model<DeliveryDoc>;
  readonly #tickets: LeaseTickets;
  readonly #queue: DeliveryQueue;
  /** Where the attempts live: retention deletes a delivery's attempts with it. */
  readonly #attempts: AttemptRepository;

  constructor(model: Model<DeliveryDoc>, tickets: LeaseTickets, queue: DeliveryQueue, attempts: AttemptRepository) {
    this.#model = model;
    this.#tickets = tickets;
    this.#queue = queue;
    this.#attempts = attempts;
  }

  async insertMany(deliveries: NewDelivery[], lease?: InsertLease): Promise<{ inserted: string[] }> {
    const batch = uniqueById(deliveries);
    if (batch.length === 0) return { inserted: [] };
    const now = new Date();
    const docs = batch.map((d) => {
      const doc = toDeliveryDoc(initialDelivery(d, now));
      if (lease && doc.status === 'pending') {
        // Born leased (generation 0, no ticket): only the inserter has it, since the id is unique.
        doc.leaseOwner = lease.owner;
        doc.leaseUntil = new Date(now.getTime() + lease.leaseMs);
      }
      return doc;
    });
    // The entries first: a pending delivery is never without one.
    const entries: QueueEntryDoc[] = [];
    for (const doc of docs) {
      const dueAt = claimableFrom(doc);
      if (dueAt !== null) entries.push(DeliveryQueue.entry(doc, dueAt, 0));
    }
    await this.#queue.insertNew(entries);
    try {
      // Unordered: one duplicate does not stop the rest of the batch.
      await this.#model.insertMany(docs, { ordered: false, lean: true });
      return { inserted: batch.map((d) => d.id) };
    } catch (err) {
      const duplicates = duplicateIndexes(err, docs.length);
      return { inserted: batch.filter((_, i) => !duplicates.has(i)).map((d) => d.id) };
    }
  }

  async get(account: AccountId, id: string): Promise<Delivery | null> {
    const doc = await this.#read(account, id);
    return doc ? toDelivery(doc) : null;
  }

  async existingAcrossAccounts(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    // `_id` alone in the filter: the one shape every server answers from its `_id` index.
    const docs = await this.#model.find({ _id: { $in: [...ids] } }, { _id: 1 }).lean<Pick<DeliveryDoc, '_id'>[]>();
    return new Set(docs.map((d) => d._id));
  }

  async list(account: AccountId, query: DeliveryListQuery): Promise<Delivery[]> {
    assertDeliveryListQuery(query);
    const filter: FilterQuery<DeliveryDoc> = { account };
    if (query.webhookId !== undefined) filter.webhookId = query.webhookId;
    if (query.status !== undefined) filter.status = query.status;
    if (query.eventType !== undefined) filter.eventType = query.eventType;
    if (query.entity !== undefined) {
      filter['entity.type'] = query.entity.type;
      filter['entity.id'] = query.entity.id;
    }
    if (query.since !== undefined || query.until !== undefined) {
      filter.createdAt = {
        ...(query.since !== undefined ? { $gte: query.since } : {}),
        ...(query.until !== undefined ? { $lt: query.until } : {}),
      };
    }
    if (query.after !== undefined) {
      const cursor = await this.#read(account, query.after);
      if (!cursor) throw unknownCursorError();
      // In $and: the time range above may hold `createdAt` too.
      filter.$and = [{ $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $lt: cursor._id } }] }];
    }
    const docs = await this.#model.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit).lean<DeliveryDoc[]>();
    return docs.map(toDelivery);
  }

  async claim(account: AccountId, id: string, owner: string, leaseMs: number, now: Date = new Date()): Promise<Delivery | null> {
    const doc = await this.#read(account, id);
    return doc ? this.#claim(doc, owner, leaseMs, now) : null;
  }

  /**
   * Reads the due queue entries (soonest first), the deliveries they name (one read by `_id`),
   * and claims the claimable ones as `claim` does, repairing the entries of the others; again
   * with the next entries until `limit` are claimed or no due entry is left.
   */
  async claimDueAcrossAccounts(owner: string, leaseMs: number, limit: number, now: Date = new Date()): Promise<Delivery[]> {
    const wanted = Math.max(0, Math.floor(limit));
    const claimed: Delivery[] = [];
    const seen: string[] = [];
    while (claimed.length < wanted) {
      const entries = await this.#queue.due(now, wanted - claimed.length, seen);
      if (entries.length === 0) break;
      for (const e of entries) seen.push(e._id);
      const docs = await this.#model.find({ _id: { $in: entries.map((e) => e._id) } }).lean<DeliveryDoc[]>();
      const byId = new Map(docs.map((d) => [d._id, d]));
      const claimable: DeliveryDoc[] = [];
      const repairs: Promise<void>[] = [];
      for (const entry of entries) {
        const doc = byId.get(entry._id) ?? null;
        if (doc && isClaimableAt(doc, now)) claimable.push(doc);
        else repairs.push(this.#queue.repair(entry, doc));
      }
      claimable.sort((a, b) => dueOrder({ ...a, id: a._id }, { ...b, id: b._id }));
      // Another scheduler may win some of them; those are skipped and the next entries read.
      const [results] = await Promise.all([Promise.all(claimable.map((d) => this.#claim(d, owner, leaseMs, now))), Promise.all(repairs)]);
      for (const d of results) if (d) claimed.push(d);
    }
    return claimed;
  }

  /**
   * Counts the queue's entries, not the deliveries: a delivery cancelled while pending keeps its
   * entry (and so counts) until the scheduler comes to it when it is due; the log is never scanned.
   */
  backlog(now: Date = new Date()): Promise<{ due: number; scheduled: number }> {
    return this.#queue.counts(now);
  }

  async complete(account: AccountId, id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    const current = await this.#read(account, id, OUTCOME_FIELDS);
    if (!current || current.status !== 'pending' || current.leaseOwner !== owner) return false;
    const now = new Date();
    const gen = current.leaseGen + 1;
    // The fast path: while the holder's lease has FAST_COMPLETION_MARGIN_MS to run, no claimer can
    // be at work on the delivery (claimers take only expired leases), so the write needs no
    // ticket. Closer to the end of the lease, a ticket fences off a claimer that starts meanwhile.
    const fast = current.leaseUntil !== null && current.leaseUntil.getTime() - now.getTime() > FAST_COMPLETION_MARGIN_MS;
    const leaseUntil = new Date(now.getTime() + COMPLETION_HOLD_MS);
    if (!fast && !(await this.#tickets.takeExactly({ account, deliveryId: id, gen, owner, leaseUntil }))) return false;

    // A retry: its entry first, so that the delivery, pending from the next write on, has one.
    const retryAt = outcome.status === 'pending' ? outcome.nextAttemptAt : null;
    if (retryAt !== null) await this.#queue.set(id, account, retryAt, gen);

    const set: Partial<DeliveryDoc> = {
      status: outcome.status,
      attempts: outcome.attempts,
      nextAttemptAt: outcome.nextAttemptAt,
      leaseUntil: null,
      leaseOwner: null,
      leaseGen: gen,
      updatedAt: now,
    };
    if (outcome.lastError !== undefined) set.lastError = outcome.lastError;
    const update: UpdateQuery<DeliveryDoc> = outcome.lastError === undefined ? { $set: set, $unset: { lastError: 1 } } : { $set: set };
    const before = await this.#model
      .findOneAndUpdate({ _id: id }, update, { returnDocument: 'before', projection: projectionOf(OUTCOME_FIELDS) })
      .lean<DeliveryDoc>();
    if (!before || before.leaseGen !== current.leaseGen || before.status !== 'pending' || before.leaseOwner !== owner) {
      // Another write landed after the read (a cancel, most likely): it stands, this one did not happen.
      if (before) await this.#putBack(id, before, OUTCOME_FIELDS);
      if (!fast) await this.#tickets.release(id, gen);
      return false;
    }
    if (isFinalStatus(outcome.status)) await this.#queue.dropFinal(id, gen);
    // A delivery born leased (generation 0) never had a ticket to clear.
    if (current.leaseGen > 0 || !fast) await this.#tickets.clearUpTo(id, gen);
    return true;
  }

  async requeue(account: AccountId, id: string, now: Date = new Date()): Promise<Delivery | null> {
    const doc = await this.#read(account, id);
    return doc ? this.#requeue(doc, now) : null;
  }

  async requeueForWebhook(account: AccountId, webhookId: string, query: RequeueQuery, now: Date = new Date()): Promise<number> {
    assertRequeueQuery(query);
    if (query.statuses.length === 0) return 0;
    const filter: FilterQuery<DeliveryDoc> = {
      account,
      webhookId,
      status: { $in: [...query.statuses] },
      test: { $ne: true },
      createdAt: { $gte: query.since, ...(query.until !== undefined ? { $lt: query.until } : {}) },
    };
    let requeued = 0;
    let after: string | undefined;
    // By id, after the previous page's last: one that could not be requeued is not met again.
    for (;;) {
      const page = await this.#model
        .find(after === undefined ? filter : { ...filter, _id: { $gt: after } }, { _id: 1 })
        .sort({ _id: 1 })
        .limit(REQUEUE_PAGE)
        .lean<Pick<DeliveryDoc, '_id'>[]>();
      if (page.length === 0) break;
      // Each is read again by `_id` when its turn comes, and requeued by its state then.
      for (let i = 0; i < page.length; i += REQUEUE_CONCURRENCY) {
        const results = await Promise.all(page.slice(i, i + REQUEUE_CONCURRENCY).map((p) => this.requeue(account, p._id, now)));
        requeued += results.filter((d) => d !== null).length;
      }
      if (page.length < REQUEUE_PAGE) break;
      after = page[page.length - 1]!._id;
    }
    return requeued;
  }

  async cancelPendingForWebhook(account: AccountId, webhookId: string): Promise<number> {
    // The cancelled deliveries' queue entries stay; the scheduler deletes them when they come due.
    const result = await this.#model.updateMany(
      { account, webhookId, status: 'pending' },
      { $set: { status: 'cancelled', nextAttemptAt: null, leaseUntil: null, leaseOwner: null, updatedAt: new Date() } },
    );
    return result.modifiedCount;
  }

  async deleteFinalOlderThanAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    assertListLimit(limit);
    assertValidDate('cutoff', cutoff);
    const old: FilterQuery<DeliveryDoc> = { status: { $in: [...FINAL_DELIVERY_STATUSES] }, updatedAt: { $lt: cutoff } };
    const victims = await this.#model
      .find(old, { _id: 1, leaseGen: 1 })
      .sort({ updatedAt: 1, _id: 1 })
      .limit(limit)
      .lean<Pick<DeliveryDoc, '_id' | 'leaseGen'>[]>();
    if (victims.length === 0) return 0;
    const ids = victims.map((v) => v._id);
    // No transactions: attempts, spent lease tickets and stale queue entries first, the deliveries
    // last, so that a crash in between leaves deliveries the next sweep finds again. The deletion
    // repeats the condition: a delivery made live again meanwhile (a resend) stays, without the
    // attempts that were past retention anyway.
    await this.#attempts.deleteForDeliveriesAcrossAccounts(ids);
    await this.#tickets.clearExpiredFor(ids, new Date());
    await this.#dropStaleEntries(victims);
    const result = await this.#model.deleteMany({ ...old, _id: { $in: ids } });
    return result.deletedCount;
  }

  /**
   * Gives every pending delivery that can be attempted again and has no queue entry an entry
   * (insert-only: existing entries are kept). init() runs it: deliveries stored before the queue
   * existed, or by an instance of a version that did not write entries, are found by the
   * scheduler after it. One read of the pending deliveries (a scan on mongo-java-server), once
   * per start. Returns how many deliveries it looked at.
   */
  async backfillQueue(): Promise<number> {
    const pending = await this.#model
      .find({ status: 'pending' }, { _id: 1, account: 1, status: 1, nextAttemptAt: 1, leaseUntil: 1, leaseGen: 1 })
      .lean<QueuedDelivery[]>();
    const entries: QueueEntryDoc[] = [];
    for (const doc of pending) {
      const dueAt = claimableFrom(doc);
      if (dueAt !== null) entries.push(DeliveryQueue.entry(doc, dueAt, doc.leaseGen ?? 0));
    }
    for (let i = 0; i < entries.length; i += BACKFILL_CHUNK) await this.#queue.insertNew(entries.slice(i, i + BACKFILL_CHUNK));
    return pending.length;
  }

  /** The delivery by `_id` (only `fields`, if given), if it is the account's: another account's delivery is absent. */
  async #read(account: AccountId, id: string, fields?: readonly Field[]): Promise<DeliveryDoc | null> {
    const doc = await this.#model.findById(id, fields ? projectionOf(['account', ...fields]) : undefined).lean<DeliveryDoc>();
    return doc && doc.account === account ? doc : null;
  }

  /** Claims `doc`, as read: checks it in code, takes the next ticket, then writes the lease by `_id`. */
  async #claim(doc: DeliveryDoc, owner: string, leaseMs: number, now: Date): Promise<Delivery | null> {
    if (!isClaimableAt(doc, now)) return null;
    const id = doc._id;
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const gen = await this.#tickets.takeNext({ account: doc.account, deliveryId: id, owner, leaseUntil }, doc.leaseGen, now);
    if (gen === null) return null;
    const set: Partial<DeliveryDoc> = { leaseGen: gen, leaseOwner: owner, leaseUntil, updatedAt: now };
    const before = await this.#model.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'before' }).lean<DeliveryDoc>();
    if (!before || before.leaseGen !== doc.leaseGen || !isClaimableAt(before, now)) {
      // Cancelled (or taken by a writer whose ticket had run out) after the read: theirs stands.
      if (before) await this.#putBack(id, before, LEASE_FIELDS);
      await this.#tickets.release(id, gen);
      return null;
    }
    // Should the holder die, the scheduler looks again when the lease ends.
    await this.#queue.set(id, doc.account, claimableFrom(after(before, set))!, gen);
    return toDelivery(after(before, set));
  }

  /**
   * A requeue changes who may write next, as a claim does, so it takes the next lease ticket
   * first (see lease-tickets.ts): of two requeues at once only the ticket holder writes. The
   * loser, or one whose write finds that the delivery changed since its read, changes nothing.
   */
  async #requeue(doc: DeliveryDoc, now: Date): Promise<Delivery | null> {
    if (!isRequeueable(doc)) return null;
    const id = doc._id;
    const leaseUntil = new Date(now.getTime() + REQUEUE_HOLD_MS);
    const gen = await this.#tickets.takeNext({ account: doc.account, deliveryId: id, owner: REQUEUE_OWNER, leaseUntil }, doc.leaseGen, now);
    if (gen === null) return null;
    // Its entry first: pending from the next write on, the delivery is never without one.
    await this.#queue.set(id, doc.account, now, gen);
    const set: Partial<DeliveryDoc> = {
      status: 'pending', nextAttemptAt: now, attemptLimit: doc.attempts + 1, leaseUntil: null, leaseOwner: null, leaseGen: gen, updatedAt: now,
    };
    const before = await this.#model.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'before' }).lean<DeliveryDoc>();
    if (!before || before.leaseGen !== doc.leaseGen || !isRequeueable(before)) {
      if (before) await this.#putBack(id, before, REQUEUE_FIELDS);
      await this.#tickets.release(id, gen);
      // The entry written above is stale; the scheduler deletes it.
      return null;
    }
    await this.#tickets.clearUpTo(id, gen);
    return toDelivery(after(before, set));
  }

  /**
   * Undoes a write that found another one had landed since its read: puts back `fields` as they
   * were just before it (`before`), by `_id`. (A third write in the moment between the two would
   * be overwritten; that takes three writers racing over one delivery.)
   */
  async #putBack(id: string, before: Partial<DeliveryDoc>, fields: readonly Field[]): Promise<void> {
    const set: Record<string, unknown> = {};
    const unset: Record<string, 1> = {};
    for (const f of fields) {
      if (before[f] === undefined) unset[f] = 1;
      else set[f] = before[f];
    }
    await this.#model.updateOne({ _id: id }, { ...(Object.keys(set).length > 0 ? { $set: set } : {}), ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) });
  }

  /** Retention: deletes the queue entries left behind by these final deliveries (cancelled ones, crashes). */
  async #dropStaleEntries(victims: ReadonlyArray<Pick<DeliveryDoc, '_id' | 'leaseGen'>>): Promise<void> {
    const genOf = new Map(victims.map((v) => [v._id, v.leaseGen]));
    const entries = await this.#queue.get([...genOf.keys()]);
    const fresh = Date.now() - IN_PROGRESS_MS;
    await Promise.all(
      entries
        // One written just now for a later state (a resend under way) is left to the resend.
        .filter((e) => !(e.gen > (genOf.get(e._id) ?? 0) && e.writtenAt.getTime() > fresh))
        .map((e) => this.#queue.dropSeen(e)),
    );
  }
}

function projectionOf(fields: readonly Field[]): Record<string, 1> {
  return Object.fromEntries(fields.map((f) => [f, 1]));
}
