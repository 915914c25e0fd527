import { z } from 'zod';
import { encryptionKey, envVars, metricsAccountLabel, parseEnv } from '@herald/runtime';

/** The matcher's configuration, from the environment (documented in the README). */
export const matcherEnvSchema = z.object({
  /** Kafka bootstrap servers, comma-separated. */
  KAFKA_BROKERS: envVars.brokers(),
  /** MongoDB connection string (the database holds webhooks and deliveries). */
  MONGODB_URI: envVars.mongoUri(),
  /** The key that encrypts webhook secrets at rest; the same as the config-api's. */
  HERALD_ENCRYPTION_KEY: encryptionKey(),
  /** Port of /healthz and /readyz. */
  HEALTH_PORT: envVars.port(8081),
  /** Interface the health server binds to. */
  HOST: envVars.host('127.0.0.1'),
  /** Prefix for every Kafka topic name (e.g. `staging.`). */
  HERALD_TOPIC_PREFIX: z.string().default(''),
  /** Partitions of the topics Herald creates. */
  HERALD_TOPIC_PARTITIONS: envVars.positiveInt(6),
  /** Consumer group of the matchers. */
  HERALD_MATCHER_GROUP: z.string().min(1).default('herald-matcher'),
  /** How long an account's configuration stays cached (backstop to herald.config). */
  HERALD_CONFIG_CACHE_TTL_MS: envVars.nonNegativeInt(30_000),
  /** Event data that fails its event type's JSON Schema: `reject` (to herald.events.dlq) or `flag` (matched anyway). */
  HERALD_EVENT_VALIDATION: z.enum(['reject', 'flag']).default('reject'),
  /** Label the per-account metrics with `account` too (cardinality: one series per account). Default false. */
  HERALD_METRICS_ACCOUNT_LABEL: metricsAccountLabel(),
  LOG_LEVEL: envVars.logLevel(),
});
export type MatcherEnv = z.infer<typeof matcherEnvSchema>;

export function readMatcherEnv(env: Record<string, string | undefined> = process.env): MatcherEnv {
  return parseEnv(matcherEnvSchema, env);
}
