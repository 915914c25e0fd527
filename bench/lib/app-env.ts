import type { Services } from './services.ts';

/**
 * The environment of Herald's apps in a benchmark run named `name`: the run's own topic prefix,
 * consumer groups and database (so runs never see each other's data), loopback targets allowed
 * (the receivers run on 127.0.0.1), warnings only; `extra` on top.
 */
export function benchAppEnv(name: string, services: Services, encryptionKey: Buffer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: services.kafkaBrokers,
    MONGODB_URI: `${services.mongoUri.replace(/\/+$/, '')}/${benchDbName(name)}`,
    HERALD_ENCRYPTION_KEY: encryptionKey.toString('hex'),
    HERALD_TOPIC_PREFIX: `${name}.`,
    HERALD_TOPIC_PARTITIONS: '6',
    HERALD_MATCHER_GROUP: `${name}-matcher`,
    HERALD_DELIVERY_GROUP: `${name}-delivery`,
    HERALD_ALLOWED_TARGETS: '127.0.0.1/32',
    HERALD_DELIVERY_CONCURRENCY: process.env.BENCH_DELIVERY_CONCURRENCY ?? '256',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The database of a run named `name`. */
export function benchDbName(name: string): string {
  return name.replace(/-/g, '_');
}
