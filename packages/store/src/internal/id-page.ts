import type { IdPageQuery } from '../repositories.ts';
import { assertListLimit } from './list-query.ts';

/** Strings in the order MongoDB sorts them (binary, UTF-8 bytes), so both stores page alike. */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The memory stores' id-ordered pages: the items after the cursor id (whether or not it is one
 * of them), by id ascending, at most `limit`. A limit below 1 is HERALD_VALIDATION.
 */
export function idPage<T>(items: Iterable<T>, idOf: (item: T) => string, query: IdPageQuery): T[] {
  assertListLimit(query.limit);
  const { after } = query;
  const page: T[] = [];
  for (const item of items) if (after === undefined || compareIds(idOf(item), after) > 0) page.push(item);
  return page.sort((a, b) => compareIds(idOf(a), idOf(b))).slice(0, query.limit);
}
