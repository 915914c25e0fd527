import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { leaseTicketId, type LeaseTicketDoc } from './lease-ticket.schema.ts';

/**
 * Why claims need more than `findOneAndUpdate` here.
 *
 * On MongoDB a `findOneAndUpdate` whose filter says "pending, due, not leased" is atomic on
 * its document: of two concurrent claimers one gets the delivery, the other null. FerretDB v1
 * (our test server) runs `findAndModify` and `update` as "query, filter in Go, then write the
 * whole document back by _id", with nothing in between: both claimers read the delivery as
 * free, both write, both are told they won (measured: 49 of 50 concurrent pairs). What
 * FerretDB does make atomic is a unique index on insert (the SQLite constraint) — and so does
 * MongoDB. So every change of lease holder first takes a ticket by inserting it:
 *
 * - each delivery carries `leaseGen`; whoever wants to change the lease holder reads it and
 *   inserts the ticket `<id>#<leaseGen + 1>`. Of several contenders one insert succeeds;
 * - only the ticket holder writes, with `leaseGen < gen` (and the rest of its condition) in
 *   the filter, and sets `leaseGen = gen`. A contender that read an old generation therefore
 *   cannot write over a newer one, even if it was handed a ticket that was cleared since;
 * - a ticket carries `leaseUntil`: a taker that crashed between ticket and write blocks the
 *   delivery only until then; after that the next generation is taken instead;
 * - spent tickets (generation <= the delivery's) are cleared after a completion.
 *
 * On MongoDB this is belt and braces (the conditional write alone would do); it costs one
 * small insert per claim and per completion, and is the same code on both servers, so what
 * the tests prove is what runs in production.
 */
export class LeaseTickets {
  /** How many expired generations a claimer skips before giving up (each is a crashed taker). */
  static readonly MAX_SKIPS = 8;

  readonly #model: Model<LeaseTicketDoc>;

  constructor(model: Model<LeaseTicketDoc>) {
    this.#model = model;
  }

  /**
   * Takes exactly generation `gen`; false when someone else holds it (or held it: a
   * completion never skips ahead, since a taken generation means the lease moved on).
   */
  async takeExactly(ticket: Omit<LeaseTicketDoc, '_id' | 'createdAt'>): Promise<boolean> {
    try {
      await this.#model.insertMany([{ ...ticket, _id: leaseTicketId(ticket.deliveryId, ticket.gen), createdAt: new Date() }], {
        lean: true,
      });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /**
   * Takes the first free generation after `currentGen` for a claim at `now`: returns it, or null
   * when a live ticket stands in the way (someone is claiming or completing the delivery).
   */
  async takeNext(
    ticket: Omit<LeaseTicketDoc, '_id' | 'createdAt' | 'gen'>,
    currentGen: number,
    now: Date,
  ): Promise<number | null> {
    for (let gen = currentGen + 1; gen <= currentGen + LeaseTickets.MAX_SKIPS; gen++) {
      if (await this.takeExactly({ ...ticket, gen })) return gen;
      const holder = await this.#model.findById(leaseTicketId(ticket.deliveryId, gen), { leaseUntil: 1 }).lean();
      if (holder && holder.leaseUntil.getTime() >= now.getTime()) return null;
      // Expired (its taker gave up or died) or cleared meanwhile: generations need not be
      // consecutive, so move on to the next one.
    }
    return null;
  }

  /** Gives back a ticket whose write did not happen, so that it blocks nobody. */
  async release(deliveryId: string, gen: number): Promise<void> {
    await this.#model.deleteOne({ _id: leaseTicketId(deliveryId, gen) });
  }

  /**
   * Clears the tickets of these deliveries whose lease ran out before `now`. Always safe: an
   * expired ticket blocks nobody, and a generation it held is skipped or taken again as
   * `takeNext` describes. Retention calls it before deleting the deliveries.
   */
  async clearExpiredFor(deliveryIds: readonly string[], now: Date): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.#model.deleteMany({ deliveryId: { $in: [...deliveryIds] }, leaseUntil: { $lt: now } });
  }

  /** Clears the spent tickets of a delivery (generations up to `gen`). */
  async clearUpTo(deliveryId: string, gen: number): Promise<void> {
    await this.#model.deleteMany({ deliveryId, gen: { $lte: gen } });
  }
}
