import { describe, expect, it } from 'vitest';
import { appendPointer, escapePointerToken, jsonPointer, parseJsonPointer, schemaErrorPointer } from './json-pointer.ts';

describe('JSON Pointers (RFC 6901)', () => {
  it('escapes ~ as ~0 and / as ~1 in each token, ~ first', () => {
    expect(escapePointerToken('a/b')).toBe('a~1b');
    expect(escapePointerToken('m~n')).toBe('m~0n');
    // `~1` in a key is a tilde and a one: `~01`, not a slash.
    expect(escapePointerToken('~1')).toBe('~01');
    expect(escapePointerToken(0)).toBe('0');
  });

  it('writes the examples of RFC 6901 section 5', () => {
    expect(jsonPointer([])).toBe('');
    expect(jsonPointer(['foo'])).toBe('/foo');
    expect(jsonPointer(['foo', 0])).toBe('/foo/0');
    expect(jsonPointer([''])).toBe('/');
    expect(jsonPointer(['a/b'])).toBe('/a~1b');
    expect(jsonPointer(['m~n'])).toBe('/m~0n');
    expect(jsonPointer(['/data'])).toBe('/~1data');
  });

  it('appends escaped keys to an escaped pointer', () => {
    expect(appendPointer('', 'a/b')).toBe('/a~1b');
    expect(appendPointer('/headers', 'X~Y')).toBe('/headers/X~0Y');
    expect(appendPointer('/data/x~1y', 'z')).toBe('/data/x~1y/z');
  });

  it('reads back what it writes', () => {
    for (const tokens of [[], ['a/b', 'c~d', ''], ['~1', '/~0/'], ['data', '0']]) {
      expect(parseJsonPointer(jsonPointer(tokens))).toEqual(tokens);
    }
    expect(() => parseJsonPointer('no-slash')).toThrow(/starts with/);
  });

  it('names the property a schema error is about, escaped', () => {
    expect(schemaErrorPointer({ instancePath: '/a~1b', keyword: 'type' })).toBe('/a~1b');
    expect(schemaErrorPointer({ instancePath: '', keyword: 'required', params: { missingProperty: 'x/y' } })).toBe('/x~1y');
    expect(schemaErrorPointer({ instancePath: '/entity', keyword: 'additionalProperties', params: { additionalProperty: '/data' } })).toBe('/entity/~1data');
    expect(schemaErrorPointer({ instancePath: '/headers', keyword: 'propertyNames', params: { propertyName: 'X~Y' } })).toBe('/headers/X~0Y');
    expect(schemaErrorPointer({ instancePath: '/p', keyword: 'required', params: { missingProperty: 'q' } }, '/data')).toBe('/data/p/q');
  });
});
