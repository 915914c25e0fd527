import { describe, expect, it } from 'vitest';
import { isoInstant, jsonEqual } from './values.ts';

describe('isoInstant', () => {
  it.each([
    ['2026-11-24', Date.UTC(2026, 10, 24)],
    ['2026-11-24T10:55:27Z', Date.UTC(2026, 10, 24, 10, 55, 27)],
    ['2026-11-24T10:55:27.250Z', Date.UTC(2026, 10, 24, 10, 55, 27, 250)],
    ['2026-11-24T11:55:27+01:00', Date.UTC(2026, 10, 24, 10, 55, 27)],
    ['2026-11-24T05:25:27-0530', Date.UTC(2026, 10, 24, 10, 55, 27)],
    ['2026-11-24T10:55', Date.UTC(2026, 10, 24, 10, 55)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2026-11-24t10:55:27z', Date.UTC(2026, 10, 24, 10, 55, 27)],
    ['2026-11-24T10:55:27.5+01:00', Date.UTC(2026, 10, 24, 9, 55, 27, 500)],
    ['0099-01-01', new Date('0099-01-01T00:00:00Z').getTime()],
  ])('%s', (text, expected) => {
    expect(isoInstant(text)).toBe(expected);
  });

  it('keeps sub-millisecond fractions, so close instants still compare', () => {
    expect(isoInstant('2026-11-24T10:55:27.123456789Z')).toBeCloseTo(Date.UTC(2026, 10, 24, 10, 55, 27, 123) + 0.456789, 3);
    expect(isoInstant('2026-11-24T10:55:27.0001Z')!).toBeGreaterThan(isoInstant('2026-11-24T10:55:27Z')!);
  });

  it.each([
    '2026-02-29',
    '2100-02-29',
    '2026-13-01',
    '2026-11-24T10:5',
    '2026-11-24T10',
    '2026-11-24T10:55:27+01',
    '2026-11-24T10:55:27+01:0',
    '2026-11-24T10:55:27.Z',
    '2026-11-24T10:55:27Zx',
    '2026-11-24T10:55:27.1234567890Z',
    '2026-11-24x',
    '2026-1-24',
    '+2026-11-24', '2026-11-24T24:00:00Z', '2026-11-24 10:55:27Z', 'Tue, 24 Nov 2026', '1732445727', '', 'high'])(
    'refuses %j',
    (text) => {
      expect(isoInstant(text)).toBeUndefined();
    },
  );

  it('agrees with Date.parse on the formats both read', () => {
    for (const text of ['1970-01-01T00:00:00Z', '1999-12-31T23:59:59.999Z', '2026-03-29T02:30:00+02:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00', '1900-02-28']) {
      expect(isoInstant(text), text).toBe(Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text));
    }
  });

  it('refuses what is not a string', () => {
    expect(isoInstant(1732445727000)).toBeUndefined();
    expect(isoInstant(new Date())).toBeUndefined();
    expect(isoInstant(null)).toBeUndefined();
  });
});

describe('jsonEqual', () => {
  it('compares as JSON: no coercion, structure by value', () => {
    expect(jsonEqual(1, 1)).toBe(true);
    expect(jsonEqual(1, '1')).toBe(false);
    expect(jsonEqual(null, undefined)).toBe(false);
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [1, 2, 3])).toBe(false);
  });

  it('is false, not a stack overflow, for structures deeper than 64 levels', () => {
    let a: unknown = 1;
    let b: unknown = 1;
    for (let i = 0; i < 10_000; i++) {
      a = [a];
      b = [b];
    }
    expect(jsonEqual(a, b)).toBe(false);
    expect(jsonEqual([[[1]]], [[[1]]])).toBe(true);
  });
});
