import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { HeraldError, type Webhook } from '@herald/core';
import { newSigningSecret } from '@herald/transport';

const webhookSeed = z.strictObject({
  id: z.string().min(1),
  account: z.string().min(1),
  name: z.string().min(1),
  description: z.string().optional(),
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  active: z.boolean().default(true),
  eventTypes: z.array(z.string().min(1)).default([]),
  projects: z.array(z.string().min(1)).optional(),
  auth: z.looseObject({ type: z.string().min(1) }).default({ type: 'none' }),
  headers: z.record(z.string(), z.string()).default({}),
  secret: z.string().startsWith('whsec_').optional(),
  dedupWindowSeconds: z.number().int().min(0).default(60),
  retry: z.strictObject({ schedule: z.array(z.number().min(0)).min(1) }).optional(),
  // The same bounds as the config API's (openapi.yaml: TimeoutMs, WebhookMaxConcurrency, WebhookRateLimit).
  timeoutMs: z.number().int().min(1_000).max(60_000).optional(),
  maxConcurrency: z.number().int().min(1).max(100).optional(),
  rateLimitPerSecond: z.number().int().min(1).max(10_000).optional(),
});

const seedFile = z.strictObject({ webhooks: z.array(webhookSeed) });

/**
 * Reads a fixture file of webhooks (`{ "webhooks": [...] }`) until the config API manages
 * them. Missing secrets are generated; errors name the file, the entry and the field.
 */
export async function readSeedFile(path: string): Promise<Webhook[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_SEED_FILE ${path} cannot be read as JSON: ${(err as Error).message}`);
  }
  const r = seedFile.safeParse(raw);
  if (!r.success) {
    const errors = r.error.issues.map((i) => ({ field: '/' + i.path.join('/'), message: i.message }));
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_SEED_FILE ${path} is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { errors });
  }
  const now = new Date();
  return r.data.webhooks.map((w) => {
    const { secret, ...rest } = w;
    return { ...rest, secret: secret ?? newSigningSecret(), createdAt: now, updatedAt: now } as Webhook;
  });
}
