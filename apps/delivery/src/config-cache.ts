import type { PayloadSchema, Webhook } from '@herald/core';
import type { Store } from '@herald/store';
import { TtlCache } from '@herald/runtime';

/** A change notice on `herald.config`, as the config-api and endpoint health publish it. */
export interface ConfigChange {
  kind?: string;
  account?: string;
  id?: string;
}

/**
 * The webhooks and payload schemas the delivery engine sends with, kept in memory so that no
 * delivery reads its configuration from the store.
 *
 * An entry is dropped when a change notice for it arrives on `herald.config` (the config-api
 * publishes one after every write, endpoint health after disabling a webhook), and in any case
 * after `ttlMs`, the backstop for a notice that never comes. So a webhook deleted or switched off
 * gets nothing more once the notice has reached the instance — and at the latest `ttlMs` after the
 * change — apart from attempts already under way then.
 */
export class ConfigCache {
  readonly #webhooks: TtlCache<Webhook | null>;
  readonly #schemas: TtlCache<PayloadSchema | null>;

  constructor(store: Store, readonly ttlMs: number) {
    this.#webhooks = new TtlCache((key) => {
      const [account, id] = split(key);
      return store.webhooks.get(account, id);
    }, ttlMs);
    this.#schemas = new TtlCache((key) => {
      const [account, id] = split(key);
      return store.schemas.get(account, id);
    }, ttlMs);
  }

  webhook(account: string, id: string): Promise<Webhook | null> {
    return this.#webhooks.get(join(account, id));
  }

  schema(account: string, id: string): Promise<PayloadSchema | null> {
    return this.#schemas.get(join(account, id));
  }

  /** Drops what a change notice names: one webhook or schema, an account's all, or (unreadable notice) everything. */
  apply(change: ConfigChange | null): void {
    if (!change || typeof change.account !== 'string') {
      // An account-less notice (event types) changes nothing here; an unreadable one may have meant anything.
      if (!change || change.kind !== 'event-type') this.invalidateAll();
      return;
    }
    if (change.kind === 'webhook' && typeof change.id === 'string') this.#webhooks.invalidate(join(change.account, change.id));
    else if (change.kind === 'schema' && typeof change.id === 'string') this.#schemas.invalidate(join(change.account, change.id));
    else if (change.kind === 'rule-group') return;
    else this.invalidateAll();
  }

  invalidateAll(): void {
    this.#webhooks.invalidate();
    this.#schemas.invalidate();
  }
}

function join(account: string, id: string): string {
  return `${account}\u0000${id}`;
}

function split(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}
