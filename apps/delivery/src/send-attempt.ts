import { newId, nextRetryDelayMs, type Attempt, type AttemptErrorClass, type Delivery, type RetryPolicy, type Webhook } from '@herald/core';
import type { DeliveryOutcome } from '@herald/store';
import { renderDefaultPayload } from '@herald/templates';
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

export interface AttemptResult {
  attempt: Attempt;
  outcome: DeliveryOutcome;
}

function failure(cls: AttemptErrorClass, message: string) {
  return { class: cls, message };
}

/**
 * One attempt of a delivery: render the payload, build the request (Herald's headers, the
 * webhook's headers, the transport plugin's authentication, the Standard Webhooks signature),
 * send it, and say what the delivery's state is next. It writes nothing: the caller logs the
 * attempt and records the outcome.
 */
export async function sendAttempt(
  delivery: Delivery,
  webhook: Webhook,
  deps: { sender: HttpSender; plugins: PluginRegistry; settings: AttemptSettings; now?: () => Date },
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

  prepare: {
    let contentType: string;
    try {
      if (delivery.schemaId !== null) throw new Error(`schema ${delivery.schemaId} cannot be rendered: payload schemas are not supported yet`);
      const rendered = renderDefaultPayload(delivery.event);
      request.body = rendered.body;
      contentType = rendered.contentType;
    } catch (err) {
      error = failure('render', (err as Error).message);
      break prepare;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(webhook.headers ?? {})) if (!RESERVED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
    request.headers = headers;
    try {
      const plugin = deps.plugins.get(webhook.auth.type);
      const { type: _t, ...config } = webhook.auth;
      secretHeaders = plugin.secretHeaders(config);
      request = await plugin.apply(request, config, { webhookId: webhook.id, account: webhook.account });
    } catch (err) {
      error = failure('plugin', `the ${webhook.auth.type} authentication failed: ${(err as Error).message}`);
      break prepare;
    }
    request.headers = {
      ...request.headers,
      'content-type': contentType,
      'user-agent': USER_AGENT,
      'triggered-at': delivery.event.occurredAt,
      ...standardWebhookHeaders([webhook.secret], delivery.id, request.body, now()),
    };
    const sent = await deps.sender.send(request, { timeoutMs: webhook.timeoutMs ?? deps.settings.timeoutMs, maxResponseBytes: deps.settings.maxResponseBytes });
    durationMs = sent.durationMs;
    response = sent.response;
    error = sent.error;
    success = sent.success;
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
  const policy = webhook.retry ? { ...deps.settings.retryPolicy, schedule: webhook.retry.schedule } : deps.settings.retryPolicy;
  const delay = nextRetryDelayMs(number, policy);
  const lastError = `${error?.class ?? 'unknown'}: ${error?.message ?? ''}`;
  if (delay === null) return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError } };
  return { attempt, outcome: { status: 'pending', attempts: number, nextAttemptAt: new Date(now().getTime() + delay), lastError } };
}
