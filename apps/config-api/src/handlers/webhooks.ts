import { HeraldError, newId, signingSecretProblem, webhookUrlProblem, type FieldError, type Webhook } from '@herald/core';
import { newSigningSecret } from '@herald/transport';
import type { OperationHandler } from '../openapi-router.ts';
import { pageOf, presentWebhook } from '../presenters.ts';
import { headerProblems, nextSecretHeaders } from './webhook-headers.ts';
import { enabledAccount as enabledAccountOf, notFound, publishConfigChange, type ApiDeps } from './context.ts';
import type { Principal } from '../auth.ts';

type WebhookInput = Partial<
  Omit<Webhook, 'id' | 'account' | 'createdAt' | 'updatedAt' | 'projects' | 'schema' | 'previousSecrets' | 'maxConcurrency' | 'rateLimitPerSecond' | 'disabledReason' | 'disabledAt'>
> & {
  /** Update only: stored secret headers to drop, by name. */
  removeSecretHeaders?: string[];
  projects?: string[] | null;
  schema?: string | null;
  /** Per-webhook limits (F14); `null` in an update = back to the engine's default. */
  maxConcurrency?: number | null;
  rateLimitPerSecond?: number | null;
};

/** At most this many rotated-out secrets are kept signing at once; older ones stop first. */
const MAX_PREVIOUS_SECRETS = 5;

