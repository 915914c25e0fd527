/**
 * The operator-level records the store keeps beside the core types of `@herald/core`
 * (deliveries, attempts, webhooks): accounts, their API keys, and the event type catalog.
 */

/** A tenant of Herald, created by the operator. Not scoped to any account: it *is* one. */
export interface Account {
  /** `acc_…` */
  id: string;
  name: string;
  /** Off = the account's events are taken in but no webhook receives them. */
  webhooksEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type ApiKeyRole = 'admin' | 'read';

/** An account's API key. The key itself is shown once at creation and never stored. */
export interface ApiKey {
  /** `key_…` */
  id: string;
  account: string;
  name: string;
  role: ApiKeyRole;
  /** Hex SHA-256 of the key: what authentication looks up. Unique across all accounts. */
  hash: string;
  /** The first characters of the key, to tell keys apart in lists. */
  prefix: string;
  createdAt: Date;
  /** When it was revoked; null = active. A revoked key never authenticates again. */
  revokedAt: Date | null;
  /** When it last authenticated (best effort); null = never. */
  lastUsedAt: Date | null;
}

/**
 * An entry of the product-wide event type catalog: managed by the operator, readable by every
 * account, so not scoped to one.
 */
export interface EventType {
  /** The type as events carry it, e.g. `ticket.priority_changed`; the id of the entry. */
  name: string;
  description: string;
  /** A JSON Schema for the events' `data`; absent = none published. */
  schema?: Record<string, unknown>;
  /** An example `data`; absent = none published. */
  example?: Record<string, unknown>;
  /** Archived types stay readable but are left out of default listings. */
  archived: boolean;
  createdAt: Date;
  updatedAt: Date;
}
