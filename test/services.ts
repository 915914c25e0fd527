/** Where the real services of the integration tests listen (see test/global-setup.ts). */
export function kafkaBrokers(): string[] {
  const v = process.env.KAFKA_BROKERS;
  if (!v) throw new Error('KAFKA_BROKERS is not set');
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export function mongoUri(): string {
  const v = process.env.MONGODB_URI;
  if (!v) throw new Error('MONGODB_URI is not set');
  return v;
}

/** A name unique to this run, for topics, groups and databases that tests must not share. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
