import { deliveryJobsFor, type DeliveryJob, type EventEnvelope } from '@herald/core';
import type { AccountPlan } from './account-plans.ts';

/**
 * The delivery jobs for one event: one per (event, webhook, schema) that its account's
 * subscriptions and rules send it to, each with its derived delivery id (the same event matched
 * twice yields the same jobs) and the webhook's de-duplication window.
 */
export function matchEvent(event: EventEnvelope, account: Pick<AccountPlan, 'plan' | 'dedupWindowSeconds'>, now: Date = new Date()): DeliveryJob[] {
  const jobs = deliveryJobsFor(event, account.plan.match(event), now);
  for (const job of jobs) job.dedupWindowSeconds = account.dedupWindowSeconds.get(job.webhookId) ?? 0;
  return jobs;
}
