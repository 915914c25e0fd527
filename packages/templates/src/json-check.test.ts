import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxProblem } from './json-check.ts';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('JSON well-formedness with a position', () => {
  it.each([
    '{}',
    '[]',
    ' {"a": [1, -2.5e+3, 0, 0.1, 1E5, true, false, null, "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"]} ',
    '"just a string"',
    '42',
    '{"a":{"b":{"c":[[[]]]}}}',
    '{"ünï": "ćødé 😀"}',
  ])('accepts %j', (text) => {
    expect(findJsonSyntaxProblem(text)).toBeNull();
  });

  it.each([
    ['', 0, 'the document is empty'],
    ['  \n ', 4, 'the document is empty'],
    ['{"a": }', 6, 'unexpected "}", expected a value'],
    ['{"a": 1,}', 8, 'unexpected "}", expected a property name in double quotes'],
    ['{"a" 1}', 5, 'unexpected "1", expected ":" after a property name'],
    ['{"a": 1 "b": 2}', 8, 'unexpected """, expected "," or "}"'],
    ['[1 2]', 3, 'unexpected "2", expected "," or "]"'],
    ['[1,]', 3, 'unexpected "]", expected a value'],
    ['{"a": "x\ny"}', 8, 'character U+000A must be escaped inside a string'],
    ['"\\x"', 1, 'invalid escape in a string'],
    ['"\\u12g4"', 1, 'invalid \\u escape in a string'],
    ['"abc', 4, 'unterminated string'],
    ['{"a": 1', 7, 'unexpected end of the document'],
    ['{} {}', 3, 'unexpected "{" after the end of the document'],
    ['01', 1, 'unexpected "1" after the end of the document'],
    ['-', 0, 'invalid number'],
    ['1.', 1, 'unexpected "." after the end of the document'],
    ['tru', 0, 'unexpected "t", expected a value'],
    ["{'a': 1}", 1, 'unexpected "\'", expected a property name in double quotes'],
    ['{"title": "He said "hi""}', 20, 'unexpected "h", expected "," or "}"'],
  ])('rejects %j at offset %i: %s', (text, offset, message) => {
    expect(parses(text)).toBe(false);
    expect(findJsonSyntaxProblem(text)).toEqual({ offset, message });
  });

  it('handles deep nesting without overflowing the stack', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(findJsonSyntaxProblem(deep)).toBeNull();
    expect(findJsonSyntaxProblem(deep.slice(0, -1))).toEqual({ offset: 399_999, message: 'unexpected end of the document' });
  });

  it('agrees with JSON.parse on generated documents and their mutations', () => {
    const alphabet = fc.constantFrom(...'{}[],:"\\ \n\t-+.0123456789eEtrufalsn\u0001é😀'.split(''));
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.nat(), fc.string({ unit: alphabet, maxLength: 3 }))
      .map(([json, at, cut, insert]) => {
        const i = at % (json.length + 1);
        return json.slice(0, i) + insert + json.slice(i + (cut % 3));
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), mutated, fc.string({ unit: alphabet, maxLength: 12 })), (text) => {
        expect(findJsonSyntaxProblem(text) === null).toBe(parses(text));
      }),
      { numRuns: 5000 },
    );
  });
});
