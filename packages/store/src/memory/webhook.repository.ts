import { HeraldError, type Webhook } from '@herald/core';
import type { AccountId, WebhookPageQuery, WebhookRepository } from '../repositories.ts';
import { compareIds, idPage } from '../internal/id-page.ts';
import { WebhookSecrets, type StoredWebhookSecrets } from '../internal/webhook-secrets.ts';
import { copyWebhook } from './copy.ts';

/** A webhook as the memory store keeps it: its secrets sealed as the MongoDB document has them. */
export interface StoredWebhook {
  webhook: Webhook;
  sealedAuth?: string;
  previousSecrets?: string;
  secretHeaders?: string;
}

export class MemoryWebhookRepository implements WebhookRepository {
  readonly #byId: Map<string, StoredWebhook>;
  readonly #secrets: WebhookSecrets;

  /** `byId` may be shared with another repository over the same data (see memory-store.ts). */
  constructor(secrets: WebhookSecrets = new WebhookSecrets(), byId: Map<string, StoredWebhook> = new Map()) {
    this.#secrets = secrets;
    this.#byId = byId;
  }

  async upsert(webhook: Webhook): Promise<void> {
    const existing = this.#byId.get(webhook.id);
    if (existing && existing.webhook.account !== webhook.account) {
      throw new HeraldError('HERALD_CONFLICT', `Webhook id ${webhook.id} is taken`);
    }
    const { secret, auth, sealedAuth, previousSecrets, secretHeaders } = this.#secrets.seal(webhook);
    const { previousSecrets: _clear, secretHeaders: _clearHeaders, ...rest } = webhook;
    const stored: StoredWebhook = { webhook: copyWebhook({ ...rest, secret, auth }) };
    if (sealedAuth !== undefined) stored.sealedAuth = sealedAuth;
    if (previousSecrets !== undefined) stored.previousSecrets = previousSecrets;
    if (secretHeaders !== undefined) stored.secretHeaders = secretHeaders;
    this.#byId.set(webhook.id, stored);
  }

  async get(account: AccountId, id: string): Promise<Webhook | null> {
    const stored = this.#byId.get(id);
    return stored && stored.webhook.account === account ? this.#open(stored) : null;
  }

  async list(account: AccountId): Promise<Webhook[]> {
    return this.#ofAccount(account)
      .sort((a, b) => compareIds(a.webhook.id, b.webhook.id))
      .map((s) => this.#open(s));
  }

  async page(account: AccountId, query: WebhookPageQuery): Promise<Webhook[]> {
    const matching = this.#ofAccount(account).filter(
      ({ webhook: w }) =>
        (query.active === undefined || w.active === query.active) &&
        (query.eventType === undefined || w.eventTypes.includes(query.eventType)),
    );
    return idPage(matching, (s) => s.webhook.id, query).map((s) => this.#open(s));
  }

  async count(account: AccountId): Promise<number> {
    return this.#ofAccount(account).length;
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    const stored = this.#byId.get(id);
    if (!stored || stored.webhook.account !== account) return false;
    this.#byId.delete(id);
    return true;
  }

  #ofAccount(account: AccountId): StoredWebhook[] {
    return [...this.#byId.values()].filter((s) => s.webhook.account === account);
  }

  #open(stored: StoredWebhook): Webhook {
    const secrets: StoredWebhookSecrets = { secret: stored.webhook.secret, auth: stored.webhook.auth };
    if (stored.sealedAuth !== undefined) secrets.sealedAuth = stored.sealedAuth;
    if (stored.previousSecrets !== undefined) secrets.previousSecrets = stored.previousSecrets;
    if (stored.secretHeaders !== undefined) secrets.secretHeaders = stored.secretHeaders;
    return copyWebhook({ ...stored.webhook, ...this.#secrets.open(stored.webhook, secrets) });
  }
}
