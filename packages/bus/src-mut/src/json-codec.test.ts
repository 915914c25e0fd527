import { isHeraldError } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from './json-codec.ts';

describe('json codec', () => {
  it('round-trips a value through UTF-8 JSON bytes', () => {
    const value = { id: 'evt_1', data: { name: 'Bjørn', tags: ['a', 'b'], n: 1.5, ok: true, none: null } };
    const encoded = encodeJson(value);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect(encoded.toString('utf8')).toBe(JSON.stringify(value));
    expect(decodeJson(encoded)).toEqual(value);
  });

  it('decodes a string as well as a Buffer', () => {
    expect(decodeJson('[1,"two"]')).toEqual([1, 'two']);
  });

  it('throws HERALD_VALIDATION with the reason for a value that is not JSON', () => {
    let thrown: unknown;
    try {
      decodeJson(Buffer.from('{"id":'));
    } catch (err) {
      thrown = err;
    }
    expect(isHeraldError(thrown, 'HERALD_VALIDATION')).toBe(true);
    const errors = (thrown as { errors: Array<{ field: string; message: string }> }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.field).toBe('');
    expect(errors[0]!.message).toMatch(/^is not valid JSON: /);
  });
});