export function webhookHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  const enabledAccount = (principal: Principal | undefined) => enabledAccountOf(deps, principal);

  /**
   * Checks what the spec cannot: event types exist and are live, auth fits its plugin, the
   * headers and secret headers fit together and with the plugin (webhook-headers.ts); and, as
   * the spec's patterns do, that the URL and the signing secret can work (core's rules). Answers
   * the secret headers the webhook has after `input` (merged by name into `previous`'s).
   */
  async function checkReferences(account: string, input: WebhookInput, previous?: Webhook): Promise<Record<string, string> | undefined> {
    const errors: FieldError[] = [];
    const secretHeaders = nextSecretHeaders(previous?.secretHeaders, input, errors);
    const urlProblem = input.url === undefined ? undefined : webhookUrlProblem(input.url);
    if (urlProblem) errors.push({ field: '/url', message: urlProblem });
    const secretProblem = input.secret === undefined ? undefined : signingSecretProblem(input.secret);
    if (secretProblem) errors.push({ field: '/secret', message: secretProblem });
    if (input.eventTypes) {
      const before = new Set(previous?.eventTypes ?? []);
      for (const [i, name] of input.eventTypes.entries()) {
        const t = await deps.store.eventTypes.get(name);
        if (!t) errors.push({ field: `/eventTypes/${i}`, message: `is not in the event type catalog` });
        else if (t.archived && !before.has(name)) errors.push({ field: `/eventTypes/${i}`, message: 'is archived and cannot be newly subscribed' });
      }
    }
    if (typeof input.schema === 'string' && !(await deps.store.schemas.get(previous?.account ?? account, input.schema))) {
      errors.push({ field: '/schema', message: 'is not a schema of the account' });
    }
    if (input.auth) {
      try {
        deps.plugins.validateAuth(input.auth);
      } catch (err) {
        const e = err as HeraldError;
        errors.push(...(e.errors?.length ? e.errors : [{ field: '/auth/type', message: e.message }]));
      }
    }
    const next = {
      auth: input.auth ?? previous?.auth ?? { type: 'none' },
      headers: input.headers ?? previous?.headers ?? {},
      ...(secretHeaders ? { secretHeaders } : {}),
    };
    errors.push(...headerProblems(next, input, deps.plugins));
    if (errors.length > 0) throw HeraldError.validation('The webhook is invalid', errors);
    return secretHeaders;
  }

  return {
    async createWebhook({ principal, body }) {
      const account = await enabledAccount(principal);
      const b = body as WebhookInput & { name: string; url: string };
      const secretHeaders = await checkReferences(account, b);
      const now = new Date();
      const w: Webhook = {
        id: newId('wh'), account, name: b.name, ...(b.description !== undefined ? { description: b.description } : {}), url: b.url,
        method: b.method ?? 'POST', active: b.active ?? true, eventTypes: [...new Set(b.eventTypes ?? [])],
        ...(b.projects ? { projects: b.projects } : {}), auth: b.auth ?? { type: 'none' }, headers: b.headers ?? {},
        ...(secretHeaders ? { secretHeaders } : {}),
        secret: b.secret ?? newSigningSecret(), dedupWindowSeconds: b.dedupWindowSeconds ?? 60,
        ...(b.schema ? { schema: b.schema } : {}), ...(b.retry ? { retry: b.retry } : {}), ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}),
        ...(typeof b.maxConcurrency === 'number' ? { maxConcurrency: b.maxConcurrency } : {}),
        ...(typeof b.rateLimitPerSecond === 'number' ? { rateLimitPerSecond: b.rateLimitPerSecond } : {}),
        createdAt: now, updatedAt: now,
      };
      await deps.store.webhooks.upsert(w);
      await publishConfigChange(deps, { kind: 'webhook', account, id: w.id });
      return { status: 201, body: presentWebhook(w, deps.plugins), headers: { location: `/v1/webhooks/${w.id}` } };
    },
    async listWebhooks({ principal, query }) {
      const account = await enabledAccount(principal);
      const limit = (query.limit as number | undefined) ?? 20;
      const items = await deps.store.webhooks.page(account, {
        limit: limit + 1,
        ...(query.after ? { after: query.after as string } : {}),
        ...(query.active !== undefined ? { active: query.active as boolean } : {}),
        ...(query.eventType ? { eventType: query.eventType as string } : {}),
      });
      return { status: 200, body: pageOf(items, limit, (w) => w.id, (w) => presentWebhook(w, deps.plugins)) };
    },
    async getWebhook({ principal, params }) {
      const account = await enabledAccount(principal);
      const w = await deps.store.webhooks.get(account, params.webhookId!);
      if (!w) throw notFound('webhook', params.webhookId!);
      return { status: 200, body: presentWebhook(w, deps.plugins) };
    },
    async updateWebhook({ principal, params, body }) {
      const account = await enabledAccount(principal);
      const current = await deps.store.webhooks.get(account, params.webhookId!);
      if (!current) throw notFound('webhook', params.webhookId!);
      const b = body as WebhookInput;
      const secretHeaders = await checkReferences(account, b, current);
      const { projects, schema, maxConcurrency, rateLimitPerSecond, secretHeaders: _sent, removeSecretHeaders: _removed, ...rest } = b;
      const next: Webhook = { ...current, ...rest, updatedAt: new Date() };
      if (secretHeaders) next.secretHeaders = secretHeaders;
      else delete next.secretHeaders;
      for (const [field, value] of [['maxConcurrency', maxConcurrency], ['rateLimitPerSecond', rateLimitPerSecond]] as const) {
        if (value === null) delete next[field];
        else if (value !== undefined) next[field] = value;
      }
      // Switched back on by hand: as `enable` does, Herald's reason goes and the health count starts again.
      const reactivated = !current.active && next.active;
      if (reactivated) {
        delete next.disabledReason;
        delete next.disabledAt;
      }
      if (b.eventTypes) next.eventTypes = [...new Set(b.eventTypes)];
      if (projects === null) delete next.projects;
      else if (projects !== undefined) next.projects = projects;
      if (schema === null) delete next.schema;
      else if (schema !== undefined) next.schema = schema;
      await deps.store.webhooks.upsert(next);
      if (reactivated) await deps.store.webhookHealth.reset(account, next.id);
      if (current.active && !next.active) await deps.store.deliveries.cancelPendingForWebhook(account, next.id);
      await publishConfigChange(deps, { kind: 'webhook', account, id: next.id });
      return { status: 200, body: presentWebhook(next, deps.plugins) };
    },
    async getWebhookSecret({ principal, params }) {
      const account = await enabledAccount(principal);
      const w = await deps.store.webhooks.get(account, params.webhookId!);
      if (!w) throw notFound('webhook', params.webhookId!);
      return { status: 200, body: { secret: w.secret } };
    },
    async rotateWebhookSecret({ principal, params, body }) {
      const account = await enabledAccount(principal);
      const w = await deps.store.webhooks.get(account, params.webhookId!);
      if (!w) throw notFound('webhook', params.webhookId!);
      const b = (body ?? {}) as { secret?: string; overlapSeconds?: number };
      const secretProblem = b.secret === undefined ? undefined : signingSecretProblem(b.secret);
      if (secretProblem) throw HeraldError.validation('The rotation is invalid', [{ field: '/secret', message: secretProblem }]);
      const secret = b.secret ?? newSigningSecret();
      if (secret === w.secret) throw HeraldError.validation('The rotation is invalid', [{ field: '/secret', message: 'is the current secret; give a new one' }]);
      const now = new Date();
      const overlapSeconds = b.overlapSeconds ?? 86_400;
      const previous = (w.previousSecrets ?? []).filter((p) => p.expiresAt.getTime() > now.getTime() && p.secret !== secret);
      const expiresAt = overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null;
      if (expiresAt) previous.unshift({ secret: w.secret, expiresAt });
      const next: Webhook = { ...w, secret, updatedAt: now };
      if (previous.length > 0) next.previousSecrets = previous.slice(0, MAX_PREVIOUS_SECRETS);
      else delete next.previousSecrets;
      await deps.store.webhooks.upsert(next);
      await publishConfigChange(deps, { kind: 'webhook', account, id: w.id });
      return { status: 200, body: { secret, previousSecretExpiresAt: expiresAt ? expiresAt.toISOString() : null } };
    },
    /** Endpoint health (F14): turns a webhook back on after Herald (or a person) turned it off. */
    async enableWebhook({ principal, params }) {
      const account = await enabledAccount(principal);
      const current = await deps.store.webhooks.get(account, params.webhookId!);
      if (!current) throw notFound('webhook', params.webhookId!);
      const { disabledReason: _reason, disabledAt: _at, ...rest } = current;
      const next: Webhook = { ...rest, active: true, updatedAt: new Date() };
      await deps.store.webhooks.upsert(next);
      await deps.store.webhookHealth.reset(account, next.id);
      await publishConfigChange(deps, { kind: 'webhook', account, id: next.id });
      return { status: 200, body: presentWebhook(next, deps.plugins) };
    },
    async deleteWebhook({ principal, params }) {
      const account = await enabledAccount(principal);
      const existed = await deps.store.webhooks.delete(account, params.webhookId!);
      if (!existed) throw notFound('webhook', params.webhookId!);
      await deps.store.deliveries.cancelPendingForWebhook(account, params.webhookId!);
      await deps.store.webhookHealth.reset(account, params.webhookId!);
      await publishConfigChange(deps, { kind: 'webhook', account, id: params.webhookId! });
      return { status: 204 };
    },
  };
}
