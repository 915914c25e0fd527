import type { EventEnvelope } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { renderSchemaPayload } from './schema-payload.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', priority: 'high' },
};

describe('schema payload', () => {
  it('renders an event with the schema and carries its content type', () => {
    expect(renderSchemaPayload({ body: '{"ref": "{{ticket:ref}}", "action": "{{ action_type }}"}', contentType: 'application/json' }, event, { test: true })).toEqual({
      contentType: 'application/json',
      body: '{"ref": "T-1042", "action": "test"}',
    });
    expect(renderSchemaPayload({ body: '{\n  Hello\n}', contentType: 'text/plain' }, event)).toEqual({ contentType: 'text/plain', body: '{\n  Hello\n}' });
  });
});
