import type { FilterQuery, Model } from 'mongoose';
import { FINAL_DELIVERY_STATUSES, type Delivery } from '@herald/core';
import type { AccountId, AttemptRepository, DeliveryListQuery, DeliveryOutcome, DeliveryRepository, NewDelivery, RequeueQuery, InsertLease } from '../../repositories.ts';
import { assertDeliveryListQuery, assertListLimit, assertValidDate, unknownCursorError } from '../../internal/list-query.ts';
import { initialDelivery, uniqueById } from '../../internal/new-delivery.ts';
import { assertRequeueQuery } from '../../internal/requeue-query.ts';
import { duplicateIndexes } from '../duplicate-key.ts';
import { toDelivery, toDeliveryDoc, type DeliveryDoc } from './delivery.schema.ts';
import { LeaseTickets } from './lease-tickets.ts';

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

/** What may be requeued: a final delivery that is not a test. (A new object each time: mongoose casts filters in place.) */
function requeueable(): FilterQuery<DeliveryDoc> {
  return { status: { $in: [...FINAL_DELIVERY_STATUSES] }, test: { $ne: true } };
}

/** Pending, due at `now`, and not leased (never, or the lease has run out). */
function claimable(now: Date): FilterQuery<DeliveryDoc> {
  return {
    status: 'pending',
    nextAttemptAt: { $lte: now },
    $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
  };
}

export class MongoDeliveryRepository implements DeliveryRepository {
  readonly #model: Model<DeliveryDoc>;
  readonly #tickets: LeaseTickets;
  /** Where the attempts live: retention deletes a delivery's attempts with it. */
  readonly #attempts: AttemptRepository;

