import { Schema, type Model, type mongo } from 'mongoose';
import type { AccountId, DedupClaim, DedupRepository } from '../../repositories.ts';
import { duplicateIndexes } from '../duplicate-key.ts';

/**
 * De-duplication claims (F8) on MongoDB, in two collections whose hot path filters only by `_id`.
 *
 * Why: the test server (mongo-java-server) uses an index only for a filter that is exactly
 * `{_id}` (`{_id: v}` or `{_id: {$in: [...]}}`); any other filter scans the collection under a
 * lock. Single-document writes are atomic, and an insert into the unique `_id` is the one cheap
 * compare-and-set. Both hold on MongoDB too, so the same protocol runs everywhere.
 *
 * The previous scheme's collection, `dedup_claims` (one document per generation, read with
 * `findOne({account, key}).sort(generation)`: one scan per job here), is no longer read or written.
 * After an upgrade the claims made before it are not consulted, so at most one window of
 * duplicates can slip through; the collection may be dropped.
 *
 * The documents:
 * - a ticket per generation of a key, `dedup_tickets`, `_id = account\0key\0gen`,
 *   `{account, key, gen, deliveryId, until}`: the truth. Taking generation `gen` of a key is
 *   inserting its ticket; of several claimers of one generation exactly one insert succeeds.
 * - a head per key, `dedup_heads`, `_id = account\0key`, `{account, key, latest: {gen,
 *   deliveryId, until}}`: a hint of the latest generation, written after its ticket with
 *   `$max` on `latest` (documents compare field by field, `gen` first), so a head never moves
 *   back, whatever order the writes land in. It may lag the latest ticket (its writer died
 *   between the two writes, or has not written yet), never lead it.
 *
 * claimMany, for a whole batch (3 commands when nothing races: one find, one insert, one update):
 * 1. `find({_id: {$in: heads}})` once. Per key (the first claim of a key in the call decides;
 *    later ones of the key are held by its holder): the head's holder is this delivery → its
 *    own; the head holds at `now` (`until > now`) → held by it; else try generation
 *    `head.gen + 1` (0 without a head).
 * 2. One unordered `insertMany` of those tickets. Each insert that succeeds wins its key.
 * 3. The duplicates (a lost race, or a head that lags) → one `find({_id: {$in: tickets}})`: a
 *    ticket that is this delivery's, or holds at `now`, decides the key; an expired one → try
 *    the next generation (back to 2, at most MAX_TRIES tries per key, then an error naming the
 *    deliveries); a ticket gone meanwhile (swept) → read the head again (back to 1).
 * 4. One unordered `bulkWrite` of `updateOne({_id: head}, {$max: {latest}}, {upsert: true})` for
 *    the winners (and for tickets read in 3 that hold, which heals a lagging head).
 *
 * Why it is correct: a claim wins only by inserting the ticket of generation n, after seeing
 * generation n-1 (head or ticket) ended at `now` (or seeing no head: n = 0). Claimers who see
 * the same state try the same ticket, and only one insert succeeds. A claimer that started from
 * a lagging head walks up through the tickets that exist above it (each a duplicate) until it
 * meets a live one, which then decides, or the first free generation — so a lagging head costs
 * retries, never a second winner, as long as the tickets from the head up to the latest one all
 * exist. The sweeper keeps that true:
 * - a ticket is deleted only at or below its key's head (no claimer starts below the head, which
 *   never moves back); an expired ticket above the head, or without a head, first moves the head
 *   up to it (`$max`, from an existing ticket: safe) and is deleted by a later sweep;
 * - a head is deleted (then its key restarts at generation 0) only when it ended before the
 *   cutoff and no ticket of its key lies above it: its tickets first, then the head, on the
 *   condition that its generation has not changed. A ticket that appeared above it meanwhile
 *   puts it back.
 * What remains is about the sweeper, not the hot path. First, a claimMany call must take less
 * time than the sweeper's grace (`now - cutoff`), or what it read may have been swept under it.
 * Second, there is a short gap. A claimer may read a head just before the sweeper deletes it, then
 * insert the next ticket after the sweeper's check. Until that claimer writes the head (a few
 * milliseconds, or never if it dies in between), another claim of the same key starts again at
 * generation 0 and also wins. Both cases need a key that has been idle since before the cutoff
 * to be claimed twice at the very moment it is swept.
 *
 * A delivery whose claim is the latest that its head (or the ticket it meets) knows of is its
 * own holder when it claims again, also after its window: a replayed batch finds its claims.
 * The memory store answers the same.
 */

