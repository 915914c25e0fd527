import { describe, expect, it } from 'vitest';
import { lineColumn } from './text-position.ts';

describe('line and column of an offset', () => {
  it.each([
    ['abc', 0, 1, 1],
    ['abc', 2, 1, 3],
    ['abc', 3, 1, 4],
    ['a\nbc', 2, 2, 1],
    ['a\nbc', 3, 2, 2],
    ['a\n\n\nx', 4, 4, 1],
    ['😀x', 2, 1, 2],
    ['a\r\nb', 3, 2, 1],
    ['ab', 99, 1, 3],
  ])('%j at %i is line %i, column %i', (text, offset, line, column) => {
    expect(lineColumn(text, offset)).toEqual({ line, column });
  });
});
