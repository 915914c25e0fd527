import type { Delivery } from '@herald/core';
import type { NewDelivery } from '../repositories.ts';

/** A delivery as both stores first persist it: no attempts yet (unless a test delivery says), no lease, `createdAt` defaulting to now. */
export function initialDelivery(d: NewDelivery, now: Date): Delivery {
  const delivery: Delivery = {
    id: d.id,
    account: d.account,
    webhookId: d.webhookId,
    schemaId: d.schemaId,
    eventId: d.eventId,
    eventType: d.eventType,
    entity: { type: d.entity.type, id: d.entity.id },
    event: d.event,
    status: d.status,
    attempts: d.attempts ?? 0,
    nextAttemptAt: d.nextAttemptAt,
    leaseUntil: null,
    createdAt: d.createdAt ?? now,
    updatedAt: now,
  };
  if (d.lastError !== undefined) delivery.lastError = d.lastError;
  if (d.suppressedBy !== undefined) delivery.suppressedBy = d.suppressedBy;
  if (d.test === true) delivery.test = true;
  if (d.attemptLimit !== undefined) delivery.attemptLimit = d.attemptLimit;
  return delivery;
}

/** Keeps the first of each id: a batch that names one delivery twice inserts it once. */
export function uniqueById<T extends { id: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(item.id) ? false : (seen.add(item.id), true)));
}
