import type { Model } from 'mongoose';
import { HeraldError, type Attempt } from '@herald/core';
import type { AccountId, AttemptRepository } from '../../repositories.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { toAttempt, toAttemptDoc, type AttemptDoc } from './attempt.schema.ts';

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
