import { HeraldError, type Webhook } from '@herald/core';
import type { AccountId, WebhookRepository } from '../repositories.ts';
import { copyWebhook } from './copy.ts';

export class MemoryWebhookRepository implements WebhookRepository {
  readonly #byId = new Map<string, Webhook>();

  async upsert(webhook: Webhook): Promise<void> {
    const existing = this.#byId.get(webhook.id);
    if (existing && existing.account !== webhook.account) {
      throw new HeraldError('HERALD_CONFLICT', `Webhook id ${webhook.id} is taken`);
    }
    this.#byId.set(webhook.id, copyWebhook(webhook));
  }

  async get(account: AccountId, id: string): Promise<Webhook | null> {
    const webhook = this.#byId.get(id);
    return webhook && webhook.account === account ? copyWebhook(webhook) : null;
  }

  async list(account: AccountId): Promise<Webhook[]> {
    return [...this.#byId.values()]
      .filter((w) => w.account === account)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copyWebhook);
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    const webhook = this.#byId.get(id);
    if (!webhook || webhook.account !== account) return false;
    this.#byId.delete(id);
    return true;
  }
}
