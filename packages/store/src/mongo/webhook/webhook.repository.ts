import type { Model } from 'mongoose';
import { HeraldError, type Webhook } from '@herald/core';
import type { AccountId, WebhookRepository } from '../../repositories.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { toWebhook, toWebhookDoc, type WebhookDoc } from './webhook.schema.ts';

export class MongoWebhookRepository implements WebhookRepository {
  readonly #model: Model<WebhookDoc>;

  constructor(model: Model<WebhookDoc>) {
    this.#model = model;
  }

  async upsert(webhook: Webhook): Promise<void> {
    try {
      // Matched by id *and* account: an id that another account holds makes the upsert's
      // insert collide on _id instead of replacing that account's webhook.
      await this.#model.replaceOne({ _id: webhook.id, account: webhook.account }, toWebhookDoc(webhook), { upsert: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Webhook id ${webhook.id} is taken`, { cause: err });
    }
  }

  async get(account: AccountId, id: string): Promise<Webhook | null> {
    const doc = await this.#model.findOne({ _id: id, account }).lean<WebhookDoc>();
    return doc ? toWebhook(doc) : null;
  }

  async list(account: AccountId): Promise<Webhook[]> {
    const docs = await this.#model.find({ account }).sort({ _id: 1 }).lean<WebhookDoc[]>();
    return docs.map(toWebhook);
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    const result = await this.#model.deleteOne({ _id: id, account });
    return result.deletedCount === 1;
  }
}
