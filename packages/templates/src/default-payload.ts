import type { EventEnvelope } from '@herald/core';

export type PayloadAction = 'new' | 'update' | 'delete' | 'test';

/**
 * The default payload (F5), sent to a webhook that has no schema, as the German seed
 * describes it: `entity_id`, `entity_type`, `action_type`, `result` (the record now; absent on
 * delete), plus `event_id`, `event_type` and `occurred_at`.
 */
export interface DefaultPayload {
  event_id: string;
  event_type: string;
  occurred_at: string;
  entity_id: string;
  entity_type: string;
  action_type: PayloadAction;
  result?: Record<string, unknown>;
}

export function defaultPayload(event: EventEnvelope, options: { test?: boolean } = {}): DefaultPayload {
  const payload: DefaultPayload = {
    event_id: event.id,
    event_type: event.type,
    occurred_at: event.occurredAt,
    entity_id: event.entity.id,
    entity_type: event.entity.type,
    action_type: options.test ? 'test' : event.action,
  };
  if (event.action !== 'delete' && event.data !== undefined) payload.result = event.data;
  return payload;
}

export interface RenderedBody {
  contentType: string;
  body: string;
}

/** The default payload as it goes on the wire. */
export function renderDefaultPayload(event: EventEnvelope, options: { test?: boolean } = {}): RenderedBody {
  return { contentType: 'application/json', body: JSON.stringify(defaultPayload(event, options)) };
}
