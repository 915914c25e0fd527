import type { Webhook } from '@herald/core';
import type { Store } from '@herald/store';
import { TtlCache } from '@herald/runtime';

/**
 * Each account's webhooks (none while its plan switch is off), cached for `ttlMs` (0 = no
 * cache). `invalidate` drops an account at once (herald.config tells the matcher what
 * changed); the TTL is the backstop.
 */
export class WebhookCache {
  readonly #cache: TtlCache<Webhook[]>;

  constructor(store: Pick<Store, 'webhooks' | 'accounts'>, ttlMs: number, now: () => number = Date.now) {
    this.#cache = new TtlCache(async (account) => {
      const [a, webhooks] = await Promise.all([store.accounts.get(account), store.webhooks.list(account)]);
      return a && !a.webhooksEnabled ? [] : webhooks;
    }, ttlMs, now);
  }

  get(account: string): Promise<Webhook[]> {
    return this.#cache.get(account);
  }

  invalidate(account?: string): void {
    this.#cache.invalidate(account);
  }
}
