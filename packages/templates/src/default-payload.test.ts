import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@herald/core';
import { defaultPayload, renderDefaultPayload } from './default-payload.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', priority: 'high', title: 'He said "hi"' },
};

describe('default payload (F5)', () => {
  it('carries the entity, the action and the record', () => {
    expect(defaultPayload(event)).toEqual({
      event_id: 'evt_1',
      event_type: 'ticket.priority_changed',
      occurred_at: '2026-11-24T10:55:27Z',
      entity_id: '1042',
      entity_type: 'ticket',
      action_type: 'update',
      result: { ref: 'T-1042', priority: 'high', title: 'He said "hi"' },
    });
  });

  it('has no result on delete', () => {
    const { data: _d, ...rest } = event;
    const p = defaultPayload({ ...rest, action: 'delete' });
    expect(p.action_type).toBe('delete');
    expect('result' in p).toBe(false);
  });

  it('says test for the Test button', () => {
    expect(defaultPayload(event, { test: true }).action_type).toBe('test');
  });

  it('renders as JSON that parses back to the same payload', () => {
    const r = renderDefaultPayload(event);
    expect(r.contentType).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual(defaultPayload(event));
  });
});