/** One generation of a key, taken by inserting it. */
export interface DedupTicketDoc {
  _id: string;
  account: string;
  key: string;
  gen: number;
  deliveryId: string;
  until: Date;
}

/** The latest generation of a key, as far as its head knows. */
export interface DedupHeadLatest {
  /** First: `$max` on `latest` compares it first. */
  gen: number;
  deliveryId: string;
  until: Date;
}

/** The hint of a key's latest generation (it may lag the tickets, never lead them). */
export interface DedupHeadDoc {
  _id: string;
  account: string;
  key: string;
  latest: DedupHeadLatest;
}

export const DEDUP_TICKETS_COLLECTION = 'dedup_tickets';
export const DEDUP_HEADS_COLLECTION = 'dedup_heads';

export const dedupTicketSchema = new Schema<DedupTicketDoc>(
  {
    _id: { type: String },
    account: { type: String },
    key: { type: String },
    gen: { type: Number },
    deliveryId: { type: String },
    until: { type: Date },
  },
  { collection: DEDUP_TICKETS_COLLECTION, versionKey: false, timestamps: false, autoIndex: false, autoCreate: false },
);
// The sweeper's queries (the claims themselves go by `_id`).
dedupTicketSchema.index({ until: 1 });
dedupTicketSchema.index({ key: 1, account: 1, gen: 1 });

export const dedupHeadSchema = new Schema<DedupHeadDoc>(
  {
    _id: { type: String },
    account: { type: String },
    key: { type: String },
    latest: {
      gen: { type: Number },
      deliveryId: { type: String },
      until: { type: Date },
    },
  },
  { collection: DEDUP_HEADS_COLLECTION, versionKey: false, timestamps: false, autoIndex: false, autoCreate: false },
);
// The sweeper's query.
dedupHeadSchema.index({ 'latest.until': 1 });

/** Tries per key and call before giving up on a key that other claimers keep taking. */
const MAX_TRIES = 8;

export function dedupHeadId(account: string, key: string): string {
  return `${account}\u0000${key}`;
}

export function dedupTicketId(account: string, key: string, gen: number): string {
  return `${account}\u0000${key}\u0000${gen}`;
}

/** The claims of one key in one call: the first decides for all of them. */
interface KeyClaim {
  claim: DedupClaim;
  headId: string;
  indexes: number[];
  /** The generation to try next. */
  gen: number;
  tries: number;
  holder?: string;
}

export class MongoDedupRepository implements DedupRepository {
  readonly #ticketModel: Model<DedupTicketDoc>;
  readonly #headModel: Model<DedupHeadDoc>;
  readonly #tickets: mongo.Collection<DedupTicketDoc>;
  readonly #heads: mongo.Collection<DedupHeadDoc>;

  constructor(tickets: Model<DedupTicketDoc>, heads: Model<DedupHeadDoc>) {
    this.#ticketModel = tickets;
    this.#headModel = heads;
    // Writes go to the driver's collections (through mongoose's buffering wrapper), sent as
    // written. Reads go through the models: the wrapper's `find` is not a cursor until connected.
    this.#tickets = tickets.collection as unknown as mongo.Collection<DedupTicketDoc>;
    this.#heads = heads.collection as unknown as mongo.Collection<DedupHeadDoc>;
  }

  async claim(account: AccountId, key: string, deliveryId: string, now: Date, until: Date): Promise<string> {
    const [holder] = await this.claimMany([{ account, key, deliveryId, until }], now);
    return holder!;
  }

