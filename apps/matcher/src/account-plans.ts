import { createMatchPlan, type MatchPlan } from '@herald/core';
import type { Store } from '@herald/store';
import { TtlCache } from '@herald/runtime';

/** What the matcher needs of one account: its match plan and each webhook's de-duplication window. */
export interface AccountPlan {
  /** false: no such account (its events go to the dead-letter topic). */
  known: boolean;
  plan: MatchPlan;
  /** Webhook id → de-duplication window in seconds (F8); 0 = off. */
  dedupWindowSeconds: ReadonlyMap<string, number>;
}

const NOTHING = { plan: createMatchPlan([], []), dedupWindowSeconds: new Map<string, number>() };

/**
 * Each account's webhooks and rule groups, compiled into a match plan and cached for `ttlMs`
 * (0 = no cache); an account whose plan switch is off gets a plan that matches nothing, and an
 * account that does not exist one that says so (`known: false`; cached too: creating the account
 * publishes a change on herald.config).
 * `invalidate` drops an account at once (herald.config tells the matcher what changed); the TTL
 * is the backstop.
 */
export class AccountPlans {
  readonly #cache: TtlCache<AccountPlan>;

  constructor(store: Pick<Store, 'webhooks' | 'accounts' | 'ruleGroups'>, ttlMs: number, now: () => number = Date.now) {
    this.#cache = new TtlCache(async (account) => {
      const [a, webhooks, groups] = await Promise.all([store.accounts.get(account), store.webhooks.list(account), store.ruleGroups.list(account)]);
      if (!a) return { known: false, ...NOTHING };
      if (!a.webhooksEnabled) return { known: true, ...NOTHING };
      return { known: true, plan: createMatchPlan(webhooks, groups), dedupWindowSeconds: new Map(webhooks.map((w) => [w.id, w.dedupWindowSeconds])) };
    }, ttlMs, now);
  }

  get(account: string): Promise<AccountPlan> {
    return this.#cache.get(account);
  }

  invalidate(account?: string): void {
    this.#cache.invalidate(account);
  }
}
