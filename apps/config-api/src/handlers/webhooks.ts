import { HeraldError, newId, type FieldError, type Webhook } from '@herald/core';
import { newSigningSecret } from '@herald/transport';
import type { OperationHandler } from '../openapi-router.ts';
import { pageOf, presentWebhook } from '../presenters.ts';
import { accountOf, notFound, publishConfigChange, type ApiDeps } from './context.ts';
import type { Principal } from '../auth.ts';

type WebhookInput = Partial<Omit<Webhook, 'id' | 'account' | 'createdAt' | 'updatedAt' | 'projects'>> & { projects?: string[] | null };

export function webhookHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  /** The caller's account, with the plan switch checked (F10). */
  async function enabledAccount(principal: Principal | undefined): Promise<string> {
    const { account } = accountOf(principal);
    const a = await deps.store.accounts.get(account);
    if (a && !a.webhooksEnabled) {
      throw new HeraldError('HERALD_FORBIDDEN', `Webhooks are not enabled for account ${account}: its plan does not include them (the operator turns them on with webhooksEnabled)`);
    }
    return account;
  }

  /** Checks what the spec cannot: event types exist and are live, auth fits its plugin. */
  async function checkReferences(input: WebhookInput, previous?: Webhook): Promise<void> {
    const errors: FieldError[] = [];
    if (input.eventTypes) {
      const before = new Set(previous?.eventTypes ?? []);
      for (const [i, name] of input.eventTypes.entries()) {
        const t = await deps.store.eventTypes.get(name);
        if (!t) errors.push({ field: `/eventTypes/${i}`, message: `is not in the event type catalog` });
        else if (t.archived && !before.has(name)) errors.push({ field: `/eventTypes/${i}`, message: 'is archived and cannot be newly subscribed' });
      }
    }
    if (input.auth) {
      try {
        deps.plugins.validateAuth(input.auth);
      } catch (err) {
        const e = err as HeraldError;
        errors.push(...(e.errors?.length ? e.errors : [{ field: '/auth/type', message: e.message }]));
      }
    }
    if (errors.length > 0) throw HeraldError.validation('The webhook is invalid', errors);
  }

  return {
    async createWebhook({ principal, body }) {
      const account = await enabledAccount(principal);
      const b = body as WebhookInput & { name: string; url: string };
      await checkReferences(b);
      const now = new Date();
      const w: Webhook = {
        id: newId('wh'), account, name: b.name, ...(b.description !== undefined ? { description: b.description } : {}), url: b.url,
        method: b.method ?? 'POST', active: b.active ?? true, eventTypes: [...new Set(b.eventTypes ?? [])],
        ...(b.projects ? { projects: b.projects } : {}), auth: b.auth ?? { type: 'none' }, headers: b.headers ?? {},
        secret: b.secret ?? newSigningSecret(), dedupWindowSeconds: b.dedupWindowSeconds ?? 60,
        ...(b.retry ? { retry: b.retry } : {}), ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}),
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
      await checkReferences(b, current);
      const { projects, ...rest } = b;
      const next: Webhook = { ...current, ...rest, updatedAt: new Date() };
      if (b.eventTypes) next.eventTypes = [...new Set(b.eventTypes)];
      if (projects === null) delete next.projects;
      else if (projects !== undefined) next.projects = projects;
      await deps.store.webhooks.upsert(next);
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
    async deleteWebhook({ principal, params }) {
      const account = await enabledAccount(principal);
      const existed = await deps.store.webhooks.delete(account, params.webhookId!);
      if (!existed) throw notFound('webhook', params.webhookId!);
      await deps.store.deliveries.cancelPendingForWebhook(account, params.webhookId!);
      await publishConfigChange(deps, { kind: 'webhook', account, id: params.webhookId! });
      return { status: 204 };
    },
  };
}
