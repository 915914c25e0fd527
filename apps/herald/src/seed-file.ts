import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { HeraldError, type Webhook } from '@herald/core';
import type { Account, EventType, Store } from '@herald/store';
import { newSigningSecret } from '@herald/transport';

// The same rules as the config API's (openapi.yaml: AccountId, WebhookId, EventTypeName).
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const accountId = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be an account id (letters, digits, and _ . : - after the first)');
const eventTypeName = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be an event type name (letters, digits, and _ . : - after the first)');

const accountSeed = z.strictObject({
  id: accountId,
  name: z.string().min(1).max(200),
  webhooksEnabled: z.boolean().default(true),
});

const eventTypeSeed = z.strictObject({
  name: eventTypeName,
  description: z.string().max(2000).default(''),
  schema: z.record(z.string(), z.unknown()).optional(),
  example: z.record(z.string(), z.unknown()).optional(),
});

const webhookSeed = z.strictObject({
  id: z.string().regex(new RegExp(`^wh_${ULID}$`), 'must be a webhook id: wh_ and a ULID (26 characters of 0-9, A-Z without I, L, O, U)'),
  account: accountId,
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

const seedFile = z.strictObject({
  accounts: z.array(accountSeed).default([]),
  eventTypes: z.array(eventTypeSeed).default([]),
  webhooks: z.array(webhookSeed).default([]),
});

export interface Seed {
  accounts: Account[];
  eventTypes: EventType[];
  webhooks: Webhook[];
  /** Ids of the webhooks left out because they use a variable that is not set (`omitUnset`). */
  omitted: string[];
}

export interface SeedOptions {
  /**
   * Leave out (and list in `omitted`) the webhooks that use a variable that is not set, instead
   * of failing: `herald dev` with its demo receiver off leaves out the demo receiver's webhook.
   */
  omitUnset?: boolean;
}

/** `${NAME}` in a seed file's strings: replaced by `vars[NAME]`. */
const VARIABLE = /\$\{([A-Z][A-Z0-9_]*)\}/g;

function substitute(value: unknown, vars: Record<string, string | undefined>, path: string, unknownVars: { field: string; name: string }[]): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) {
        unknownVars.push({ field: path, name });
        return whole;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, vars, `${path}/${i}`, unknownVars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, unknownVars)]));
  }
  return value;
}

/**
 * Reads a seed file: `{ "accounts": [...], "eventTypes": [...], "webhooks": [...] }` (each list
 * optional). `${NAME}` in a string is replaced by the variable `vars` gives (e.g.
 * `${HERALD_DEV_RECEIVER_URL}`, which `herald dev` sets to its demo receiver); an unknown name is
 * an error. Missing secrets are generated; errors name the file, the entry and the field.
 */
export async function readSeedFile(path: string, vars: Record<string, string | undefined> = {}, options: SeedOptions = {}): Promise<Seed> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_SEED_FILE ${path} cannot be read as JSON: ${(err as Error).message}`);
  }
  const omitted: string[] = [];
  if (options.omitUnset && raw && typeof raw === 'object' && Array.isArray((raw as { webhooks?: unknown }).webhooks)) {
    const webhooks = (raw as { webhooks: unknown[] }).webhooks.filter((w) => {
      const unset: { field: string; name: string }[] = [];
      substitute(w, vars, '', unset);
      if (unset.length === 0) return true;
      omitted.push(String((w as { id?: unknown })?.id ?? '?'));
      return false;
    });
    raw = { ...raw, webhooks };
  }
  const unknownVars: { field: string; name: string }[] = [];
  raw = substitute(raw, vars, '', unknownVars);
  if (unknownVars.length > 0) {
    const errors = unknownVars.map((u) => ({ field: u.field, message: `uses \${${u.name}}, which is not set here${u.name === 'HERALD_DEV_RECEIVER_URL' ? ' (only `herald dev` with its demo receiver on sets it)' : ''}` }));
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_SEED_FILE ${path} is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { errors });
  }
  const r = seedFile.safeParse(raw);
  if (!r.success) {
    const errors = r.error.issues.map((i) => ({ field: '/' + i.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/'), message: i.message }));
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_SEED_FILE ${path} is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { errors });
  }
  const now = new Date();
  return {
    accounts: r.data.accounts.map((a) => ({ ...a, createdAt: now, updatedAt: now })),
    eventTypes: r.data.eventTypes.map((t) => ({ ...t, archived: false, createdAt: now, updatedAt: now }) as EventType),
    webhooks: r.data.webhooks.map((w) => {
      const { secret, ...rest } = w;
      return { ...rest, secret: secret ?? newSigningSecret(), createdAt: now, updatedAt: now } as Webhook;
    }),
    omitted,
  };
}

/**
 * Writes a seed into a store: accounts and event types that do not exist yet are created (ones
 * that exist are left as they are, so a restart keeps changes made through the API); webhooks are
 * upserted by id.
 */
export async function applySeed(store: Store, seed: Seed): Promise<{ accounts: number; eventTypes: number; webhooks: number }> {
  let accounts = 0;
  let eventTypes = 0;
  for (const a of seed.accounts) {
    if (await store.accounts.get(a.id)) continue;
    await store.accounts.create(a);
    accounts++;
  }
  for (const t of seed.eventTypes) {
    if (await store.eventTypes.get(t.name)) continue;
    await store.eventTypes.create(t);
    eventTypes++;
  }
  for (const w of seed.webhooks) await store.webhooks.upsert(w);
  return { accounts, eventTypes, webhooks: seed.webhooks.length };
}
