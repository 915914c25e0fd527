/**
 * Whether a kafkajs error is of one of `types` (its `type`, e.g. `TOPIC_ALREADY_EXISTS`): the
 * error itself, every error of an aggregate (kafkajs gathers one per topic), or what it wraps
 * (`cause`, as a retrier's "number of retries exceeded" does).
 */
export function isKafkaErrorOf(err: unknown, types: ReadonlySet<string>): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { type?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.type === 'string' && types.has(e.type)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every((x) => isKafkaErrorOf(x, types));
  return e.cause !== undefined && e.cause !== err && isKafkaErrorOf(e.cause, types);
}
