import { z } from 'zod';
import { allowedTargets, encryptionKey, envVars, metricsAccountLabel, parseEnv } from '@herald/runtime';

/** The config-api's configuration, from the environment (documented in the README). */
export const configApiEnvSchema = z.object({
  KAFKA_BROKERS: envVars.brokers(),
  MONGODB_URI: envVars.mongoUri(),
  /** Port of the HTTP API (and of /healthz, /readyz). */
  PORT: envVars.port(8080),
  /** Interface to bind; 127.0.0.1 unless you mean to expose it. */
  HOST: envVars.host('127.0.0.1'),
  /** The operator token: creates accounts, and may post events for any account. */
  HERALD_ADMIN_TOKEN: z
    .string({ error: 'is required: the operator token (at least 16 characters)' })
    .min(16, 'must be at least 16 characters'),
  /** Optional token that may only post events (for the host product). */
  HERALD_INGEST_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Largest request body accepted, in bytes. */
  HERALD_MAX_BODY_BYTES: envVars.positiveInt(1_048_576),
  /** Event data that fails its event type's JSON Schema: `reject` (400) or `flag` (accepted, marked). */
  HERALD_EVENT_VALIDATION: z.enum(['reject', 'flag']).default('reject'),
  /** 32 bytes, base64 or hex: encrypts webhook secrets and auth settings at rest (AES-256-GCM). */
  HERALD_ENCRYPTION_KEY: encryptionKey(),
  /** Extra transport plugins, by package name (their config schemas validate webhooks' auth). */
  HERALD_PLUGINS: envVars.plugins(),
  /**
   * The Test button (F6) sends from the config-api, through the same SSRF guard as the delivery
   * app: its exceptions (CIDRs, IPs, host names; comma-separated), as the delivery app's.
   */
  HERALD_ALLOWED_TARGETS: allowedTargets(),
  /** Time allowed for a Test button attempt, as for a delivery (a webhook's own `timeoutMs` wins). */
  HERALD_DELIVERY_TIMEOUT_MS: envVars.positiveInt(15_000),
  /** A Test button answer's response body is kept up to this many bytes. */
  HERALD_RESPONSE_BODY_LIMIT: envVars.positiveInt(65_536),
  /** The web console's built files (apps/console/dist), served at /console; empty = no console. */
  HERALD_CONSOLE_DIR: z.string().default(''),
  HERALD_TOPIC_PREFIX: z.string().default(''),
  HERALD_TOPIC_PARTITIONS: envVars.positiveInt(6),
  /**
   * A scrape-only token: it may read GET /metrics (as the operator token may) and nothing else.
   * Give it to Prometheus (`authorization: { credentials: ... }`) instead of the operator token.
   */
  HERALD_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Label the per-account metrics with `account` too (cardinality: one series per account). Default false. */
  HERALD_METRICS_ACCOUNT_LABEL: metricsAccountLabel(),
  LOG_LEVEL: envVars.logLevel(),
});
export type ConfigApiEnv = z.infer<typeof configApiEnvSchema>;

export function readConfigApiEnv(env: Record<string, string | undefined> = process.env): ConfigApiEnv {
  return parseEnv(configApiEnvSchema, env);
}
