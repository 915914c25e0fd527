import type { Attempt, Delivery, PayloadSchema, RuleGroup, Webhook } from '@herald/core';
import type { Account, ApiKey, EventType } from '@herald/store';
import { ALWAYS_SECRET_HEADERS, MASK, maskConfig, maskHeaders, type PluginRegistry } from '@herald/transport';

const iso = (d: Date) => d.toISOString();

export function presentAccount(a: Account) {
  return { id: a.id, name: a.name, webhooksEnabled: a.webhooksEnabled, createdAt: iso(a.createdAt), updatedAt: iso(a.updatedAt) };
}

export function presentApiKey(k: ApiKey) {
  return {
    id: k.id, account: k.account, name: k.name, role: k.role, prefix: k.prefix, createdAt: iso(k.createdAt),
    revokedAt: k.revokedAt ? iso(k.revokedAt) : null, lastUsedAt: k.lastUsedAt ? iso(k.lastUsedAt) : null,
  };
}

export function presentEventType(t: EventType) {
  return {
    name: t.name, description: t.description, ...(t.schema ? { schema: t.schema } : {}), ...(t.example ? { example: t.example } : {}),
    archived: t.archived, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt),
  };
}

/** The auth settings with the plugin's secret fields masked. */
export function maskAuth(auth: Webhook['auth'], plugins: PluginRegistry): Webhook['auth'] {
  let secretFields: string[];
  try {
    secretFields = plugins.get(auth.type).secretFields;
  } catch {
    // A plugin that is no longer installed: mask everything but the type.
    secretFields = Object.keys(auth).filter((k) => k !== 'type');
  }
  return maskConfig(auth, secretFields);
}

export function presentWebhook(w: Webhook, plugins: PluginRegistry) {
  const headers = Object.fromEntries(Object.entries(w.headers).map(([k, v]) => [k, ALWAYS_SECRET_HEADERS.includes(k.toLowerCase()) ? MASK : v]));
  return {
    id: w.id, name: w.name, description: w.description ?? '', url: w.url, method: w.method, active: w.active,
    eventTypes: w.eventTypes, ...(w.projects ? { projects: w.projects } : {}), auth: maskAuth(w.auth, plugins), headers,
    ...(w.secretHeaders && Object.keys(w.secretHeaders).length > 0 ? { secretHeaders: maskConfig(w.secretHeaders, Object.keys(w.secretHeaders)) } : {}),
    secret: 'whsec_********', ...(w.schema ? { schema: w.schema } : {}), dedupWindowSeconds: w.dedupWindowSeconds,
    ...(w.retry ? { retry: w.retry } : {}), ...(w.timeoutMs !== undefined ? { timeoutMs: w.timeoutMs } : {}),
    ...(w.maxConcurrency !== undefined ? { maxConcurrency: w.maxConcurrency } : {}),
    ...(w.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: w.rateLimitPerSecond } : {}),
    ...(w.disabledReason !== undefined ? { disabledReason: w.disabledReason } : {}), ...(w.disabledAt ? { disabledAt: iso(w.disabledAt) } : {}),
    createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt),
  };
}

export function presentSchema(s: PayloadSchema) {
  return {
    id: s.id, name: s.name, description: s.description ?? '', contentType: s.contentType, body: s.body, strict: s.strict,
    eventTypes: s.eventTypes, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt),
  };
}

export function presentRuleGroup(g: RuleGroup) {
  return {
    id: g.id, name: g.name, ...(g.position !== undefined ? { position: g.position } : {}), active: g.active,
    rules: g.rules.map((r) => ({
      id: r.id, ...(r.name !== undefined ? { name: r.name } : {}), ...(r.eventTypes !== undefined ? { eventTypes: r.eventTypes } : {}),
      match: r.match, conditions: r.conditions, stopRules: r.stopRules, stopGroups: r.stopGroups, actions: r.actions,
    })),
    createdAt: iso(g.createdAt), updatedAt: iso(g.updatedAt),
  };
}

/** A page of `limit` items from `limit + 1` read, with the cursor of the next page. */
export function pageOf<T, P>(items: T[], limit: number, cursorOf: (t: T) => string, present: (t: T) => P): { data: P[]; nextCursor: string | null } {
  const more = items.length > limit;
  const page = more ? items.slice(0, limit) : items;
  return { data: page.map(present), nextCursor: more && page.length > 0 ? cursorOf(page[page.length - 1]!) : null };
}

/** A delivery as the log lists it: dates as ISO strings, the lease bookkeeping left out. */
export function presentDelivery(d: Delivery) {
  return {
    id: d.id, webhookId: d.webhookId, schemaId: d.schemaId, eventId: d.eventId, eventType: d.eventType,
    entity: { type: d.entity.type, id: d.entity.id }, status: d.status, attemptCount: d.attempts,
    nextAttemptAt: d.nextAttemptAt ? iso(d.nextAttemptAt) : null, ...(d.lastError !== undefined ? { lastError: d.lastError } : {}),
    ...(d.suppressedBy !== undefined ? { suppressedBy: d.suppressedBy } : {}),
    ...(d.test ? { test: true } : {}), createdAt: iso(d.createdAt), updatedAt: iso(d.updatedAt),
  };
}

/**
 * One attempt of the log. The delivery engine stores request headers masked already; they are
 * masked again here (the headers that always carry secrets), so that no writer can leak one.
 */
export function presentAttempt(a: Attempt) {
  return {
    id: a.id, number: a.number, startedAt: iso(a.startedAt), durationMs: a.durationMs,
    request: { url: a.request.url, method: a.request.method, headers: maskHeaders(a.request.headers, []), body: a.request.body },
    ...(a.response ? { response: { status: a.response.status, headers: a.response.headers, body: a.response.body, truncated: a.response.truncated } } : {}),
    ...(a.error ? { error: { class: a.error.class, message: a.error.message } } : {}),
    success: a.success,
  };
}

/** A delivery with the event it carries and its attempts (by number). */
export function presentDeliveryDetail(d: Delivery, attempts: Attempt[]) {
  return { ...presentDelivery(d), event: d.event, attempts: attempts.map(presentAttempt) };
}
