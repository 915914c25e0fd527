import { z } from 'zod';
import { HeraldError } from '@herald/core';
import { parseAllowedTargets } from '@herald/transport';

/**
 * Parses the environment once at start-up against a zod schema. A bad or missing variable
 * stops the process with a message naming each variable and what is wrong with it.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ field: String(i.path[0] ?? ''), message: i.message }));
  throw new HeraldError(
    'HERALD_CONFIG_INVALID',
    `Invalid configuration: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    { errors },
  );
}

/** Common variable shapes. */
export const envVars = {
  port: (dflt: number) => z.coerce.number().int().min(0).max(65535).default(dflt),
  host: (dflt: string) => z.string().min(1).default(dflt),
  positiveInt: (dflt: number) => z.coerce.number().int().positive().default(dflt),
  nonNegativeInt: (dflt: number) => z.coerce.number().int().min(0).default(dflt),
  brokers: () =>
    z
      .string({ error: 'is required (comma-separated host:port list, e.g. 127.0.0.1:9092)' })
      .min(1, 'is required (comma-separated host:port list, e.g. 127.0.0.1:9092)')
      .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
      .refine((l) => l.every((b) => /^[^:\s]+:\d+$/.test(b)), 'must be a comma-separated list of host:port'),
  mongoUri: () =>
    z
      .string({ error: 'is required (e.g. mongodb://127.0.0.1:27017/herald)' })
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** HERALD_PLUGINS: extra transport plugins, comma-separated package names or paths (empty = none). */
  plugins: () =>
    z
      .string()
      .default('')
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  /** A yes/no setting: `true`/`false` (also `1`/`0`, `yes`/`no`, any case); anything else stops start-up naming it. */
  flag: (dflt: boolean) =>
    z
      .string()
      .default(String(dflt))
      .transform((s, ctx) => {
        const v = s.trim().toLowerCase();
        if (['true', '1', 'yes'].includes(v)) return true;
        if (['false', '0', 'no', ''].includes(v)) return false;
        ctx.addIssue({ code: 'custom', message: `must be true or false, not "${s}"` });
        return z.NEVER;
      }),
};

/**
 * HERALD_METRICS_ACCOUNT_LABEL: label the per-account metrics (deliveries, attempts, matcher
 * events, API requests) with `account` too. Default false: one series per account is a
 * cardinality the operator opts into.
 */
export function metricsAccountLabel() {
  return envVars.flag(false);
}

/**
 * HERALD_ALLOWED_TARGETS: the exceptions to the SSRF guard (F15), comma-separated CIDRs, IPs and
 * host names; a bad entry stops start-up naming it. `dflt` is the value when the variable is unset.
 */
export function allowedTargets(dflt = '') {
  return z
    .string()
    .default(dflt)
    .transform((s, ctx) => {
      try {
        return parseAllowedTargets(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });
}

/**
 * HERALD_ENCRYPTION_KEY: 32 bytes as 64 hex characters or base64. Required: webhook secrets
 * and auth settings are encrypted at rest with it, and the same key must be given to every app.
 */
export function encryptionKey() {
  return z
    .string({ error: 'is required: 32 random bytes as hex or base64 (e.g. `openssl rand -hex 32`)' })
    .transform((s, ctx) => {
      const buf = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
      if (buf.length !== 32) {
        ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)' });
        return z.NEVER;
      }
      return buf;
    });
}
