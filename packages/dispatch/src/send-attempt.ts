import { HeraldError, newId, nextRetryDelayMs, signingSecrets, type Attempt, type AttemptErrorClass, type Delivery, type PayloadSchema, type RetryPolicy, type Webhook } from '@herald/core';
import type { DeliveryOutcome } from '@herald/store';
import { checkBodyWellFormed, exceededRenderTime, renderDefaultPayload, renderSchemaPayload, type RenderedBody } from '@herald/templates';
import {
  ALLOWED_TARGETS_VARIABLE,
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

/**
 * Why a delivery's body could not be made. `final` when another attempt cannot help: the same
 * event renders the same way every time (a template error, an ill-formed body), and a deleted
 * schema does not come back (schema ids are never reused). Not final: the schema could not be
 * read (a store error), or the render ran out of its wall-clock time limit (load may pass).
 */
export class RenderFailure extends Error {
  override readonly name = 'RenderFailure';
  constructor(
    message: string,
    readonly final: boolean,
    /** The body as rendered, when it was (and then refused as not well-formed): logged with the attempt, not sent. */
    readonly body?: string,
  ) {
    super(message);
  }
}

/** A template error as one line: its title and its problems with their positions (`The schema template could not be rendered: … at line 1, column 7`). */
function describeRenderError(err: unknown): string {
  if (err instanceof HeraldError && err.errors.length > 0) {
    return `${err.message}: ${err.errors.map((e) => (e.field === '/body' ? e.message : `${e.field} ${e.message}`)).join('; ')}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * The body of a delivery: its schema rendered for the event (F3), or the default payload (F5).
 * A body whose content type is JSON or XML is checked to be well-formed before it goes anywhere
 * (the schema's save-time check rendered only the event type's example). Throws RenderFailure.
 */
export async function renderPayload(delivery: Pick<Delivery, 'account' | 'schemaId' | 'event'>, webhook: Webhook, loadSchema: SchemaLoader, test = false): Promise<RenderedBody> {
  let rendered: RenderedBody;
  if (delivery.schemaId === null) {
    rendered = renderDefaultPayload(delivery.event, test ? { test: true } : {});
  } else {
    let schema: PayloadSchema | null;
    try {
      schema = await loadSchema(delivery.account, delivery.schemaId);
    } catch (err) {
      throw new RenderFailure(`schema ${delivery.schemaId} could not be read: ${(err as Error).message}`, false);
    }
    if (!schema) throw new RenderFailure(`schema ${delivery.schemaId} does not exist any more`, true);
    try {
      rendered = renderSchemaPayload(schema, delivery.event, {
        webhook: { id: webhook.id, name: webhook.name, description: webhook.description, url: webhook.url, method: webhook.method },
        ...(test ? { test: true } : {}),
      });
    } catch (err) {
      throw new RenderFailure(describeRenderError(err), !exceededRenderTime(err));
    }
  }
  const check = checkBodyWellFormed(rendered.contentType, rendered.body);
  if (!check.ok) {
    throw new RenderFailure(`the rendered body is not well-formed ${check.format}: line ${check.line}, column ${check.column}: ${check.reason}`, true, rendered.body);
  }
  return rendered;
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

/** Why a failed attempt ends its delivery though its schedule has retries left; appended to `lastError`. */
const FINAL_RENDER_NOTE = 'not retried: another attempt would fail the same way';
const SSRF_NOTE = `a configuration error, not retried: the target is not allowed (see ${ALLOWED_TARGETS_VARIABLE}); change the webhook's URL or the allow-list`;

/**
 * One attempt of a delivery: render the payload, build the request (Herald's headers, the
 * webhook's headers and secret headers, the transport plugin's authentication, the Standard
 * Webhooks signature),
 * send it, and say what the delivery's state is next. It writes nothing: the caller logs the
 * attempt and records the outcome.
 *
 * A test delivery (`delivery.test`, the Test button, F6) is rendered with `action_type: test`
 * and is never retried: a failure is final. A delivery with an `attemptLimit` (resent or
 * replayed, F13) gets no retry past that attempt number. Final at once too, whatever the
 * schedule: a body that cannot be rendered (template error, ill-formed JSON or XML, deleted
 * schema; see RenderFailure), and a target the SSRF guard refuses (`ssrf_blocked`): neither
 * changes by waiting, and neither was the endpoint's doing.
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
  /** Why no retry can help, when none can: said in `lastError`. */
  let finalNote: string | undefined;

  prepare: {
    let contentType: string;
    try {
      const rendered = await renderPayload(delivery, webhook, deps.loadSchema, delivery.test === true);
      request.body = rendered.body;
      contentType = rendered.contentType;
    } catch (err) {
      error = failure('render', (err as Error).message);
      if (err instanceof RenderFailure) {
        if (err.final) finalNote = FINAL_RENDER_NOTE;
        // The log shows what was rendered, so that the schema can be fixed; nothing was sent.
        if (err.body !== undefined) request.body = err.body;
      }
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
    if (error?.class === 'ssrf_blocked') finalNote = SSRF_NOTE;
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
  if (finalNote !== undefined) return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError: `${lastError} (${finalNote})` } };
  const lastAllowed = delivery.test ? number : delivery.attemptLimit;
  if (lastAllowed !== undefined && number >= lastAllowed) return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError } };
  const policy = webhook.retry ? { ...deps.settings.retryPolicy, schedule: webhook.retry.schedule } : deps.settings.retryPolicy;
  const scheduled = nextRetryDelayMs(number, policy);
  if (scheduled === null) return { attempt, outcome: { status: 'failed', attempts: number, nextAttemptAt: null, lastError } };
  // A 429 or 503 with Retry-After: not before the endpoint asked (at most a day), nor before the schedule.
  const delay = retryAfterMs === undefined ? scheduled : Math.max(scheduled, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
  return { attempt, outcome: { status: 'pending', attempts: number, nextAttemptAt: new Date(now().getTime() + delay), lastError } };
}
