import { HeraldError } from '@herald/core';

/**
 * Reading duplicate-key failures (E11000) out of what the driver and mongoose throw.
 *
 * An unordered insertMany that hits duplicates throws a MongoBulkWriteError after inserting
 * everything else. Which documents failed is only in its write errors, whose shape varies:
 * - MongoDB and mongo-java-server both answer `writeErrors: [{ index, code: 11000, errmsg }]`
 *   (mongo-java-server's carries no `keyPattern`/`keyValue`; nothing here relies on them).
 * - The driver wraps each in a WriteError whose `code`/`index` are prototype getters over `err`;
 *   mongoose then replaces each with `{ ...writeError, index }`, which keeps `err` but drops
 *   the getters, so `code` is only found at `err.code`.
 * - Older drivers put them under `result.result.writeErrors`, or give a single object.
 * So every location is read, and anything that is not clearly "these indexes were duplicates"
 * is rethrown rather than guessed at.
 */
const DUPLICATE_KEY = 11000;

interface WriteErrorLike {
  index: number;
  code: number;
}

type Loose = Record<string, unknown> | undefined;

function loose(value: unknown): Loose {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function writeErrorsOf(err: unknown): WriteErrorLike[] {
  const e = loose(err);
  const raw =
    e?.['writeErrors'] ?? loose(loose(e?.['result'])?.['result'])?.['writeErrors'] ?? loose(e?.['errorResponse'])?.['writeErrors'];
  if (raw === undefined || raw === null) return [];
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  return list.map((item) => {
    const w = loose(item);
    const inner = loose(w?.['err']);
    return { index: Number(w?.['index'] ?? inner?.['index']), code: Number(w?.['code'] ?? inner?.['code']) };
  });
}

function insertedCountOf(err: unknown): number | undefined {
  const e = loose(err);
  const count = loose(e?.['result'])?.['insertedCount'] ?? e?.['insertedCount'];
  return typeof count === 'number' ? count : undefined;
}

/** Whether `err` is a duplicate-key failure and nothing else. */
export function isDuplicateKeyError(err: unknown): boolean {
  const writeErrors = writeErrorsOf(err);
  if (writeErrors.length > 0) return writeErrors.every((w) => w.code === DUPLICATE_KEY);
  return loose(err)?.['code'] === DUPLICATE_KEY;
}

/**
 * The positions, within a batch of `attempted` documents, that an unordered insertMany refused
 * as duplicates. Rethrows `err` when it is anything else (or only partly duplicates), and
 * fails loudly when the server's counts do not add up.
 */
export function duplicateIndexes(err: unknown, attempted: number): Set<number> {
  const writeErrors = writeErrorsOf(err);
  if (writeErrors.length === 0) {
    // A duplicate with no write error list can only be placed when there was one document.
    if (attempted === 1 && loose(err)?.['code'] === DUPLICATE_KEY) return new Set([0]);
    throw err;
  }
  const valid = writeErrors.every((w) => w.code === DUPLICATE_KEY && Number.isInteger(w.index) && w.index >= 0 && w.index < attempted);
  if (!valid) throw err;
  const duplicates = new Set(writeErrors.map((w) => w.index));
  const inserted = insertedCountOf(err);
  if (inserted !== undefined && inserted !== attempted - duplicates.size) {
    throw new HeraldError(
      'HERALD_INTERNAL',
      `insertMany reported ${inserted} inserted and ${duplicates.size} duplicates out of ${attempted}`,
      { cause: err },
    );
  }
  return duplicates;
}
