import { HeraldError } from '@herald/core';

/** Both stores accept the same list limits: a whole number from 1 up. */
export function assertListLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw HeraldError.validation('Invalid list limit', [{ field: '/limit', message: 'must be a whole number of at least 1' }]);
  }
}

/** The `after` cursor names no delivery of the account (unknown, or another account's). */
export function unknownCursorError(): HeraldError {
  return HeraldError.validation('Invalid cursor', [{ field: '/after', message: 'is not a delivery of this account' }]);
}

/** `since`, `until` and retention cutoffs must be real instants: an invalid Date fails with HERALD_VALIDATION. */
export function assertValidDate(field: string, d: Date | undefined): void {
  if (d !== undefined && !(d instanceof Date && Number.isFinite(d.getTime()))) {
    throw HeraldError.validation('Invalid date', [{ field: `/${field}`, message: 'must be a valid date' }]);
  }
}

/** The delivery list's filters that both stores check before querying. */
export function assertDeliveryListQuery(query: { limit: number; since?: Date; until?: Date }): void {
  assertListLimit(query.limit);
  assertValidDate('since', query.since);
  assertValidDate('until', query.until);
}
