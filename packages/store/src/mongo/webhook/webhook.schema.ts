import { Schema } from 'mongoose';
import type { HttpMethod, Webhook, WebhookAuth } from '@herald/core';
import { fromJsonText, toJsonText } from '../../internal/json-value.ts';
import type { StoredWebhookSecrets, WebhookSecrets } from '../../internal/webhook-secrets.ts';

/**
 * A webhook as stored in `webhooks`. The plugin settings (`auth`) and the header maps are JSON
 * text: their keys are header names and plugin-defined names, which may hold `.` or `$`.
 *
 * With an encryption key (see internal/webhook-secrets.ts) `secret` is `enc:v1:…`, `auth` holds
 * only `{"type":…}` and `sealedAuth` the other settings, encrypted. Without one, `secret` and
 * `auth` are clear and `sealedAuth` is absent.
 */
export interface WebhookDoc {
  _id: string;
  account: string;
  name: string;
  description?: string;
  url: string;
  method: HttpMethod;
  active: boolean;
  eventTypes: string[];
  projects?: string[];
  auth: string;
  headers: string;
  secret: string;
  sealedAuth?: string;
  /** The previous secrets of a rotation: JSON text, encrypted with a key. */
  previousSecrets?: string;
  /** The secret headers, name → value: JSON text, encrypted with a key; absent = none. */
  secretHeaders?: string;
  schema?: string;
  dedupWindowSeconds: number;
  retry?: { schedule: number[] };
  timeoutMs?: number;
  maxConcurrency?: number;
  rateLimitPerSecond?: number;
  disabledReason?: string;
  disabledAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const WEBHOOKS_COLLECTION = 'webhooks';

export const webhookSchema = new Schema<WebhookDoc>(
  {
    _id: { type: String },
    account: { type: String },
    name: { type: String },
    description: { type: String },
    url: { type: String },
    method: { type: String },
    active: { type: Boolean },
    // No array defaults: an absent `projects` (all projects) must not come back as [] (none).
    eventTypes: { type: [String], default: undefined },
    projects: { type: [String], default: undefined },
    auth: { type: String },
    headers: { type: String },
    secret: { type: String },
    sealedAuth: { type: String },
    previousSecrets: { type: String },
    secretHeaders: { type: String },
    schema: { type: String },
    dedupWindowSeconds: { type: Number },
    retry: { type: new Schema({ schedule: { type: [Number], default: undefined } }, { _id: false }), default: undefined },
    timeoutMs: { type: Number },
    maxConcurrency: { type: Number },
    rateLimitPerSecond: { type: Number },
    disabledReason: { type: String },
    disabledAt: { type: Date },
    createdAt: { type: Date },
    updatedAt: { type: Date },
  },
  { collection: WEBHOOKS_COLLECTION, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
);

// Every query names the account.
webhookSchema.index({ account: 1 });

/** The document of `w`, whose secrets `secrets` has sealed (`WebhookSecrets.seal`). */
export function toWebhookDoc(w: Webhook, secrets: StoredWebhookSecrets): WebhookDoc {
  const doc: WebhookDoc = {
    _id: w.id,
    account: w.account,
    name: w.name,
    url: w.url,
    method: w.method,
    active: w.active,
    eventTypes: [...w.eventTypes],
    auth: toJsonText(secrets.auth),
    headers: toJsonText(w.headers),
    secret: secrets.secret,
    dedupWindowSeconds: w.dedupWindowSeconds,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
  if (secrets.sealedAuth !== undefined) doc.sealedAuth = secrets.sealedAuth;
  if (secrets.previousSecrets !== undefined) doc.previousSecrets = secrets.previousSecrets;
  if (secrets.secretHeaders !== undefined) doc.secretHeaders = secrets.secretHeaders;
  if (w.description !== undefined) doc.description = w.description;
  if (w.projects !== undefined) doc.projects = [...w.projects];
  if (w.schema !== undefined) doc.schema = w.schema;
  if (w.retry !== undefined) doc.retry = { schedule: [...w.retry.schedule] };
  if (w.timeoutMs !== undefined) doc.timeoutMs = w.timeoutMs;
  if (w.maxConcurrency !== undefined) doc.maxConcurrency = w.maxConcurrency;
  if (w.rateLimitPerSecond !== undefined) doc.rateLimitPerSecond = w.rateLimitPerSecond;
  if (w.disabledReason !== undefined) doc.disabledReason = w.disabledReason;
  if (w.disabledAt !== undefined) doc.disabledAt = w.disabledAt;
  return doc;
}

/** The webhook of `doc`, its secrets opened with `secrets` (HERALD_CONFIG_INVALID when they cannot be). */
export function toWebhook(doc: WebhookDoc, secrets: WebhookSecrets): Webhook {
  const stored: StoredWebhookSecrets = { secret: doc.secret, auth: fromJsonText<WebhookAuth>(doc.auth) };
  if (doc.sealedAuth != null) stored.sealedAuth = doc.sealedAuth;
  if (doc.previousSecrets != null) stored.previousSecrets = doc.previousSecrets;
  if (doc.secretHeaders != null) stored.secretHeaders = doc.secretHeaders;
  const { secret, auth, previousSecrets, secretHeaders } = secrets.open({ id: doc._id, account: doc.account }, stored);
  const w: Webhook = {
    id: doc._id,
    account: doc.account,
    name: doc.name,
    url: doc.url,
    method: doc.method,
    active: doc.active,
    eventTypes: doc.eventTypes ?? [],
    auth,
    headers: fromJsonText<Record<string, string>>(doc.headers),
    secret,
    dedupWindowSeconds: doc.dedupWindowSeconds,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.description != null) w.description = doc.description;
  if (doc.projects != null) w.projects = doc.projects;
  if (doc.schema != null) w.schema = doc.schema;
  if (doc.retry != null) w.retry = { schedule: doc.retry.schedule };
  if (doc.timeoutMs != null) w.timeoutMs = doc.timeoutMs;
  if (doc.maxConcurrency != null) w.maxConcurrency = doc.maxConcurrency;
  if (doc.rateLimitPerSecond != null) w.rateLimitPerSecond = doc.rateLimitPerSecond;
  if (doc.disabledReason != null) w.disabledReason = doc.disabledReason;
  if (doc.disabledAt != null) w.disabledAt = doc.disabledAt;
  if (previousSecrets !== undefined) w.previousSecrets = previousSecrets;
  if (secretHeaders !== undefined) w.secretHeaders = secretHeaders;
  return w;
}
