import { Schema, type Model } from 'mongoose';
import type { AccountId, WebhookHealth, WebhookHealthRepository } from '../../repositories.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';

/**
 * The run of failed deliveries of one failing webhook; `_id` = account and webhook. A healthy
 * webhook has no document: a success deletes it.
 */
export interface WebhookHealthDoc {
  _id: string;
  account: string;
  webhookId: string;
  consecutiveFailures: number;
  /** Absent (never null) between runs, so that `$min` starts a run at the failure's time. */
  failingSince?: Date;
  updatedAt: Date;
}

export const webhookHealthSchema = new Schema<WebhookHealthDoc>(
  {
    _id: { type: String },
    account: { type: String },
    webhookId: { type: String },
    consecutiveFailures: { type: Number },
    failingSince: { type: Date },
    updatedAt: { type: Date },
  },
  { collection: 'webhook_health', versionKey: false, timestamps: false, autoIndex: false, autoCreate: false },
);

/**
 * Endpoint health on MongoDB: one `$inc` upsert per failed delivery, one delete per success,
 * each atomic on its document on MongoDB and on mongo-java-server alike, so no failure is lost;
 * a failure racing a success may survive it. The contract allows less (a store whose updates are
 * not atomic may undercount: the webhook is then disabled a little later, never sooner); it
 * needs no ticket scheme as leases do. The `{_id, account}` filters scan this (small, one record
 * per failing webhook) collection on mongo-java-server.
 */
export class MongoWebhookHealthRepository implements WebhookHealthRepository {
  constructor(private readonly model: Model<WebhookHealthDoc>) {}

  async recordOutcome(account: AccountId, webhookId: string, success: boolean, at: Date): Promise<WebhookHealth> {
    const _id = idOf(account, webhookId);
    if (success) {
      await this.model.deleteOne({ _id, account });
      return { consecutiveFailures: 0, failingSince: null };
    }
    const update = { $inc: { consecutiveFailures: 1 }, $min: { failingSince: at }, $set: { webhookId, updatedAt: at } };
    for (let tries = 0; ; tries++) {
      try {
        const doc = await this.model.findOneAndUpdate({ _id, account }, update, { upsert: true, returnDocument: 'after' }).lean<WebhookHealthDoc>();
        return healthOf(doc);
      } catch (err) {
        // Two first failures at once: both upserts inserted; the loser increments the winner's document.
        if (!isDuplicateKeyError(err) || tries >= 2) throw err;
      }
    }
  }

  async get(account: AccountId, webhookId: string): Promise<WebhookHealth> {
    return healthOf(await this.model.findOne({ _id: idOf(account, webhookId), account }).lean<WebhookHealthDoc>());
  }

  async reset(account: AccountId, webhookId: string): Promise<void> {
    await this.model.deleteOne({ _id: idOf(account, webhookId), account });
  }
}

function idOf(account: string, webhookId: string): string {
  return `${account}\u0000${webhookId}`;
}

function healthOf(doc: WebhookHealthDoc | null): WebhookHealth {
  if (!doc || !(doc.consecutiveFailures > 0)) return { consecutiveFailures: 0, failingSince: null };
  return { consecutiveFailures: doc.consecutiveFailures, failingSince: doc.failingSince ?? null };
}
