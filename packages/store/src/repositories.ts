import type { Attempt, Delivery, DeliveryStatus, Webhook } from '@herald/core';

/**
 * The persistence contract. Two implementations pass one contract suite
 * (`./store.contract.ts`): MongoDB (mongoose; FerretDB in tests) and in-memory.
 *
 * Tenant isolation is in the types: every method that reads or writes an account's data
 * takes the account id first, and implementations put it in every query. The only
 * cross-account operation is the retry scheduler's `claimDue`, which says so in its name
 * and hands back whole deliveries (each carrying its account).
 */
export type AccountId = string;

/** A delivery as first persisted; the store fills in the bookkeeping fields. */
export type NewDelivery = Omit<Delivery, 'attempts' | 'leaseUntil' | 'createdAt' | 'updatedAt'> & {
  createdAt?: Date;
};

export interface DeliveryListQuery {
  webhookId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  /** At most this many, latest first (`createdAt` descending, then id descending). A whole number >= 1, else HERALD_VALIDATION. */
  limit: number;
  /**
   * Cursor: the id of the last delivery of the previous page; the page starts right after its
   * position, whether or not it still matches the filters. An id that is not a delivery of the
   * account fails with HERALD_VALIDATION.
   */
  after?: string;
}

export interface DeliveryOutcome {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  /** The error of this attempt; absent = the delivery's `lastError` is removed. */
  lastError?: string;
}

export interface DeliveryRepository {
  /**
   * Inserts the deliveries that do not exist yet (by id) and ignores the others.
   * Returns the ids that were newly inserted. Idempotent: a replayed job is a no-op.
   * The store sets `attempts: 0`, `leaseUntil: null`, `updatedAt` (and `createdAt` if absent)
   * to now. An id given twice in one batch is inserted once (the first); ids come back in
   * batch order.
   */
  insertMany(deliveries: NewDelivery[]): Promise<{ inserted: string[] }>;
  get(account: AccountId, id: string): Promise<Delivery | null>;
  list(account: AccountId, query: DeliveryListQuery): Promise<Delivery[]>;
  /**
   * Takes one delivery for sending: only if it is `pending`, due (`nextAttemptAt <= now`) and
   * not leased by someone else (no lease, or the lease has expired). Atomic: of two callers
   * at once, one gets it and the other gets null.
   */
  claim(account: AccountId, id: string, owner: string, leaseMs: number, now?: Date): Promise<Delivery | null>;
  /**
   * Takes up to `limit` due deliveries of any account, as `claim` does, for the retry scheduler;
   * soonest due first. Concurrent callers get disjoint sets.
   */
  claimDueAcrossAccounts(owner: string, leaseMs: number, limit: number, now?: Date): Promise<Delivery[]>;
  /**
   * Records the outcome of an attempt and releases the lease. Fenced: it applies only while
   * `owner` still holds the lease it claimed; returns false (and changes nothing) otherwise.
   * A cancelled delivery has no holder any more: completing it returns false.
   */
  complete(account: AccountId, id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  /**
   * Cancels the pending deliveries of a webhook (deleted or deactivated); returns how many.
   * Leased ones included: their lease is dropped, so the holder's `complete` returns false.
   */
  cancelPendingForWebhook(account: AccountId, webhookId: string): Promise<number>;
}

export interface AttemptRepository {
  /** Logs one attempt. (deliveryId, number) is unique: logging the same attempt twice fails with HERALD_CONFLICT. */
  insert(attempt: Attempt): Promise<void>;
  /** By attempt number. */
  listForDelivery(account: AccountId, deliveryId: string): Promise<Attempt[]>;
}

export interface WebhookRepository {
  /**
   * Creates or replaces a webhook (by id within the account). An id that another account
   * holds fails with HERALD_CONFLICT.
   */
  upsert(webhook: Webhook): Promise<void>;
  get(account: AccountId, id: string): Promise<Webhook | null>;
  /** By id. */
  list(account: AccountId): Promise<Webhook[]>;
  /** Deletes permanently; returns whether it existed. */
  delete(account: AccountId, id: string): Promise<boolean>;
}

export interface Store {
  readonly kind: 'mongodb' | 'memory';
  deliveries: DeliveryRepository;
  attempts: AttemptRepository;
  webhooks: WebhookRepository;
  /** Creates the indexes the queries rely on (idempotent). */
  init(): Promise<void>;
  /** Throws when the database cannot be reached (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
