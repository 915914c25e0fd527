import { deliveryIdFor, subscribedWebhooks, type DeliveryJob, type EventEnvelope, type Webhook } from '@herald/core';

/**
 * The delivery jobs for one event: one per (event, webhook, schema), each with its derived
 * delivery id, so the same event matched twice yields the same jobs.
 */
export function matchEvent(event: EventEnvelope, webhooks: readonly Webhook[], now: Date = new Date()): DeliveryJob[] {
  const jobs = new Map<string, DeliveryJob>();
  for (const w of subscribedWebhooks(event, webhooks)) {
    const schemaId = w.schema ?? null;
    const deliveryId = deliveryIdFor(event.id, w.id, schemaId);
    jobs.set(deliveryId, { deliveryId, account: event.account, webhookId: w.id, schemaId, event, createdAt: now.toISOString() });
  }
  return [...jobs.values()];
}
