import { describe, expect, it } from 'vitest';
import { validateEnvelope } from '@herald/core';
import { sampleEvent } from './sample-event.ts';
import { renderSchemaPayload } from './schema-payload.ts';

describe('sampleEvent', () => {
  const at = new Date('2026-11-24T10:55:27Z');

  it('builds a valid envelope from a catalog example, the record under the type name up to its first dot', () => {
    const e = sampleEvent({ name: 'ticket.priority_changed', example: { ref: 'T-1042', priority: 'high' } }, 'acc_1', at);
    expect(validateEnvelope(e)).toEqual({ ok: true, value: e });
    expect(e).toMatchObject({ type: 'ticket.priority_changed', account: 'acc_1', entity: { type: 'ticket', id: 'sample' }, action: 'update', occurredAt: '2026-11-24T10:55:27.000Z' });
    expect(renderSchemaPayload({ body: '{{ticket:ref}}/{{ ticket.priority }}', contentType: 'text/plain' }, e).body).toBe('T-1042/high');
  });

  it('takes the entity id from the example, `new` for a created type, and an empty record without an example', () => {
    expect(sampleEvent({ name: 'user.created', example: { id: 42 } }, 'a', at)).toMatchObject({ entity: { type: 'user', id: '42' }, action: 'new' });
    expect(sampleEvent({ name: 'ping' }, 'a', at)).toMatchObject({ entity: { type: 'ping', id: 'sample' }, data: {} });
  });
});
