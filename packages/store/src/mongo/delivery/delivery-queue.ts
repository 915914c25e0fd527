import type { FilterQuery, Model } from 'mongoose';
import { claimableFrom, type DueFields } from '../../internal/due.ts';
import { duplicateIndexes, isDuplicateKeyError } from '../duplicate-key.ts';
import type { QueueEntryDoc } from './delivery-queue.schema.ts';

/**
 * An entry written less than this long ago (by the real clock) for a state newer than its
 * delivery's is taken to be mid-operation — its writer's delivery write is about to land — and
 * left alone; an older one was left by a writer that died, and is repaired. Far longer than the
 * gap between two writes of one operation, and than the clocks of two instances may differ.
 */
export const IN_PROGRESS_MS = 60_000;

/** What the queue needs to know of a delivery to repair its entry. */
export type QueuedDelivery = DueFields & { _id: string; account: string; leaseGen: number };

/**
 * `delivery_queue`: where the retry scheduler finds due deliveries without reading the
 * delivery log (see delivery.repository.ts for who writes what, when). Entries are hints: the
 * delivery document decides whether a delivery is claimable, and whoever finds an entry that
 * does not match its delivery repairs it (`repair`).
 *
 * Every write here is by `_id` alone, except the scheduler's read of due entries (`due`), which
 * scans the collection on mongo-java-server: it holds only the deliveries still to be attempted.
 *
 * What an entry must never do is go missing while its delivery is pending and claimable later:
 * the scheduler would never look at it again. So:
 * - writers that make a delivery pending write its entry before the delivery;
 * - entries are deleted only after their delivery was seen final (or missing), and a delete
 *   gets the entry back (`findOneAndDelete`): one rewritten meanwhile for a later state of the
 *   delivery (a resend right after the delivery was made final) is put back at once. Its `gen`,
 *   raised with `$max`, tells a later state's entry from the one the deleter meant.
 * A crash between such a delete and its put-back (a crash during that very race) is the one
 * way to lose an entry; `backfill`, which init() runs, gives every pending delivery without an
 * entry a new one.
 */
export class DeliveryQueue {
  readonly #model: Model<QueueEntryDoc>;

  constructor(model: Model<QueueEntryDoc>) {
    this.#model = model;
  }

  /** An entry for a delivery of generation `gen`, due at `dueAt`, written now. */
  static entry(d: { _id: string; account: string }, dueAt: Date, gen: number): QueueEntryDoc {
    return { _id: d._id, account: d.account, dueAt, gen, writtenAt: new Date() };
  }

  /** Inserts entries in one unordered bulk insert; an entry that exists already stays as it is. */
  async insertNew(entries: readonly QueueEntryDoc[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.#model.insertMany([...entries], { ordered: false, lean: true });
    } catch (err) {
      // Rethrows anything but duplicates.
      duplicateIndexes(err, entries.length);
    }
  }

  /** Points the entry of delivery `id` at `dueAt` for its state of generation `gen`, creating it if missing. */
  async set(id: string, account: string, dueAt: Date, gen: number): Promise<void> {
    const update = { $set: { account, dueAt, writtenAt: new Date() }, $max: { gen } };
    for (let tries = 0; ; tries++) {
      try {
        await this.#model.updateOne({ _id: id }, update, { upsert: true });
        return;
      } catch (err) {
        // Two upserts of a missing entry at once (MongoDB may let both insert): the loser updates.
        if (!isDuplicateKeyError(err) || tries >= 2) throw err;
      }
    }
  }

  /**
   * Deletes the entry of a delivery that a write of generation `gen` has just made final. An
   * entry of a later generation (written by a resend that came right after) is put back.
   */
  async dropFinal(id: string, gen: number): Promise<void> {
    const gone = await this.#model.findOneAndDelete({ _id: id }).lean<QueueEntryDoc>();
    if (gone && gone.gen > gen) await this.#putBack(gone);
  }

  /** Deletes `seen`, an entry as it was read; if it was rewritten since, the rewritten entry is put back. */
  async dropSeen(seen: QueueEntryDoc): Promise<void> {
    const gone = await this.#model.findOneAndDelete({ _id: seen._id }).lean<QueueEntryDoc>();
    if (gone && !sameEntry(gone, seen)) await this.#putBack(gone);
  }

  /**
   * Brings `entry`, which the scheduler found due but could not claim by, in line with its
   * delivery `doc` (null = no such delivery): deleted when the delivery is final, never
   * claimable, or missing; else pointed at when it can next be claimed. An entry written less
   * than IN_PROGRESS_MS ago for a state newer than the delivery's (or for a delivery not
   * inserted yet) is mid-operation and left as it is.
   */
  async repair(entry: QueueEntryDoc, doc: QueuedDelivery | null): Promise<void> {
    const fresh = Date.now() - entry.writtenAt.getTime() < IN_PROGRESS_MS;
    if (doc === null) {
      if (!fresh) await this.dropSeen(entry);
      return;
    }
    if (fresh && entry.gen > doc.leaseGen) return;
    const from = claimableFrom(doc);
    if (from === null) await this.dropSeen(entry);
    else if (from.getTime() !== entry.dueAt.getTime()) await this.set(doc._id, doc.account, from, doc.leaseGen);
  }

  /** Up to `limit` entries due at `now` (soonest first), but those named in `skip`. */
  due(now: Date, limit: number, skip: readonly string[]): Promise<QueueEntryDoc[]> {
    const filter: FilterQuery<QueueEntryDoc> = { dueAt: { $lte: now } };
    if (skip.length > 0) filter._id = { $nin: [...skip] };
    return this.#model.find(filter).sort({ dueAt: 1, _id: 1 }).limit(limit).lean<QueueEntryDoc[]>();
  }

  /**
   * How many entries are due at `now` and how many later (the retry-backlog metric), in one
   * aggregation over the collection: a scan on mongo-java-server, of the deliveries still to be
   * attempted only.
   */
  async counts(now: Date): Promise<{ due: number; scheduled: number }> {
    const groups = await this.#model.aggregate<{ _id: boolean; n: number }>([{ $group: { _id: { $lte: ['$dueAt', now] }, n: { $sum: 1 } } }]);
    return { due: groups.find((g) => g._id === true)?.n ?? 0, scheduled: groups.find((g) => g._id !== true)?.n ?? 0 };
  }

  /** The entries of these deliveries (one read by `_id`). */
  get(ids: readonly string[]): Promise<QueueEntryDoc[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.#model.find({ _id: { $in: [...ids] } }).lean<QueueEntryDoc[]>();
  }

  /** Insert-only: an entry written meanwhile (newer) wins. */
  async #putBack(entry: QueueEntryDoc): Promise<void> {
    try {
      await this.#model.insertMany([entry], { lean: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}

function sameEntry(a: QueueEntryDoc, b: QueueEntryDoc): boolean {
  return a.gen === b.gen && a.dueAt.getTime() === b.dueAt.getTime() && a.writtenAt.getTime() === b.writtenAt.getTime();
}
