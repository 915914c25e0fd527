import type { Attempt, Delivery, DeliveryStatus, PayloadSchema, RuleGroup, Webhook } from '@herald/core';
import type { Account, ApiKey, EventType } from './entities.ts';

/**
 * The persistence contract. Two implementations pass one contract suite
 * (`./store.contract.ts`): MongoDB (mongoose; mongo-java-server in tests) and in-memory.
 *
 * Tenant isolation is in the types: every method that reads or writes an account's data
 * takes the account id first, and implementations check it on every read and write: another
 * account's record is treated as absent. (The MongoDB store reads deliveries and attempts by
 * `_id` alone and compares the account in code, so that each lookup is an index lookup; see
 * mongo/delivery/delivery.repository.ts.) The cross-account
 * operations say so in their names: the retry scheduler's `claimDueAcrossAccounts` (whole
 * deliveries come back, each carrying its account), authentication's
 * `findActiveByHashAcrossAccounts` (the key tells whose it is), and the retention sweeper's
 * `deleteFinalOlderThanAcrossAccounts` / `deleteForDeliveriesAcrossAccounts`. Accounts themselves and the
 * event type catalog are operator-level, so their repositories take no account id.
 *
 * Pages ordered by id (accounts, event types, `webhooks.page`) use the last id of the previous
 * page as cursor: the next page starts after it in id order, whether or not that record still
 * exists or still matches the filters.
 */
export type AccountId = string;

/**
 * A delivery as first persisted; the store fills in the bookkeeping fields. It may be stored in
 * any state (see `DeliveryRepository.insertMany`): not yet tried (`pending`, due at
 * `nextAttemptAt`), or with the outcome of attempts made before it was stored.
 */
export type NewDelivery = Omit<Delivery, 'attempts' | 'leaseUntil' | 'createdAt' | 'updatedAt'> & {
  createdAt?: Date;
  /**
   * Attempts made before it was stored; default 0. The delivery engine makes a delivery's first
   * attempt before it stores it, then stores it with that outcome: final (`succeeded`, `failed`,
   * `cancelled`, `suppressed`) with `attempts` > 0 and the `lastError` of a failure, or `pending`
   * with `attempts` >= 1, the error, and the retry's (future) `nextAttemptAt`. A test delivery
   * (F6) is likewise logged after its one attempt. Deliveries stored before any attempt (`0`):
   * `pending` and due at `nextAttemptAt`, or `suppressed` (F8).
   */
  attempts?: number;
};

/** Which final deliveries of a webhook a replay (F13) puts back. */
export interface RequeueQuery {
  /** Created at or after this instant. A valid Date, else HERALD_VALIDATION. */
  since: Date;
  /** Created before this instant; `until <= since` is an empty range. A valid Date, else HERALD_VALIDATION. */
  until?: Date;
  /** In one of these statuses; each must be final (`FINAL_DELIVERY_STATUSES`), else HERALD_VALIDATION. */
  statuses: readonly DeliveryStatus[];
}

export interface DeliveryListQuery {
  webhookId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  /** Only the deliveries of this entity (the event's `entity`): type and id both match. */
  entity?: { type: string; id: string };
  /** Only deliveries created at or after this instant (`createdAt >= since`). An invalid Date fails with HERALD_VALIDATION. */
  since?: Date;
  /**
   * Only deliveries created before this instant (`createdAt < until`). An invalid Date fails with
   * HERALD_VALIDATION; `until <= since` is an empty range, not an error.
   */
  until?: Date;
  /** At most this many, latest first (`createdAt` descending, then id descending). A whole number >= 1, else HERALD_VALIDATION. */
  limit: number;
  /**
   * Cursor: the id of the last delivery of the previous page; the page starts right after its
   * position, whether or not it still matches the filters. An id that is not a delivery of the
   * account fails with HERALD_VALIDATION.
   */
  after?: string;
}

/**
 * Inserts the new pending deliveries already leased to `owner` for `leaseMs`: whoever inserted a
 * delivery (ids are unique, so one inserter wins) may attempt it at once without a claim — the
 * delivery engine's fast path. Others see it as leased; after the lease it is claimable as usual.
 */
