import { z } from 'zod';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '@herald/core';
import { allowedTargets, encryptionKey, envVars, metricsAccountLabel, parseEnv } from '@herald/runtime';

/** The delivery app's configuration, from the environment (documented in the README). */
export const deliveryEnvSchema = z.object({
  /** Kafka bootstrap servers, comma-separated. */
  KAFKA_BROKERS: envVars.brokers(),
  /** MongoDB connection string. */
  MONGODB_URI: envVars.mongoUri(),
  /** The key that encrypts webhook secrets at rest; the same as the config-api's. */
  HERALD_ENCRYPTION_KEY: encryptionKey(),
  /** Port of /healthz and /readyz. */
  HEALTH_PORT: envVars.port(8082),
  HOST: envVars.host('127.0.0.1'),
  HERALD_TOPIC_PREFIX: z.string().default(''),
  HERALD_TOPIC_PARTITIONS: envVars.positiveInt(6),
  HERALD_DELIVERY_GROUP: z.string().min(1).default('herald-delivery'),
  /** Time allowed for one attempt (connect to last response byte). */
  HERALD_DELIVERY_TIMEOUT_MS: envVars.positiveInt(15_000),
  /** Response bodies are logged up to this many bytes. */
  HERALD_RESPONSE_BODY_LIMIT: envVars.positiveInt(65_536),
  /** Deliveries worked on at once, per instance (those waiting for their webhook's turn not counted). */
  HERALD_DELIVERY_CONCURRENCY: envVars.positiveInt(64),
  /** A webhook's attempts in flight at once, per instance, unless the webhook sets `maxConcurrency` (F14). */
  HERALD_WEBHOOK_CONCURRENCY: envVars.positiveInt(16),
  /**
   * Endpoint health (F14): a webhook is disabled after this many consecutive failed deliveries
   * (final status `failed`) spanning at least HERALD_DISABLE_AFTER_MS. 0 = never.
   */
  HERALD_DISABLE_AFTER_FAILURES: envVars.nonNegativeInt(10),
  /** ... the least time from the first to the last failure of that run, in ms (default 1 day). */
  HERALD_DISABLE_AFTER_MS: envVars.nonNegativeInt(86_400_000),
  /**
   * How long a webhook or payload schema is kept in memory at most, in ms: the backstop for a
   * `herald.config` notice that never arrives (a deleted or deactivated webhook gets nothing more
   * once its notice arrives, and at the latest this long after the change).
   */
  HERALD_CONFIG_CACHE_TTL_MS: envVars.positiveInt(30_000),
  /** How often the retry scheduler looks for due deliveries. */
  HERALD_RETRY_POLL_MS: envVars.positiveInt(1_000),
  /** Default retry delays in seconds, comma-separated (one entry per retry). */
  HERALD_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE_SECONDS.join(','))
    .transform((s) => s.split(',').map((x) => Number(x.trim())))
    .refine((l) => l.length > 0 && l.every((n) => Number.isFinite(n) && n >= 0), 'must be a comma-separated list of seconds'),
  /**
   * Exceptions to the SSRF guard: targets that resolve to private, loopback or link-local
   * addresses are refused unless listed here (CIDRs, IPs, host names; comma-separated).
   */
  HERALD_ALLOWED_TARGETS: allowedTargets(),
  /**
   * The delivery log's retention: a final delivery is deleted with its attempts this many days
   * after it ended (swept hourly). 0 = kept forever.
   */
  HERALD_RETENTION_DAYS: envVars.nonNegativeInt(30),
  /** Extra transport plugins to load, by package name, comma-separated. */
  HERALD_PLUGINS: envVars.plugins(),
  /** Label the per-account metrics with `account` too (cardinality: one series per account). Default false. */
  HERALD_METRICS_ACCOUNT_LABEL: metricsAccountLabel(),
  LOG_LEVEL: envVars.logLevel(),
});
export type DeliveryEnv = z.infer<typeof deliveryEnvSchema>;

export function readDeliveryEnv(env: Record<string, string | undefined> = process.env): DeliveryEnv {
  return parseEnv(deliveryEnvSchema, env);
}
