import type { EventEnvelope } from './envelope.ts';

/** The Kafka key of an event: `account:entity.type:entity.id`, so one entity's events share a partition. */
export function entityKey(event: Pick<EventEnvelope, 'account' | 'entity'>): string {
  return `${event.account}:${event.entity.type}:${event.entity.id}`;
}
