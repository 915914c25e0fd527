import type { Attempt, Delivery, Webhook } from '@herald/core';
import type { Account, ApiKey, EventType } from '../entities.ts';
import { jsonCopy } from '../internal/json-value.ts';

// Deep copies in and out of the memory store, so that callers never share objects with its
// state. They keep exactly the fields of the core types (as the MongoDB mapping does), leave
// absent optional fields absent, and pass free-form JSON through JSON as MongoDB does.

function date(d: Date): Date {
  return new Date(d.getTime());
}

function dateOrNull(d: Date | null): Date | null {
  return d === null ? null : date(d);
}

export function copyDelivery(d: Delivery): Delivery {
  const out: Delivery = {
    id: d.id,
    account: d.account,
    webhookId: d.webhookId,
    schemaId: d.schemaId,
    eventId: d.eventId,
    eventType: d.eventType,
    entity: { type: d.entity.type, id: d.entity.id },
    event: jsonCopy(d.event),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: dateOrNull(d.nextAttemptAt),
    leaseUntil: dateOrNull(d.leaseUntil),
    createdAt: date(d.createdAt),
    updatedAt: date(d.updatedAt),
  };
  if (d.lastError !== undefined) out.lastError = d.lastError;
  if (d.suppressedBy !== undefined) out.suppressedBy = d.suppressedBy;
  if (d.test === true) out.test = true;
  if (d.attemptLimit !== undefined) out.attemptLimit = d.attemptLimit;
  return out;
}

export function copyAttempt(a: Attempt): Attempt {
  const out: Attempt = {
    id: a.id,
    account: a.account,
    deliveryId: a.deliveryId,
    webhookId: a.webhookId,
    number: a.number,
    startedAt: date(a.startedAt),
    durationMs: a.durationMs,
    request: { url: a.request.url, method: a.request.method, headers: jsonCopy(a.request.headers), body: a.request.body },
    success: a.success,
  };
  if (a.response !== undefined) {
    out.response = {
      status: a.response.status,
      headers: jsonCopy(a.response.headers),
      body: a.response.body,
      truncated: a.response.truncated,
    };
  }
  if (a.error !== undefined) out.error = { class: a.error.class, message: a.error.message };
  return out;
}

export function copyWebhook(w: Webhook): Webhook {
  const out: Webhook = {
    id: w.id,
    account: w.account,
    name: w.name,
    url: w.url,
    method: w.method,
    active: w.active,
    eventTypes: [...w.eventTypes],
    auth: jsonCopy(w.auth),
    headers: jsonCopy(w.headers),
    secret: w.secret,
    dedupWindowSeconds: w.dedupWindowSeconds,
    createdAt: date(w.createdAt),
    updatedAt: date(w.updatedAt),
  };
  if (w.description !== undefined) out.description = w.description;
  if (w.projects !== undefined) out.projects = [...w.projects];
  if (w.schema !== undefined) out.schema = w.schema;
  if (w.retry !== undefined) out.retry = { schedule: [...w.retry.schedule] };
  if (w.timeoutMs !== undefined) out.timeoutMs = w.timeoutMs;
  if (w.maxConcurrency !== undefined) out.maxConcurrency = w.maxConcurrency;
  if (w.rateLimitPerSecond !== undefined) out.rateLimitPerSecond = w.rateLimitPerSecond;
  if (w.disabledReason !== undefined) out.disabledReason = w.disabledReason;
  if (w.disabledAt !== undefined) out.disabledAt = date(w.disabledAt);
  if (w.secretHeaders !== undefined) out.secretHeaders = jsonCopy(w.secretHeaders);
  if (w.previousSecrets !== undefined) out.previousSecrets = w.previousSecrets.map((p) => ({ secret: p.secret, expiresAt: date(p.expiresAt) }));
  return out;
}

export function copyAccount(a: Account): Account {
  return { id: a.id, name: a.name, webhooksEnabled: a.webhooksEnabled, createdAt: date(a.createdAt), updatedAt: date(a.updatedAt) };
}

export function copyApiKey(k: ApiKey): ApiKey {
  return {
    id: k.id,
    account: k.account,
    name: k.name,
    role: k.role,
    hash: k.hash,
    prefix: k.prefix,
    createdAt: date(k.createdAt),
    revokedAt: dateOrNull(k.revokedAt),
    lastUsedAt: dateOrNull(k.lastUsedAt),
  };
}

export function copyEventType(t: EventType): EventType {
  const out: EventType = {
    name: t.name,
    description: t.description,
    archived: t.archived,
    createdAt: date(t.createdAt),
    updatedAt: date(t.updatedAt),
  };
  if (t.schema !== undefined) out.schema = jsonCopy(t.schema);
  if (t.example !== undefined) out.example = jsonCopy(t.example);
  return out;
}