  constructor(model: Model<DeliveryDoc>, tickets: LeaseTickets, attempts: AttemptRepository) {
    this.#model = model;
    this.#tickets = tickets;
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
    const doc = await this.#model.findOne({ _id: id, account }).lean<DeliveryDoc>();
    return doc ? toDelivery(doc) : null;
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
      const cursor = await this.#model.findOne({ _id: query.after, account }, { createdAt: 1 }).lean<Pick<DeliveryDoc, '_id' | 'createdAt'>>();
      if (!cursor) throw unknownCursorError();
      // In $and: the time range above may hold `createdAt` too.
      filter.$and = [{ $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $lt: cursor._id } }] }];
    }
    const docs = await this.#model.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.limit).lean<DeliveryDoc[]>();
    return docs.map(toDelivery);
  }

  claim(account: AccountId, id: string, owner: string, leaseMs: number, now: Date = new Date()): Promise<Delivery | null> {
    return this.#claim(account, id, owner, leaseMs, now);
  }

  async claimDueAcrossAccounts(owner: string, leaseMs: number, limit: number, now: Date = new Date()): Promise<Delivery[]> {
    const wanted = Math.max(0, Math.floor(limit));
    const claimed: Delivery[] = [];
    const tried: string[] = [];
    while (claimed.length < wanted) {
      const filter = claimable(now);
      if (tried.length > 0) filter._id = { $nin: tried };
      const candidates = await this.#model
        .find(filter, { _id: 1, account: 1 })
        .sort({ nextAttemptAt: 1, _id: 1 })
        .limit(wanted - claimed.length)
        .lean<Pick<DeliveryDoc, '_id' | 'account'>[]>();
      if (candidates.length === 0) break;
      // Another scheduler may win some of them; those are skipped and the next ones fetched.
      const results = await Promise.all(candidates.map((c) => this.#claim(c.account, c._id, owner, leaseMs, now)));
      candidates.forEach((c) => tried.push(c._id));
      for (const d of results) if (d) claimed.push(d);
    }
    return claimed;
  }

  async complete(account: AccountId, id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    const fence: FilterQuery<DeliveryDoc> = { _id: id, account, status: 'pending', leaseOwner: owner };
    const current = await this.#model.findOne(fence, { leaseGen: 1, leaseUntil: 1 }).lean<Pick<DeliveryDoc, '_id' | 'leaseGen' | 'leaseUntil'>>();
    if (!current) return false;
    const now = new Date();
    const gen = current.leaseGen + 1;
    // The fast path: while the holder's lease has FAST_COMPLETION_MARGIN_MS to run, no claimer can
    // be at work on the delivery (claimers take only expired leases), so the conditional write needs
    // no ticket. Closer to the end of the lease, a ticket fences off a claimer that starts meanwhile.
    const fast = current.leaseUntil !== null && current.leaseUntil.getTime() - now.getTime() > FAST_COMPLETION_MARGIN_MS;
    const leaseUntil = new Date(now.getTime() + COMPLETION_HOLD_MS);
    if (!fast && !(await this.#tickets.takeExactly({ account, deliveryId: id, gen, owner, leaseUntil }))) return false;

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
    const update = outcome.lastError === undefined ? { $set: set, $unset: { lastError: 1 } } : { $set: set };
    const result = await this.#model.updateOne({ ...fence, leaseGen: current.leaseGen }, update);
    if (result.matchedCount !== 1) {
      if (!fast) await this.#tickets.release(id, gen);
      return false;
    }
    // A delivery born leased (generation 0) never had a ticket to clear.
    if (current.leaseGen > 0 || !fast) await this.#tickets.clearUpTo(id, gen);
    return true;
  }

  requeue(account: AccountId, id: string, now: Date = new Date()): Promise<Delivery | null> {
    return this.#requeue(account, id, now);
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
      for (let i = 0; i < page.length; i += REQUEUE_CONCURRENCY) {
        const results = await Promise.all(page.slice(i, i + REQUEUE_CONCURRENCY).map((p) => this.#requeue(account, p._id, now)));
        requeued += results.filter((d) => d !== null).length;
      }
      if (page.length < REQUEUE_PAGE) break;
      after = page[page.length - 1]!._id;
    }
    return requeued;
  }

  async cancelPendingForWebhook(account: AccountId, webhookId: string): Promise<number> {
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
    const victims = await this.#model.find(old, { _id: 1 }).sort({ updatedAt: 1, _id: 1 }).limit(limit).lean<Pick<DeliveryDoc, '_id'>[]>();
    if (victims.length === 0) return 0;
    const ids = victims.map((v) => v._id);
    // No transactions (FerretDB): attempts and spent lease tickets first, the deliveries last,
    // so that a crash in between leaves deliveries the next sweep finds again. The deletion
    // repeats the condition: a delivery made live again meanwhile (a resend) stays, without the
    // attempts that were past retention anyway.
    await this.#attempts.deleteForDeliveriesAcrossAccounts(ids);
    await this.#tickets.clearExpiredFor(ids, new Date());
    const result = await this.#model.deleteMany({ ...old, _id: { $in: ids } });
    return result.deletedCount;
  }

  /**
   * A requeue changes who may write next, as a claim does, so it takes the next lease ticket
   * first (see lease-tickets.ts): of two requeues at once only the ticket holder writes, and it
   * writes only over the generation it read. The loser, or one that read the delivery before
   * another requeue (and what followed) moved its generation on, changes nothing.
   */
  async #requeue(account: AccountId, id: string, now: Date): Promise<Delivery | null> {
    const current = await this.#model.findOne({ _id: id, account, ...requeueable() }, { leaseGen: 1, attempts: 1 }).lean<Pick<DeliveryDoc, '_id' | 'leaseGen' | 'attempts'>>();
    if (!current) return null;
    const leaseUntil = new Date(now.getTime() + REQUEUE_HOLD_MS);
    const gen = await this.#tickets.takeNext({ account, deliveryId: id, owner: REQUEUE_OWNER, leaseUntil }, current.leaseGen, now);
    if (gen === null) return null;
    const doc = await this.#model
      .findOneAndUpdate(
        { _id: id, account, ...requeueable(), leaseGen: { $lt: gen } },
        {
          $set: {
            status: 'pending', nextAttemptAt: now, attemptLimit: current.attempts + 1, leaseUntil: null, leaseOwner: null, leaseGen: gen, updatedAt: now,
          },
        },
        { returnDocument: 'after' },
      )
      .lean<DeliveryDoc>();
    if (!doc) {
      await this.#tickets.release(id, gen);
      return null;
    }
    await this.#tickets.clearUpTo(id, gen);
    return toDelivery(doc);
  }

  async #claim(account: AccountId, id: string, owner: string, leaseMs: number, now: Date): Promise<Delivery | null> {
    const current = await this.#model.findOne({ _id: id, account, ...claimable(now) }, { leaseGen: 1 }).lean<Pick<DeliveryDoc, '_id' | 'leaseGen'>>();
    if (!current) return null;
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const gen = await this.#tickets.takeNext({ account, deliveryId: id, owner, leaseUntil }, current.leaseGen, now);
    if (gen === null) return null;
    const doc = await this.#model
      .findOneAndUpdate(
        { _id: id, account, ...claimable(now), leaseGen: { $lt: gen } },
        { $set: { leaseGen: gen, leaseOwner: owner, leaseUntil, updatedAt: now } },
        { returnDocument: 'after' },
      )
      .lean<DeliveryDoc>();
    if (!doc) {
      await this.#tickets.release(id, gen);
      return null;
    }
    return toDelivery(doc);
  }
}
