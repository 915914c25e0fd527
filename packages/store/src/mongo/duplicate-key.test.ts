import { describe, expect, it } from 'vitest';
import { HeraldError } from '@herald/core';
import { duplicateIndexes, isDuplicateKeyError } from './duplicate-key.ts';

/** The driver's WriteError: `code` and `index` are getters over `err`. */
class DriverWriteError {
  constructor(readonly err: { index: number; code: number; errmsg: string }) {}
  get code(): number {
    return this.err.code;
  }
  get index(): number {
    return this.err.index;
  }
}

const dup = (index: number) => ({ index, code: 11000, errmsg: 'E11000 duplicate key error collection: db.deliveries' });

function bulkError(writeErrors: unknown, insertedCount?: number): Error {
  return Object.assign(new Error('E11000 duplicate key error'), {
    code: 11000,
    writeErrors,
    ...(insertedCount === undefined ? {} : { result: { insertedCount } }),
  });
}

describe('duplicateIndexes', () => {
  it('reads write errors as mongoose leaves them ({ ...WriteError, index }: code only under err)', () => {
    const remapped = [1, 3].map((i) => ({ ...new DriverWriteError(dup(i)), index: i }));
    expect(remapped[0]).not.toHaveProperty('code');
    expect(duplicateIndexes(bulkError(remapped, 3), 5)).toEqual(new Set([1, 3]));
  });

  it('reads the driver WriteError, a plain server reply, and the legacy result.result location', () => {
    expect(duplicateIndexes(bulkError([new DriverWriteError(dup(0))], 1), 2)).toEqual(new Set([0]));
    expect(duplicateIndexes(bulkError([dup(2)]), 3)).toEqual(new Set([2]));
    expect(duplicateIndexes(bulkError(dup(1)), 2)).toEqual(new Set([1]));
    const legacy = Object.assign(new Error('dup'), { code: 11000, result: { result: { writeErrors: [dup(0)] } } });
    expect(duplicateIndexes(legacy, 4)).toEqual(new Set([0]));
  });

  it('places a bare duplicate-key error only when one document was sent', () => {
    const bare = Object.assign(new Error('E11000'), { code: 11000 });
    expect(duplicateIndexes(bare, 1)).toEqual(new Set([0]));
    expect(() => duplicateIndexes(bare, 2)).toThrow(bare);
  });

  it('rethrows anything that is not only duplicates', () => {
    const mixed = bulkError([dup(0), { index: 1, code: 2, errmsg: 'invalid key' }]);
    expect(() => duplicateIndexes(mixed, 2)).toThrow(mixed);
    const outOfRange = bulkError([dup(5)]);
    expect(() => duplicateIndexes(outOfRange, 2)).toThrow(outOfRange);
    const network = new Error('connection reset');
    expect(() => duplicateIndexes(network, 2)).toThrow(network);
  });

  it('fails loudly when the inserted count does not add up', () => {
    let thrown: unknown;
    try {
      duplicateIndexes(bulkError([dup(0)], 3), 3);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(HeraldError);
    expect(thrown).toMatchObject({ code: 'HERALD_INTERNAL' });
  });
});

describe('isDuplicateKeyError', () => {
  it('recognises single and bulk duplicate-key errors, and nothing else', () => {
    expect(isDuplicateKeyError(Object.assign(new Error('E11000'), { code: 11000 }))).toBe(true);
    expect(isDuplicateKeyError(bulkError([{ ...new DriverWriteError(dup(0)), index: 0 }]))).toBe(true);
    expect(isDuplicateKeyError(bulkError([dup(0), { index: 1, code: 2 }]))).toBe(false);
    expect(isDuplicateKeyError(Object.assign(new Error('bad'), { code: 2 }))).toBe(false);
    expect(isDuplicateKeyError(new Error('plain'))).toBe(false);
    expect(isDuplicateKeyError('E11000')).toBe(false);
  });
});
