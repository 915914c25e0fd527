import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { leaseTicketId, type LeaseTicketDoc } from './lease-ticket.schema.ts';

/**
 * Why a change of lease holder takes a ticket first.
 *
 * On MongoDB a `findOneAndUpdate` whose filter says "pending, due, not leased" is an atomic
 * compare-and-set on its document. On mongo-java-server (our test server) it is atomic too, but
 * it uses an index only when the filter is exactly `{_id}` (or `{_id: {$in}}`): any other filter,
 * `{_id, status, leaseGen}` included, scans the whole collection under its lock, and the delivery
 * log holds hundreds of thousands of documents. What both servers check cheaply and atomically is
 * a unique `_id` on insert. So the compare-and-set is an insert, and every delivery write after
 * it is by `_id` alone:
 *
 * - each delivery carries `leaseGen`; whoever wants to change the lease holder (claim, requeue,
 *   a completion near the end of its lease) reads the delivery by `_id`, checks its conditions
 *   in code, and inserts the ticket `<id>#<leaseGen + 1>`. Of several contenders one insert
 *   succeeds; the others stop;
 * - only the ticket holder writes the delivery, by `_id`, setting `leaseGen = gen`; it gets the
 *   document as it was just before its write (`findOneAndUpdate`, `returnDocument: 'before'`)
 *   and, should another write have landed between its read and its own (a cancel, or a writer
 *   whose ticket had run out), puts back what it overwrote and reports that it lost;
 * - a ticket carries `leaseUntil`: a taker that crashed between ticket and write blocks the
 *   delivery only until then; after that the next generation is taken instead;
 * - spent tickets (generation <= the delivery's) are deleted by `_id` after a completion or a
 *   requeue (`clearUpTo`).
 *
 * The scheme is also correct on MongoDB (where a conditional write alone would do), and it is
 * the same code on both servers, so what the tests prove is what runs in production. It costs
 * one small insert per claim, per requeue and per completion near the end of a lease.
 */
export class LeaseTickets {
  /** How many expired generations a claimer skips before giving up (each is a crashed taker). */
  static readonly MAX_SKIPS = 8;
  /**
   * How many generations back from a delivery's current one `clearUpTo` looks for spent tickets:
   * a claim's, a completion's, and those of takers that died in between. Older leftovers (only
   * after many crashed takers) block nobody; retention deletes them with the delivery.
   */
  static readonly CLEAR_WINDOW = 2 * LeaseTickets.MAX_SKIPS;

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
   * `takeNext` describes. Retention calls it before deleting the deliveries: a cold path, whose
   * filter scans the (small) ticket collection on mongo-java-server.
   */
  async clearExpiredFor(deliveryIds: readonly string[], now: Date): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.#model.deleteMany({ deliveryId: { $in: [...deliveryIds] }, leaseUntil: { $lt: now } });
  }

  /** Clears the spent tickets of a delivery: generations up to `gen`, within CLEAR_WINDOW of it, by `_id`. */
  async clearUpTo(deliveryId: string, gen: number): Promise<void> {
    if (gen < 1) return;
    const ids: string[] = [];
    for (let g = Math.max(1, gen - LeaseTickets.CLEAR_WINDOW + 1); g <= gen; g++) ids.push(leaseTicketId(deliveryId, g));
    await this.#model.deleteMany({ _id: { $in: ids } });
  }
}
