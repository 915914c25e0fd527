import type { Model } from 'mongoose';
import { HeraldError, type Webhook } from '@herald/core';
import type { AccountId, WebhookPageQuery, WebhookRepository } from '../../repositories.ts';
import { assertListLimit } from '../../internal/list-query.ts';
import type { WebhookSecrets } from '../../internal/webhook-secrets.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { afterId } from '../id-cursor.ts';
import { toWebhook, toWebhookDoc, type WebhookDoc } from './webhook.schema.ts';

export class MongoWebhookRepository implements WebhookRepository {
  readonly #model: Model<WebhookDoc>;
  readonly #secrets: WebhookSecrets;

  constructor(model: Model<WebhookDoc>, secrets: WebhookSecrets) {
    this.#model = model;
    this.#secrets = secrets;
  }

  async upsert(webhook: Webhook): Promise<void> {
    const doc = toWebhookDoc(webhook, this.#secrets.seal(webhook));
    try {
      // Matched by id *and* account: an id that another account holds makes the upsert's
      // insert collide on _id instead of replacing that account's webhook.
      await this.#model.replaceOne({ _id: webhook.id, account: webhook.account }, doc, { upsert: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Webhook id ${webhook.id} is taken`, { cause: err });
    }
  }

  async get(account: AccountId, id: string): Promise<Webhook | null> {
    const doc = await this.#model.findOne({ _id: id, account }).lean<WebhookDoc>();
    return doc ? toWebhook(doc, this.#secrets) : null;
  }

  async list(account: AccountId): Promise<Webhook[]> {
    const docs = await this.#model.find({ account }).sort({ _id: 1 }).lean<WebhookDoc[]>();
    return docs.map((doc) => toWebhook(doc, this.#secrets));
  }

  async page(account: AccountId, query: WebhookPageQuery): Promise<Webhook[]> {
    assertListLimit(query.limit);
    const filter: Record<string, unknown> = { account, ...afterId(query.after) };
    if (query.active !== undefined) filter['active'] = query.active;
    // An array field matches when one of its elements equals the value.
    if (query.eventType !== undefined) filter['eventTypes'] = query.eventType;
    const docs = await this.#model.find(filter).sort({ _id: 1 }).limit(query.limit).lean<WebhookDoc[]>();
    return docs.map((doc) => toWebhook(doc, this.#secrets));
  }

  async count(account: AccountId): Promise<number> {
    return this.#model.countDocuments({ account });
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    const result = await this.#model.deleteOne({ _id: id, account });
    return result.deletedCount === 1;
  }
}
