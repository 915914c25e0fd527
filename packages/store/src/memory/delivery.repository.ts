import { FINAL_DELIVERY_STATUSES, type Delivery, type DeliveryStatus } from '@herald/core';
import type { AccountId, AttemptRepository, DeliveryListQuery, DeliveryOutcome, DeliveryRepository, NewDelivery, RequeueQuery, InsertLease } from '../repositories.ts';
import { assertDeliveryListQuery, assertListLimit, assertValidDate, unknownCursorError } from '../internal/list-query.ts';
import { initialDelivery, uniqueById } from '../internal/new-delivery.ts';
import { assertRequeueQuery } from '../internal/requeue-query.ts';
import { claimableFrom, dueOrder, isClaimableAt } from '../internal/due.ts';
import { copyDelivery } from './copy.ts';

interface Stored {
  delivery: Delivery;
  /** Who holds the lease; kept beside the delivery, as the MongoDB document keeps it. */
  leaseOwner: string | null;
}

/** Latest first: `createdAt` descending, then id descending. */
function latestFirst(a: Delivery, b: Delivery): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

const FINAL: ReadonlySet<DeliveryStatus> = new Set(FINAL_DELIVERY_STATUSES);

/**
 * The memory store's deliveries. Due deliveries are found by scanning the map: the MongoDB
 * store's `delivery_queue` exists to avoid scanning the delivery log there, and a map of
 * in-process deliveries needs no such index. Every call runs to its end before another starts,
 * so each is atomic as the contract asks.
 */
export class MemoryDeliveryRepository implements DeliveryRepository {
  readonly #byId = new Map<string, Stored>();
  /** Where the attempts live: retention deletes a delivery's attempts with it. */
  readonly #attempts: AttemptRepository;

  constructor(attempts: AttemptRepository) {
    this.#attempts = attempts;
  }

