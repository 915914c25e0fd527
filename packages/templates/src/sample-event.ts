import type { EventEnvelope } from '@herald/core';

/**
 * The event a schema is checked and previewed with, built from an event type's catalog example
 * (which is an example of the events' `data`). The entity type is the type name up to its first
 * dot (`ticket.priority_changed` → `ticket`), the entity id the example's `id` when it has one
 * (else `sample`), and the action `new` for a type named `….created`, else `update`.
 */
export function sampleEvent(eventType: { name: string; example?: Record<string, unknown> }, account: string, now: Date = new Date()): EventEnvelope {
  const dot = eventType.name.indexOf('.');
  const entityType = dot > 0 ? eventType.name.slice(0, dot) : eventType.name;
  const exampleId = eventType.example?.['id'];
  const id = typeof exampleId === 'string' || typeof exampleId === 'number' ? String(exampleId) : 'sample';
  return {
    id: 'evt_sample',
    type: eventType.name,
    account,
    entity: { type: entityType, id },
    action: eventType.name.endsWith('.created') ? 'new' : 'update',
    occurredAt: now.toISOString(),
    data: eventType.example ?? {},
  };
}