  async claimMany(claims: readonly DedupClaim[], now: Date): Promise<string[]> {
    const byKey = new Map<string, KeyClaim>();
    claims.forEach((claim, i) => {
      const headId = dedupHeadId(claim.account, claim.key);
      const known = byKey.get(headId);
      if (known) known.indexes.push(i);
      else byKey.set(headId, { claim, headId, indexes: [i], gen: 0, tries: 0 });
    });
    const nowMs = now.getTime();
    /** Head writes, by head id: the latest generation learnt of each key. */
    const headWrites = new Map<string, { account: string; key: string; latest: DedupHeadLatest }>();
    const learn = (kc: KeyClaim, latest: DedupHeadLatest) => {
      const known = headWrites.get(kc.headId);
      if (!known || known.latest.gen < latest.gen) headWrites.set(kc.headId, { account: kc.claim.account, key: kc.claim.key, latest });
    };
    const unresolved: KeyClaim[] = [];

    let lookup = [...byKey.values()];
    let attempt: KeyClaim[] = [];
    while (lookup.length > 0 || attempt.length > 0) {
      if (lookup.length > 0) {
        const heads = await this.#findByIds(this.#headModel, lookup.map((kc) => kc.headId));
        for (const kc of lookup) {
          const latest = heads.get(kc.headId)?.latest;
          if (latest && (latest.deliveryId === kc.claim.deliveryId || latest.until.getTime() > nowMs)) {
            kc.holder = latest.deliveryId;
          } else {
            kc.gen = latest ? latest.gen + 1 : 0;
            attempt.push(kc);
          }
        }
        lookup = [];
      }
      attempt = attempt.filter((kc) => {
        if (++kc.tries <= MAX_TRIES) return true;
        unresolved.push(kc);
        return false;
      });
      if (attempt.length === 0) break;

      const docs: DedupTicketDoc[] = attempt.map(({ claim, gen }) => ({
        _id: dedupTicketId(claim.account, claim.key, gen),
        account: claim.account,
        key: claim.key,
        gen,
        deliveryId: claim.deliveryId,
        until: claim.until,
      }));
      const duplicates = await this.#insertTickets(docs);
      const lost: KeyClaim[] = [];
      attempt.forEach((kc, i) => {
        if (duplicates.has(i)) {
          lost.push(kc);
        } else {
          kc.holder = kc.claim.deliveryId;
          learn(kc, { gen: kc.gen, deliveryId: kc.claim.deliveryId, until: kc.claim.until });
        }
      });
      attempt = [];
      if (lost.length === 0) continue;

      const tickets = await this.#findByIds(this.#ticketModel, lost.map((kc) => dedupTicketId(kc.claim.account, kc.claim.key, kc.gen)));
      for (const kc of lost) {
        const ticket = tickets.get(dedupTicketId(kc.claim.account, kc.claim.key, kc.gen));
        if (!ticket) {
          // Swept since the insert failed: the head has moved on; read it again.
          lookup.push(kc);
        } else if (ticket.deliveryId === kc.claim.deliveryId || ticket.until.getTime() > nowMs) {
          kc.holder = ticket.deliveryId;
          // A ticket that holds cannot be swept (it ends after any cutoff): it may move its head
          // up. An ended one of ours may be swept at any moment, so it stays out of the head.
          if (ticket.until.getTime() > nowMs) learn(kc, { gen: ticket.gen, deliveryId: ticket.deliveryId, until: ticket.until });
        } else {
          kc.gen = ticket.gen + 1;
          attempt.push(kc);
        }
      }
    }

    // Written before giving up on anything, so that the winners' heads are not left behind.
    await this.#advanceHeads([...headWrites.entries()].map(([_id, w]) => ({ _id, ...w })));
    if (unresolved.length > 0) {
      const names = unresolved.map((kc) => kc.claim.deliveryId);
      throw new Error(
        `could not claim the de-duplication key of deliver${names.length === 1 ? 'y' : 'ies'} ${names.slice(0, 5).join(', ')}` +
          `${names.length > 5 ? ` and ${names.length - 5} more` : ''}: it changed hands ${MAX_TRIES} times in a row`,
      );
    }

    const out = new Array<string>(claims.length);
    for (const kc of byKey.values()) for (const i of kc.indexes) out[i] = kc.holder!;
    return out;
  }

  /**
   * The cold path (it may scan). Returns how many records (tickets and heads) it deleted; it
   * looks at about `limit` of each kind per call.
   */
  async deleteExpiredAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    let deleted = 0;
    const repairs: DedupHeadDoc[] = [];

    // 1. Expired tickets: those at or below their key's head are never read again; above it (or
    //    without a head) the head first moves up to them, and a later sweep deletes them.
    const expired = await this.#ticketModel.find({ until: { $lt: cutoff } }, null, { limit }).lean<DedupTicketDoc[]>();
    if (expired.length > 0) {
      const heads = await this.#findByIds(this.#headModel, [...new Set(expired.map((t) => dedupHeadId(t.account, t.key)))]);
      const drop: string[] = [];
      const above = new Map<string, DedupTicketDoc>();
      for (const t of expired) {
        const headId = dedupHeadId(t.account, t.key);
        const head = heads.get(headId);
        if (head && t.gen <= head.latest.gen) {
          // The head's own generation goes with the head (step 2), which carries its holder.
          if (t.gen < head.latest.gen) drop.push(t._id);
        } else {
          const highest = above.get(headId);
          if (!highest || highest.gen < t.gen) above.set(headId, t);
        }
      }
      for (const [headId, t] of above) repairs.push(headFromTicket(headId, t));
      deleted += await this.#deleteIds(this.#tickets, drop);
    }

