import { HeraldError, validateEnvelope, type DeliveryJob } from '@herald/core';

/** Checks a job read from `herald.deliveries`; throws HERALD_VALIDATION naming what is wrong. */
export function parseDeliveryJob(value: unknown): DeliveryJob {
  const v = value as Partial<DeliveryJob> | null;
  const problems: { field: string; message: string }[] = [];
  if (typeof v !== 'object' || v === null) throw HeraldError.validation('A delivery job must be an object', [{ field: '', message: 'must be a JSON object' }]);
  for (const f of ['deliveryId', 'account', 'webhookId', 'createdAt'] as const) {
    if (typeof v[f] !== 'string' || v[f] === '') problems.push({ field: `/${f}`, message: 'must be a non-empty string' });
  }
  if (v.schemaId !== null && typeof v.schemaId !== 'string') problems.push({ field: '/schemaId', message: 'must be a string or null' });
  if (v.dedupWindowSeconds !== undefined && !(Number.isSafeInteger(v.dedupWindowSeconds) && v.dedupWindowSeconds >= 0)) {
    problems.push({ field: '/dedupWindowSeconds', message: 'must be a whole number of seconds, 0 or more' });
  }
  const env = validateEnvelope(v.event);
  if (!env.ok) problems.push(...env.errors.map((e) => ({ field: `/event${e.field}`, message: e.message })));
  else if (env.value.account !== v.account) problems.push({ field: '/account', message: 'must be the account of the event' });
  if (problems.length > 0) {
    throw HeraldError.validation(`Invalid delivery job: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
  }
  return v as DeliveryJob;
}
