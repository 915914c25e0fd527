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