    // 2. Heads that ended before the cutoff: with no ticket above them, they go, with the
    //    tickets of their key; their key starts again at generation 0.
    const ended = await this.#headModel.find({ 'latest.until': { $lt: cutoff } }, null, { limit }).lean<DedupHeadDoc[]>();
    if (ended.length > 0) {
      const endedIds = new Set(ended.map((h) => h._id));
      const ofKeys = await this.#ticketModel.find({ key: { $in: [...new Set(ended.map((h) => h.key))] } }).lean<DedupTicketDoc[]>();
      const ticketsOf = new Map<string, DedupTicketDoc[]>();
      for (const t of ofKeys) {
        const headId = dedupHeadId(t.account, t.key);
        if (!endedIds.has(headId)) continue;
        const list = ticketsOf.get(headId);
        if (list) list.push(t);
        else ticketsOf.set(headId, [t]);
      }
      const releasable: DedupHeadDoc[] = [];
      const spent: string[] = [];
      for (const head of ended) {
        const tickets = ticketsOf.get(head._id) ?? [];
        const top = tickets.reduce<DedupTicketDoc | undefined>((a, t) => (a && a.gen >= t.gen ? a : t), undefined);
        if (top && top.gen > head.latest.gen) {
          repairs.push(headFromTicket(head._id, top));
        } else {
          releasable.push(head);
          for (const t of tickets) spent.push(t._id);
        }
      }
      deleted += await this.#deleteIds(this.#tickets, spent);
      if (releasable.length > 0) {
        // Only if it did not move on meanwhile.
        const r = await this.#heads.deleteMany({ $or: releasable.map((h) => ({ _id: h._id, 'latest.gen': h.latest.gen })) });
        deleted += r.deletedCount;
        // A ticket taken above a head just before it went (by a claimer that read the head, then
        // has not written it yet, or died) puts it back.
        const next = await this.#findByIds(
          this.#ticketModel,
          releasable.map((h) => dedupTicketId(h.account, h.key, h.latest.gen + 1)),
        );
        for (const h of releasable) {
          const t = next.get(dedupTicketId(h.account, h.key, h.latest.gen + 1));
          if (t) repairs.push(headFromTicket(h._id, t));
        }
      }
    }

    await this.#advanceHeads(repairs);
    return deleted;
  }

  /** One command: the documents of these ids (all of them in the first batch: no getMore). */
  async #findByIds<T extends { _id: string }>(model: Model<T>, ids: string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    if (ids.length === 0) return found;
    const docs = await model.find({ _id: { $in: ids } }, null, { batchSize: ids.length + 1 }).lean<T[]>();
    for (const d of docs) found.set(d._id, d);
    return found;
  }

  /** One unordered insert; returns the positions refused as duplicates (anything else throws). */
  async #insertTickets(docs: DedupTicketDoc[]): Promise<Set<number>> {
    try {
      await this.#tickets.insertMany(docs, { ordered: false });
      return new Set();
    } catch (err) {
      return duplicateIndexes(err, docs.length);
    }
  }

  /** One unordered bulk write: each head moves up to `latest` (never back), created if missing. */
  async #advanceHeads(heads: DedupHeadDoc[]): Promise<void> {
    if (heads.length === 0) return;
    await this.#heads.bulkWrite(
      heads.map(({ _id, account, key, latest }) => ({
        updateOne: {
          filter: { _id },
          // Field order matters: `$max` compares `latest` documents field by field, `gen` first.
          update: { $max: { latest: { gen: latest.gen, deliveryId: latest.deliveryId, until: latest.until } }, $setOnInsert: { account, key } },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  async #deleteIds<T extends { _id: string }>(collection: mongo.Collection<T>, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await collection.deleteMany({ _id: { $in: ids } } as mongo.Filter<T>);
    return r.deletedCount;
  }
}

function headFromTicket(headId: string, t: DedupTicketDoc): DedupHeadDoc {
  return { _id: headId, account: t.account, key: t.key, latest: { gen: t.gen, deliveryId: t.deliveryId, until: t.until } };
}
