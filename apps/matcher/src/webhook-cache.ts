import type { Webhook } from '@herald/core';
import type { Store } from '@herald/store';

/**
 * Each account's webhooks (none while its plan switch is off), cached for `ttlMs` (0 = no cache). `invalidate` drops an account
 * at once (herald.config tells the matcher what changed); the TTL is the backstop.
 */
export class WebhookCache {
  readonly #entries = new Map<string, { at: number; webhooks: Promise<Webhook[]> }>();

  constructor(
    private readonly store: Pick<Store, 'webhooks' | 'accounts'>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(account: string): Promise<Webhook[]> {
    const hit = this.#entries.get(account);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.webhooks;
    const webhooks = this.load(account);
    this.#entries.set(account, { at: this.now(), webhooks });
    // A failed load must not stay cached.
    webhooks.catch(() => this.#entries.delete(account));
    return webhooks;
  }

  /** The account's webhooks; none when the account's plan switch is off (F10). */
  private async load(account: string): Promise<Webhook[]> {
    const [a, webhooks] = await Promise.all([this.store.accounts.get(account), this.store.webhooks.list(account)]);
    if (a && !a.webhooksEnabled) return [];
    return webhooks;
  }

  invalidate(account?: string): void {
    if (account === undefined) this.#entries.clear();
    else this.#entries.delete(account);
  }
}