  async insertMany(deliveries: NewDelivery[], lease?: InsertLease): Promise<{ inserted: string[] }> {
    const now = new Date();
    const inserted: string[] = [];
    for (const d of uniqueById(deliveries)) {
      if (this.#byId.has(d.id)) continue;
      const stored: Stored = { delivery: copyDelivery(initialDelivery(d, now)), leaseOwner: null };
      if (lease && stored.delivery.status === 'pending') this.#lease(stored, lease.owner, lease.leaseMs, now);
      this.#byId.set(d.id, stored);
      inserted.push(d.id);
    }
    return { inserted };
  }

  async get(account: AccountId, id: string): Promise<Delivery | null> {
    const stored = this.#find(account, id);
    return stored ? copyDelivery(stored.delivery) : null;
  }

  async existingAcrossAccounts(ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.#byId.has(id)));
  }

  async list(account: AccountId, query: DeliveryListQuery): Promise<Delivery[]> {
    assertDeliveryListQuery(query);
    let cursor: Delivery | undefined;
    if (query.after !== undefined) {
      cursor = this.#find(account, query.after)?.delivery;
      if (!cursor) throw unknownCursorError();
    }
    const page: Delivery[] = [];
    for (const { delivery: d } of this.#byId.values()) {
      if (d.account !== account) continue;
      if (query.webhookId !== undefined && d.webhookId !== query.webhookId) continue;
      if (query.status !== undefined && d.status !== query.status) continue;
      if (query.eventType !== undefined && d.eventType !== query.eventType) continue;
      if (query.entity !== undefined && (d.entity.type !== query.entity.type || d.entity.id !== query.entity.id)) continue;
      if (query.since !== undefined && d.createdAt.getTime() < query.since.getTime()) continue;
      if (query.until !== undefined && d.createdAt.getTime() >= query.until.getTime()) continue;
      if (cursor && latestFirst(cursor, d) >= 0) continue;
      page.push(d);
    }
    return page.sort(latestFirst).slice(0, query.limit).map(copyDelivery);
  }

  async claim(account: AccountId, id: string, owner: string, leaseMs: number, now: Date = new Date()): Promise<Delivery | null> {
    const stored = this.#find(account, id);
    if (!stored || !isClaimableAt(stored.delivery, now)) return null;
    this.#lease(stored, owner, leaseMs, now);
    return copyDelivery(stored.delivery);
  }

  async claimDueAcrossAccounts(owner: string, leaseMs: number, limit: number, now: Date = new Date()): Promise<Delivery[]> {
    const due = [...this.#byId.values()]
      .filter((s) => isClaimableAt(s.delivery, now))
      .sort((a, b) => dueOrder(a.delivery, b.delivery))
      .slice(0, Math.max(0, limit));
    return due.map((stored) => {
      this.#lease(stored, owner, leaseMs, now);
      return copyDelivery(stored.delivery);
    });
  }

  async backlog(now: Date = new Date()): Promise<{ due: number; scheduled: number }> {
    let due = 0;
    let scheduled = 0;
    for (const { delivery } of this.#byId.values()) {
      const from = claimableFrom(delivery);
      if (from === null) continue;
      if (from.getTime() <= now.getTime()) due++;
      else scheduled++;
    }
    return { due, scheduled };
  }

  async complete(account: AccountId, id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    const stored = this.#find(account, id);
    if (!stored || stored.leaseOwner !== owner || stored.delivery.status !== 'pending') return false;
    const d = stored.delivery;
    d.status = outcome.status;
    d.attempts = outcome.attempts;
    d.nextAttemptAt = outcome.nextAttemptAt === null ? null : new Date(outcome.nextAttemptAt.getTime());
    if (outcome.lastError !== undefined) d.lastError = outcome.lastError;
    else delete d.lastError;
    d.leaseUntil = null;
    d.updatedAt = new Date();
    stored.leaseOwner = null;
    return true;
  }

  async requeue(account: AccountId, id: string, now: Date = new Date()): Promise<Delivery | null> {
    const stored = this.#find(account, id);
    if (!stored || !this.#requeue(stored, now)) return null;
    return copyDelivery(stored.delivery);
  }

  async requeueForWebhook(account: AccountId, webhookId: string, query: RequeueQuery, now: Date = new Date()): Promise<number> {
    assertRequeueQuery(query);
    const statuses = new Set(query.statuses);
    let requeued = 0;
    for (const stored of this.#byId.values()) {
      const d = stored.delivery;
      if (d.account !== account || d.webhookId !== webhookId || !statuses.has(d.status)) continue;
      if (d.createdAt.getTime() < query.since.getTime()) continue;
      if (query.until !== undefined && d.createdAt.getTime() >= query.until.getTime()) continue;
      if (this.#requeue(stored, now)) requeued++;
    }
    return requeued;
  }

  async cancelPendingForWebhook(account: AccountId, webhookId: string): Promise<number> {
    const now = new Date();
    let cancelled = 0;
    for (const stored of this.#byId.values()) {
      const d = stored.delivery;
      if (d.account !== account || d.webhookId !== webhookId || d.status !== 'pending') continue;
      d.status = 'cancelled';
      d.nextAttemptAt = null;
      d.leaseUntil = null;
      d.updatedAt = now;
      stored.leaseOwner = null;
      cancelled++;
    }
    return cancelled;
  }

  async deleteFinalOlderThanAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    assertListLimit(limit);
    assertValidDate('cutoff', cutoff);
    const victims = [...this.#byId.values()]
      .map((s) => s.delivery)
      .filter((d) => FINAL.has(d.status) && d.updatedAt.getTime() < cutoff.getTime())
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
      .map((d) => d.id);
    if (victims.length === 0) return 0;
    await this.#attempts.deleteForDeliveriesAcrossAccounts(victims);
    for (const id of victims) this.#byId.delete(id);
    return victims.length;
  }

  #find(account: AccountId, id: string): Stored | undefined {
    const stored = this.#byId.get(id);
    return stored && stored.delivery.account === account ? stored : undefined;
  }

  /** Back to pending, due at `now`, one attempt more allowed; false (nothing changed) unless final and not a test. */
  #requeue(stored: Stored, now: Date): boolean {
    const d = stored.delivery;
    if (!FINAL.has(d.status) || d.test === true) return false;
    d.status = 'pending';
    d.nextAttemptAt = new Date(now.getTime());
    d.attemptLimit = d.attempts + 1;
    d.leaseUntil = null;
    d.updatedAt = new Date(now.getTime());
    stored.leaseOwner = null;
    return true;
  }

  #lease(stored: Stored, owner: string, leaseMs: number, now: Date): void {
    stored.delivery.leaseUntil = new Date(now.getTime() + leaseMs);
    stored.delivery.updatedAt = new Date(now.getTime());
    stored.leaseOwner = owner;
  }
}