export interface InsertLease {
  owner: string;
  leaseMs: number;
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
   * The store sets `attempts` (as given, else 0), `leaseUntil: null`, `updatedAt` (and
   * `createdAt` if absent) to now. An id given twice in one batch is inserted once (the first);
   * ids come back in batch order.
   *
   * A delivery may be stored in any state, and reads back as given:
   * - final (`succeeded`, `failed`, `cancelled`, `suppressed`), typically with `attempts` > 0,
   *   `nextAttemptAt: null` and, for a failure, `lastError`: never claimed; `requeue` applies;
   * - `pending` with `attempts` >= 1, `lastError` and a future `nextAttemptAt` (its first attempt
   *   failed before it was stored): claimed by `claim` / `claimDueAcrossAccounts` once due,
   *   never before;
   * - `pending`, not tried yet (`attempts` 0), due at `nextAttemptAt`.
   * With `lease`, the pending ones are inserted leased (see `InsertLease`); final ones never are.
   */
  insertMany(deliveries: NewDelivery[], lease?: InsertLease): Promise<{ inserted: string[] }>;
  get(account: AccountId, id: string): Promise<Delivery | null>;
  /**
   * Which of these delivery ids are stored, whichever account holds them (delivery ids are
   * derived from event, webhook and schema, so unique across accounts): the delivery engine's one
   * check per Kafka batch that a job handed again is not sent again. One read by id.
   */
  existingAcrossAccounts(ids: readonly string[]): Promise<Set<string>>;
  list(account: AccountId, query: DeliveryListQuery): Promise<Delivery[]>;
  /**
   * Takes one delivery for sending: only if it is `pending`, due (`nextAttemptAt <= now`) and
   * not leased by someone else (no lease, or the lease has expired). Atomic: of two callers
   * at once, one gets it and the other gets null.
   */
  claim(account: AccountId, id: string, owner: string, leaseMs: number, now?: Date): Promise<Delivery | null>;
  /**
   * Takes up to `limit` due deliveries of any account, as `claim` does, for the retry scheduler;
   * those due longest first (by when each became claimable: its `nextAttemptAt`, or the end of an
   * expired lease if later; then `nextAttemptAt`, then id). Concurrent callers get disjoint sets.
   * A delivery that is final (e.g. cancelled by `cancelPendingForWebhook`) is never taken.
   */
  claimDueAcrossAccounts(owner: string, leaseMs: number, limit: number, now?: Date): Promise<Delivery[]>;
  /**
   * The retry backlog, for the metric of it (read at scrape time): pending deliveries that will
   * be attempted again, `due` (claimable at `now`: due, and not leased) and `scheduled` (later;
   * leased ones included). Cheap: the MongoDB store counts its small `delivery_queue`, never the
   * log (so a delivery cancelled while pending counts until it comes due). Optional: a store
   * without it reports no backlog.
   */
  backlog?(now?: Date): Promise<{ due: number; scheduled: number }>;
  /**
   * Records the outcome of an attempt and releases the lease. Fenced: it applies only while
   * `owner` still holds the lease it claimed; returns false (and changes nothing) otherwise.
   * A cancelled delivery has no holder any more: completing it returns false.
   */
  complete(account: AccountId, id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  /**
   * Resend (F13): puts a final delivery back to `pending`, due at `now`, with one more attempt
   * allowed (`attemptLimit` = its attempts + 1; `attempts`, `lastError` and its attempts stay,
   * so the next attempt's number continues). Returns the delivery as it is now; null when the
   * account has no such delivery, it is not final (pending already), or it is a test delivery.
   * Of two requeues of one delivery at once, at most one succeeds (the other gets null).
   */
  requeue(account: AccountId, id: string, now?: Date): Promise<Delivery | null>;
  /**
   * Replay (F13): requeues, as `requeue` does, every delivery of the webhook created in
   * [since, until) in one of `statuses`, test deliveries left out; returns how many it requeued.
   * It walks them in bounded pages, so it is not one atomic step: deliveries that change
   * meanwhile are requeued or not by their state when reached.
   */
  requeueForWebhook(account: AccountId, webhookId: string, query: RequeueQuery, now?: Date): Promise<number>;
  /**
   * Cancels the pending deliveries of a webhook (deleted or deactivated); returns how many.
   * Leased ones included: their lease is dropped, so the holder's `complete` returns false.
   */
  cancelPendingForWebhook(account: AccountId, webhookId: string): Promise<number>;
  /**
   * Retention: deletes up to `limit` final deliveries (`FINAL_DELIVERY_STATUSES`: succeeded,
   * failed, suppressed, cancelled) of any account whose `updatedAt` (when they became final) is
   * before `cutoff`, oldest first, together with their attempts; returns how many deliveries
   * were deleted. Pending deliveries are never deleted, however old. Attempts go first, so a
   * crash in between leaves a delivery (found again by the next call), never orphaned attempts.
   * `limit` is a whole number >= 1 and `cutoff` a valid Date, else HERALD_VALIDATION.
   */
  deleteFinalOlderThanAcrossAccounts(cutoff: Date, limit: number): Promise<number>;
}

export interface AttemptRepository {
  /** Logs one attempt. (deliveryId, number) is unique: logging the same attempt twice fails with HERALD_CONFLICT. */
  insert(attempt: Attempt): Promise<void>;
  /**
   * Logs a batch of attempts in one unordered bulk insert (the delivery engine logs the first
   * attempts of a batch of deliveries together). Attempts already logged — same `deliveryId` and
   * `number`, in the store or earlier in the batch — are skipped silently, not an error, and the
   * rest are logged all the same: a replayed batch is a no-op. Returns how many were newly logged.
   */
  insertMany(attempts: Attempt[]): Promise<{ inserted: number }>;
  /** By attempt number. */
  listForDelivery(account: AccountId, deliveryId: string): Promise<Attempt[]>;
  /**
   * Retention: deletes every attempt of these deliveries, whichever account holds them (delivery
   * ids are unique across accounts); returns how many attempts were deleted.
   */
  deleteForDeliveriesAcrossAccounts(deliveryIds: readonly string[]): Promise<number>;
}

/** A page of an account's webhooks, by id ascending (ids are time-sortable). */
export interface WebhookPageQuery {
  /** At most this many; a whole number >= 1, else HERALD_VALIDATION. */
  limit: number;
  /** Cursor: the id of the previous page's last webhook. */
  after?: string;
  /** Only active (true) or only inactive (false) webhooks. */
  active?: boolean;
  /** Only webhooks whose `eventTypes` holds exactly this type. */
  eventType?: string;
}

/**
 * A store given an encryption key keeps each webhook's `secret` and its `auth` settings (all but
 * `type`) encrypted at rest, and decrypts them on read. A read of a value the key cannot decrypt
 * (another key, no key, or an altered value) fails with HERALD_CONFIG_INVALID naming the webhook.
 * Values stored in clear (written without a key) are read as they are.
 */
export interface WebhookRepository {
  /**
   * Creates or replaces a webhook (by id within the account). An id that another account
   * holds fails with HERALD_CONFLICT.
   */
  upsert(webhook: Webhook): Promise<void>;
  get(account: AccountId, id: string): Promise<Webhook | null>;
  /** All of them, by id. */
  list(account: AccountId): Promise<Webhook[]>;
  /** One page, by id, filtered. */
  page(account: AccountId, query: WebhookPageQuery): Promise<Webhook[]>;
  /** How many webhooks the account has (active or not). */
  count(account: AccountId): Promise<number>;
  /** Deletes permanently; returns whether it existed. */
  delete(account: AccountId, id: string): Promise<boolean>;
}

/** Pages by id ascending; the cursor is the previous page's last id. */
export interface IdPageQuery {
  /** At most this many; a whole number >= 1, else HERALD_VALIDATION. */
  limit: number;
  after?: string;
}

export interface AccountPatch {
  name?: string;
  webhooksEnabled?: boolean;
}

/** Accounts are operator-level: no account id scopes these calls. */
export interface AccountRepository {
  /** Stores a new account; an id that exists fails with HERALD_CONFLICT. */
  create(account: Account): Promise<void>;
  get(id: string): Promise<Account | null>;
  /** By id ascending. */
  list(query: IdPageQuery): Promise<Account[]>;
  /**
   * Sets the given fields (absent ones stay as they are) and `updatedAt` to `now`; returns the
   * account as it is now, or null when there is none.
   */
  update(id: string, patch: AccountPatch, now?: Date): Promise<Account | null>;
}

export interface ApiKeyRepository {
  /** Stores a new key; an id or a hash that exists (in any account) fails with HERALD_CONFLICT. */
  insert(key: ApiKey): Promise<void>;
  /**
   * Authentication: the key with this hash, whichever account holds it — the one cross-account
   * read of keys, hence the name. Null when unknown or revoked.
   */
  findActiveByHashAcrossAccounts(hash: string): Promise<ApiKey | null>;
  /** The account's keys, revoked ones included: `createdAt` ascending, then id ascending. */
  list(account: AccountId): Promise<ApiKey[]>;
  get(account: AccountId, id: string): Promise<ApiKey | null>;
  /**
   * Revokes the key and returns it; null when the account has no such key. Idempotent: a key
   * revoked already keeps its first `revokedAt`, also when two revocations race.
   */
  revoke(account: AccountId, id: string, now?: Date): Promise<ApiKey | null>;
  /**
   * Records a use: sets `lastUsedAt` to `now`. Best effort (concurrent touches: the last write
   * wins); an unknown key is ignored. Never undoes a revocation, whatever it races with.
   */
  touch(account: AccountId, id: string, now: Date): Promise<void>;
}

export interface EventTypeListQuery extends IdPageQuery {
  /** false = archived types are left out. */
  includeArchived: boolean;
}

export interface EventTypePatch {
  description?: string;
  /** An object replaces the schema, null removes it, absent leaves it. */
  schema?: Record<string, unknown> | null;
  /** An object replaces the example, null removes it, absent leaves it. */
  example?: Record<string, unknown> | null;
  archived?: boolean;
}

/** The event type catalog is product-wide: no account id scopes these calls. */
export interface EventTypeRepository {
  /** Stores a new type; a name that exists (archived or not) fails with HERALD_CONFLICT. */
  create(type: EventType): Promise<void>;
  get(name: string): Promise<EventType | null>;
  /** By name ascending; the cursor is the previous page's last name. */
  list(query: EventTypeListQuery): Promise<EventType[]>;
  /** As `AccountRepository.update`: the given fields and `updatedAt`; null when unknown. */
  update(name: string, patch: EventTypePatch, now?: Date): Promise<EventType | null>;
}

/** A record that belongs to one account: what `AccountRecordRepository` keeps. */
export interface AccountRecord {
  id: string;
  account: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * An account's records of one kind (payload schemas, rule groups), kept whole: written by
 * `upsert`, read by id or by page. Free-form values inside a record (templates, condition values)
 * come back as they went in, through JSON.
 */
export interface AccountRecordRepository<T extends AccountRecord> {
  /** Creates or replaces a record (by id within the account). An id another account holds fails with HERALD_CONFLICT. */
  upsert(record: T): Promise<void>;
  get(account: AccountId, id: string): Promise<T | null>;
  /** All of them, by id. */
  list(account: AccountId): Promise<T[]>;
  /** One page, by id ascending; the cursor is the previous page's last id. */
  page(account: AccountId, query: IdPageQuery): Promise<T[]>;
  /** Deletes permanently; returns whether it existed. */
  delete(account: AccountId, id: string): Promise<boolean>;
}

export type SchemaRepository = AccountRecordRepository<PayloadSchema>;
export type RuleGroupRepository = AccountRecordRepository<RuleGroup>;

/** One de-duplication claim of a batch (see `DedupRepository.claimMany`). */
export interface DedupClaim {
  account: AccountId;
  /** The (webhook, schema, entity) key, within the account. */
  key: string;
  /** The delivery that claims the key. */
  deliveryId: string;
  /** Until when its claim holds, if it wins. */
  until: Date;
}

/**
 * De-duplication claims (F8): which delivery holds a key — (account, webhook, schema, entity) —
 * and until when, so that the same key is not sent twice within a webhook's window.
 *
 * On MongoDB each claim takes the next generation of its key by inserting a ticket under a
 * unique `_id`: of several claimers of a key at once, exactly one wins, on MongoDB as on the test
 * server (mongo-java-server), where a unique `_id` insert is the one cheap compare-and-set and
 * only `_id`-exact filters use an index. A batch is claimed in a few commands, whatever its size
 * (see mongo/dedup/dedup.ts).
 */
export interface DedupRepository {
  /**
   * Claims each key for its delivery until its `until`, unless another delivery's claim still
   * holds at `now`. Returns, per claim and in order, the delivery that holds the key after the
   * call: the claim's own `deliveryId` when it claimed the key (or held it already: claiming
   * again is a no-op, also after its window), else the one whose claim holds at `now` — the
   * delivery that suppresses this one.
   *
   * Claims of the same (account, key) within one call are decided in order: the first one
   * claims (or is held), later ones are held by its holder (a later one of that same delivery
   * is its own holder). Different keys are independent; the call is not atomic across them.
   */
  claimMany(claims: readonly DedupClaim[], now: Date): Promise<string[]>;
  /** One claim: `claimMany([{ account, key, deliveryId, until }], now)`. */
  claim(account: AccountId, key: string, deliveryId: string, now: Date, until: Date): Promise<string>;
  /**
   * Deletes claims that ended before `cutoff`, across accounts — about `limit` of them per call
   * — and returns how many records it deleted. Keys whose claims are all gone are free again. `cutoff` should be well in the past (a grace longer than any
   * `claimMany` call takes).
   */
  deleteExpiredAcrossAccounts(cutoff: Date, limit: number): Promise<number>;
}

/** A webhook's run of failed deliveries (endpoint health, F14). */
export interface WebhookHealth {
  /** Deliveries of the webhook that ended `failed` since its last success (or reset). */
  consecutiveFailures: number;
  /** When the first of them failed; null when there are none. */
  failingSince: Date | null;
}

/**
 * Endpoint health (F14): the run of consecutive failed deliveries of each webhook, which the
 * delivery engine disables it after. Kept apart from the webhook (whose writers replace it whole).
 *
 * Counts are best effort under concurrency: a store whose updates are not atomic may lose one of
 * two writes made by delivery instances at the same moment — an undercount, which errs toward not
 * disabling, never an overcount. (On MongoDB and mongo-java-server each record is one atomic
 * upsert, so counts are exact there.)
 */
export interface WebhookHealthRepository {
  /**
   * Records that a delivery of the webhook ended: a success clears the run; a failure adds one
   * to it (`failingSince` = `at` when it starts a run). Returns the health after the call.
   */
  recordOutcome(account: AccountId, webhookId: string, success: boolean, at: Date): Promise<WebhookHealth>;
  /** The webhook's health now (no run: 0 and null). */
  get(account: AccountId, webhookId: string): Promise<WebhookHealth>;
  /** Clears the run (a webhook enabled again starts afresh). */
  reset(account: AccountId, webhookId: string): Promise<void>;
}

export interface Store {
  readonly kind: 'mongodb' | 'memory' | 'sqlite';
  deliveries: DeliveryRepository;
  attempts: AttemptRepository;
  webhooks: WebhookRepository;
  accounts: AccountRepository;
  apiKeys: ApiKeyRepository;
  eventTypes: EventTypeRepository;
  /** Payload schemas (F3). */
  schemas: SchemaRepository;
  /** Event rule groups (F4). */
  ruleGroups: RuleGroupRepository;
  /** De-duplication claims (F8). */
  dedup: DedupRepository;
  /** Endpoint health: runs of failed deliveries per webhook (F14). */
  webhookHealth: WebhookHealthRepository;
  /** Creates the indexes the queries rely on (idempotent). */
  init(): Promise<void>;
  /** Throws when the database cannot be reached (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
