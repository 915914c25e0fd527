import { describe, expect, it } from 'vitest';
import { schemaPath } from './schema-path.ts';

describe('schemaPath', () => {
  const schema = {
    type: 'object',
    properties: {
      priority: { type: 'string' },
      customer: { $ref: '#/$defs/customer' },
      tags: { type: 'array', items: { type: 'string' } },
      pair: { type: 'array', prefixItems: [{ type: 'object', properties: { a: {} } }], items: false },
      open: { type: 'object', additionalProperties: true },
      map: { type: 'object', additionalProperties: { type: 'object', properties: { n: { type: 'number' } } } },
      labels: { type: 'object', patternProperties: { '^x-': { type: 'string' } } },
      either: { anyOf: [{ type: 'object', properties: { a: {} } }, { type: 'object', properties: { b: {} } }] },
      loose: {},
      self: { $ref: '#' },
    },
    $defs: { customer: { type: 'object', properties: { tier: { type: 'string' } } } },
  };

  it.each([
    [['priority'], 'present'],
    [['priorty'], 'absent'],
    [['priority', 'x'], 'absent'],
    [['customer', 'tier'], 'present'],
    [['customer', 'tir'], 'absent'],
    [['tags', '3'], 'present'],
    [['tags', 'x'], 'absent'],
    [['pair', '0', 'a'], 'present'],
    [['pair', '1'], 'absent'],
    [['open', 'anything', 'below'], 'open'],
    [['map', 'k', 'n'], 'present'],
    [['map', 'k', 'm'], 'absent'],
    [['labels', 'x-team'], 'present'],
    [['labels', 'team'], 'absent'],
    [['either', 'a'], 'present'],
    [['either', 'b'], 'present'],
    [['either', 'c'], 'absent'],
    [['loose', 'x'], 'open'],
    [['self', 'self', 'priority'], 'present'],
    [['self', 'self', 'priorty'], 'absent'],
  ] as const)('%j is %s', (path, expected) => {
    expect(schemaPath(schema, path)).toBe(expected);
  });

  it('cannot say anything about an unresolvable $ref or a schema of another shape', () => {
    expect(schemaPath({ $ref: 'https://example.com/s.json' }, ['a'])).toBe('open');
    expect(schemaPath({ $ref: '#/$defs/missing' }, ['a'])).toBe('open');
    expect(schemaPath(true, ['a'])).toBe('open');
    expect(schemaPath('nonsense', ['a'])).toBe('open');
  });

  it('ends on a $ref cycle', () => {
    const cyclic = { $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } } };
    expect(schemaPath(cyclic, ['x'])).toBe('open');
  });
});
