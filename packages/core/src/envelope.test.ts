import { describe, expect, it } from 'vitest';
import { validateEnvelope, parseEnvelope } from './envelope.ts';
import { isHeraldError } from './errors.ts';

const good = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  project: 'prj_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', priority: 'high' },
  previous: { priority: 'low' },
};

function errorsOf(input: unknown) {
  const r = validateEnvelope(input);
  if (r.ok) throw new Error('expected the envelope to be refused');
  return r.errors;
}

describe('validateEnvelope', () => {
  it('accepts the envelope of DESIGN.md', () => {
    expect(validateEnvelope(good)).toEqual({ ok: true, value: good });
  });

  it('accepts a delete without data, and a time with an offset', () => {
    const { data: _data, ...rest } = good;
    const r = validateEnvelope({ ...rest, action: 'delete', occurredAt: '2026-11-24T11:55:27.123+01:00' });
    expect(r.ok).toBe(true);
  });

  it.each([
    ['missing id', { ...good, id: undefined }, '/id', 'is required'],
    ['empty id', { ...good, id: '' }, '/id', 'must not be empty'],
    ['numeric id', { ...good, id: 42 }, '/id', 'must be a string'],
    ['unknown action', { ...good, action: 'created' }, '/action', 'must be one of new, update, delete'],
    ['test action at intake', { ...good, action: 'test' }, '/action', 'must be one of new, update, delete'],
    ['array data', { ...good, data: [1, 2] }, '/data', 'must be a JSON object'],
    ['string data', { ...good, data: 'x' }, '/data', 'must be a JSON object'],
    ['null data', { ...good, data: null }, '/data', 'must be a JSON object'],
    ['missing data on update', { ...good, data: undefined }, '/data', 'is required when action is "update"'],
    ['numeric entity id', { ...good, entity: { type: 'ticket', id: 1042 } }, '/entity/id', 'must be a string'],
    ['missing entity', { ...good, entity: undefined }, '/entity', 'is required'],
    ['entity not an object', { ...good, entity: 'ticket' }, '/entity', 'must be a JSON object'],
    ['bad time', { ...good, occurredAt: 'yesterday' }, '/occurredAt', 'must be an ISO 8601 date-time'],
    ['time without zone', { ...good, occurredAt: '2026-11-24T10:55:27' }, '/occurredAt', 'must be an ISO 8601 date-time'],
    ['unknown field', { ...good, colour: 'red' }, '/colour', 'is not a known field'],
    ['unknown entity field', { ...good, entity: { type: 't', id: '1', x: 1 } }, '/entity/x', 'is not a known field'],
    // RFC 6901: a key's `/` is `~1` and its `~` is `~0`, never a doubled or extra slash.
    ['unknown field with a slash', { ...good, 'a/b': 1 }, '/a~1b', 'is not a known field'],
    ['unknown field named /data', { ...good, '/data': 1 }, '/~1data', 'is not a known field'],
    ['unknown entity field with a tilde', { ...good, entity: { type: 't', id: '1', 'x~y': 1 } }, '/entity/x~0y', 'is not a known field'],
    ['bad type name', { ...good, type: 'has space' }, '/type', 'must be a dotted name'],
    ['previous not an object', { ...good, previous: 3 }, '/previous', 'must be a JSON object'],
  ])('refuses %s, naming the field', (_name, input, field, message) => {
    const errors = errorsOf(input);
    const hit = errors.find((e) => e.field === field);
    expect(hit, JSON.stringify(errors)).toBeDefined();
    expect(hit!.message).toContain(message);
  });

  it.each([null, [], 'x', 3])('refuses a non-object %j as a whole', (input) => {
    expect(errorsOf(input)).toEqual([{ field: '', message: 'the event must be a JSON object' }]);
  });

  it('lists every bad field at once', () => {
    const fields = errorsOf({ id: 1, type: 'a.b', action: 'nope' }).map((e) => e.field).sort();
    expect(fields).toEqual(['/account', '/action', '/entity', '/id', '/occurredAt']);
  });

  it('parseEnvelope throws a HERALD_VALIDATION error with the field list', () => {
    try {
      parseEnvelope({ ...good, action: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(isHeraldError(err, 'HERALD_VALIDATION')).toBe(true);
      expect((err as { errors: unknown[] }).errors).toEqual([{ field: '/action', message: 'must be one of new, update, delete' }]);
    }
  });
});
