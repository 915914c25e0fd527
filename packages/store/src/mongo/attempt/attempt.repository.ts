import type { Model } from 'mongoose';
import { HeraldError, type Attempt } from '@herald/core';
import type { AccountId, AttemptRepository } from '../../repositories.ts';
import { duplicateIndexes, isDuplicateKeyError } from '../duplicate-key.ts';
import { toAttempt, toAttemptDoc, type AttemptDoc } from './attempt.schema.ts';

/**
 * Attempts. Logging is insert-only, and an attempt's `_id` is derived from its delivery and
 * number (see attempt.schema.ts), so a duplicate is refused by the `_id` index: no filter is sent
 * on that path. Listing and retention filter by `deliveryId` (cold paths; a scan of the
 * collection on mongo-java-server).
 */
export class MongoAttemptRepository implements AttemptRepository {
  readonly #model: Model<AttemptDoc>;

  constructor(model: Model<AttemptDoc>) {
    this.#model = model;
  }

  async insert(attempt: Attempt): Promise<void> {
    try {
      await this.#model.insertMany([toAttemptDoc(attempt)], { lean: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Attempt ${attempt.number} of delivery ${attempt.deliveryId} is already logged`, {
        cause: err,
      });
    }
  }

  async insertMany(attempts: Attempt[]): Promise<{ inserted: number }> {
    // Of an attempt named twice in the batch, the first: a server may apply an unordered batch in any order.
    const seen = new Set<string>();
    const docs = attempts.map(toAttemptDoc).filter((doc) => (seen.has(doc._id) ? false : (seen.add(doc._id), true)));
    if (docs.length === 0) return { inserted: 0 };
    try {
      // Unordered: a duplicate (an attempt logged already) does not stop the rest.
      await this.#model.insertMany(docs, { ordered: false, lean: true });
      return { inserted: docs.length };
    } catch (err) {
      return { inserted: docs.length - duplicateIndexes(err, docs.length).size };
    }
  }

  async listForDelivery(account: AccountId, deliveryId: string): Promise<Attempt[]> {
    const docs = await this.#model.find({ account, deliveryId }).sort({ number: 1 }).lean<AttemptDoc[]>();
    return docs.map(toAttempt);
  }

  async deleteForDeliveriesAcrossAccounts(deliveryIds: readonly string[]): Promise<number> {
    if (deliveryIds.length === 0) return 0;
    const result = await this.#model.deleteMany({ deliveryId: { $in: [...deliveryIds] } });
    return result.deletedCount;
  }
}
