import type { EventEnvelope } from './envelope.ts';
import type { Webhook } from './webhook.ts';

/** Whether a webhook's project scope admits the event: "all projects" takes events with or without one. */
export function inProjectScope(webhook: Pick<Webhook, 'projects'>, event: Pick<EventEnvelope, 'project'>): boolean {
  if (webhook.projects === undefined) return true;
  return event.project !== undefined && webhook.projects.includes(event.project);
}

/** The active webhooks subscribed to the event's type, in its project scope. */
export function subscribedWebhooks<W extends Pick<Webhook, 'active' | 'eventTypes' | 'projects'>>(
  event: Pick<EventEnvelope, 'type' | 'project'>,
  webhooks: readonly W[],
): W[] {
  return webhooks.filter((w) => w.active && w.eventTypes.includes(event.type) && inProjectScope(w, event));
}
