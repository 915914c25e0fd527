import { FINAL_DELIVERY_STATUSES, HeraldError, type DeliveryStatus } from '@herald/core';
import type { RequeueQuery } from '../repositories.ts';
import { assertValidDate } from './list-query.ts';

const FINAL: ReadonlySet<DeliveryStatus> = new Set(FINAL_DELIVERY_STATUSES);

/** Whether a delivery in this status may be requeued (resend, replay): only a final one. */
export function isFinalStatus(status: DeliveryStatus): boolean {
  return FINAL.has(status);
}

/** The checks both stores make on a replay's query before touching anything. */
export function assertRequeueQuery(query: RequeueQuery): void {
  if (!(query.since instanceof Date)) throw HeraldError.validation('Invalid replay', [{ field: '/since', message: 'is required' }]);
  assertValidDate('since', query.since);
  assertValidDate('until', query.until);
  const errors = query.statuses
    .map((s, i) => (FINAL.has(s) ? null : { field: `/statuses/${i}`, message: `must be a final status (${FINAL_DELIVERY_STATUSES.join(', ')})` }))
    .filter((e): e is { field: string; message: string } => e !== null);
  if (errors.length > 0) throw HeraldError.validation('Invalid replay', errors);
}
