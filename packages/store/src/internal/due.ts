import type { DeliveryStatus } from '@herald/core';

/** What both stores look at to tell whether, and when, a delivery may be claimed. */
export interface DueFields {
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
}

/** Pending, due at `now` (`nextAttemptAt <= now`), and not leased (never, or the lease ran out: `leaseUntil < now`). */
export function isClaimableAt(d: DueFields, now: Date): boolean {
  const from = claimableFrom(d);
  return from !== null && from.getTime() <= now.getTime();
}

/**
 * The first instant at which the delivery may be claimed as it stands: its `nextAttemptAt`, or
 * just after its lease if that ends later (a lease runs until `leaseUntil` inclusive). Null when
 * it never may: not pending, or pending with no next attempt.
 */
export function claimableFrom(d: DueFields): Date | null {
  if (d.status !== 'pending' || d.nextAttemptAt === null) return null;
  const afterLease = d.leaseUntil === null ? Number.NEGATIVE_INFINITY : d.leaseUntil.getTime() + 1;
  return new Date(Math.max(d.nextAttemptAt.getTime(), afterLease));
}

/**
 * The order the retry scheduler takes due deliveries in (`claimDueAcrossAccounts`): by when each
 * became claimable, then by `nextAttemptAt`, then by id.
 */
export function dueOrder(a: DueFields & { id: string }, b: DueFields & { id: string }): number {
  const byFrom = (claimableFrom(a)?.getTime() ?? 0) - (claimableFrom(b)?.getTime() ?? 0);
  if (byFrom !== 0) return byFrom;
  const byNext = (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0);
  if (byNext !== 0) return byNext;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
