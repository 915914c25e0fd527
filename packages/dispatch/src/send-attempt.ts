import { newId, nextRetryDelayMs, signingSecrets, type Attempt, type AttemptErrorClass, type Delivery, type PayloadSchema, type RetryPolicy, type Webhook } from '@herald/core';
import type { DeliveryOutcome } from '@herald/store';
import { renderDefaultPayload, renderSchemaPayload, type RenderedBody } from '@herald/templates';
import {
  HERALD_RESERVED_HEADERS,
  maskHeaders,
  standardWebhookHeaders,
  type HttpSender,
  type OutgoingRequest,
  type PluginRegistry,
} from '@herald/transport';

export const HERALD_VERSION = '0.1.0';
export const USER_AGENT = `Herald/${HERALD_VERSION}`;

/** Headers Herald sets itself; a webhook's own headers cannot replace them. */
export const RESERVED_HEADERS = new Set(HERALD_RESERVED_HEADERS);

export interface AttemptSettings {
  timeoutMs: number;
  maxResponseBytes: number;
  retryPolicy: RetryPolicy;
}

/** Reads a payload schema of an account; null when there is none (deleted since the job was made). */
export type SchemaLoader = (account: string, id: string) => Promise<PayloadSchema | null>;

/** The body of a delivery: its schema rendered for the event (F3), or the default payload (F5). */
export async function renderPayload(delivery: Pick<Delivery, 'account' | 'schemaId' | 'event'>, webhook: Webhook, loadSchema: SchemaLoader, test = false): Promise<RenderedBody> {
  if (delivery.schemaId === null) return renderDefaultPayload(delivery.event, test ? { test: true } : {});
  const schema = await loadSchema(delivery.account, delivery.schemaId);
  if (!schema) throw new Error(`schema ${delivery.schemaId} does not exist any more`);
  return renderSchemaPayload(schema, delivery.event, {
    webhook: { id: webhook.id, name: webhook.name, description: webhook.description, url: webhook.url, method: webhook.method },
    ...(test ? { test: true } : {}),
  });
}

export interface AttemptResult {
  attempt: Attempt;
  outcome: DeliveryOutcome;
  /** The endpoint answered `410 Gone`: it asks never to be called again, so the webhook is to be disabled. */
  gone?: boolean;
}

/** The longest wait a `Retry-After` can impose; a longer one is cut to this. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

function failure(cls: AttemptErrorClass, message: string) {
  return { class: cls, message };
}

/**
 * One attempt of a delivery: render the payload, build the request (Herald's headers, the
 * webhook's headers and secret headers, the transport plugin's authentication, the Standard
 * Webhooks signature),
 * send it, and say what the delivery's state is next. It writes nothing: the caller logs the
 * attempt and records the outcome.
 *
 * A test delivery (`delivery.test`, the Test button, F6) is rendered with `action_type: test`
 * and is never retried: a failure is final. A delivery with an `attemptLimit` (resent or
 * replayed, F13) gets no retry past that attempt number.
 */
export async function sendAttempt(
  delivery: Delivery,
  webhook: Webhook,
  deps: { sender: HttpSender; plugins: PluginRegistry; settings: AttemptSettings; loadSchema: SchemaLoader; now?: () => Date },
): Promise<AttemptResult> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const number = delivery.attempts + 1;
  let request: OutgoingRequest = { url: webhook.url, method: webhook.method, headers: {}, body: '' };
  let secretHeaders: string[] = [];
  let error: Attempt['error'];
  let response: Attempt['response'];
  let durationMs = 0;
  let success = false;
  let retryAfterMs: number | undefined;

  prepare: {
    let contentType: string;
    try {
      const rendered = await renderPayload(delivery, webhook, deps.loadSchema, delivery.test === true);
      request.body = rendered.body;
      contentType = rendered.contentType;
    } catch (err) {
      error = failure('render', (err as Error).message);
      break prepare;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(webhook.headers ?? {})) if (!RESERVED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
    // The webhook's secret headers: sent as its plain ones are, masked in the log whatever the plugin.
    const ownSecret = Object.keys(webhook.secretHeaders ?? {}).map((k) => k.toLowerCase()).filter((k) => !RESERVED_HEADERS.has(k));
    for (const [k, v] of Object.entries(webhook.secretHeaders ?? {})) if (!RESERVED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
    request.headers = headers;
    secretHeaders = ownSecret;
    try {
      const plugin = deps.plugins.get(webhook.auth.type);
      const { type: _t, ...config } = webhook.auth;
      secretHeaders = [...ownSecret, ...plugin.secretHeaders(config)];
      request = await plugin.apply(request, config, { webhookId: webhook.id, account: webhook.account });
    } catch (err) {
      error = failure('plugin', `the ${webhook.auth.type} authentication failed: ${(err as Error).message}`);
      break prepare;
    }
    let signature: ReturnType<typeof standardWebhookHeaders>;
    try {
      signature = standardWebhookHeaders(signingSecrets(webhook, now()), delivery.id, request.body, now());
    } catch (err) {
      // A secret that cannot sign (one written around the API's checks, e.g. into the database by
      // hand) fails the attempt like any other, logged, instead of failing it with no trace at
      // every lease forever.
      error = failure('signature', `the webhook's signing secret cannot be used: ${(err as Error).message}`);
      break prepare;
    }
    request.headers = {
      ...request.headers,
      'content-type': contentType,
      'user-agent': USER_AGENT,
      'triggered-at': delivery.event.occurredAt,
      ...signature,
    };
    const sent = await deps.sender.send(request, { timeoutMs: webhook.timeoutMs ?? deps.settings.timeoutMs, maxResponseBytes: deps.settings.maxResponseBytes });
    durationMs = sent.durationMs;
    response = sent.response;
    error = sent.error;
    success = sent.success;
    retryAfterMs = sent.retryAfterMs;
  }

  const attempt: Attempt = {
    id: newId('att', startedAt.getTime()),
    account: delivery.account,
    deliveryId: delivery.id,
    webhookId: delivery.webhookId,
    number,
    startedAt,
    durationMs,
    request: { url: request.url, method: request.method, headers: maskHeaders(request.headers, secretHeaders), body: request.body },
    ...(response ? { response } : {}),
    ...(error ? { error } : {}),
    success,
  };

  if (success) return { attempt, outcome: { status: 'succeeded', attempts: number, nextAttemptAt: null } };
  const lastError = `${error?.class ?? 'unknown'}: ${error?.message ?? ''}`;
  if (response?.status === 410) {
    return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError: `${lastError} (410 Gone: the endpoint asks not to be called again; the webhook is disabled)` }, gone: true };
  }
  const lastAllowed = delivery.test ? number : delivery.attemptLimit;
  if (lastAllowed !== undefined && number >= lastAllowed) return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError } };
  const policy = webhook.retry ? { ...deps.settings.retryPolicy, schedule: webhook.retry.schedule } : deps.settings.retryPolicy;
  const scheduled = nextRetryDelayMs(number, policy);
  if (scheduled === null) return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError } };
  // A 429 or 503 with Retry-After: not before the endpoint asked (at most a day), nor before the schedule.
  const delay = retryAfterMs === undefined ? scheduled : Math.max(scheduled, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
  return { attempt, outcome: { status: 'pending', attempts: number, nextAttemptAt: new Date(now().getTime() + delay), lastError } };
}
