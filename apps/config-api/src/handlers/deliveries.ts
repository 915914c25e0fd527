import { HeraldError, isHeraldError, type DeliveryStatus, type FieldError } from '@herald/core';
import type { DeliveryListQuery } from '@herald/store';
import type { OperationHandler } from '../openapi-router.ts';
import { pageOf, presentAttempt, presentDelivery, presentDeliveryDetail } from '../presenters.ts';
import { enabledAccount, notFound, type ApiDeps } from './context.ts';

/** Page size of `GET /v1/deliveries` unless `limit` says otherwise (the spec's default). */
export const DELIVERY_LIST_DEFAULT_LIMIT = 20;
/** The seeds' "last 10 webhook requests": the page size of `GET /v1/webhooks/{id}/deliveries`. */
export const WEBHOOK_DELIVERIES_DEFAULT_LIMIT = 10;

type Filters = Omit<DeliveryListQuery, 'limit' | 'after'>;

/** An RFC 3339 date-time (the spec has checked its form) as a Date; a 400 naming the parameter if it is no instant. */
function timeParam(query: Record<string, unknown>, name: 'since' | 'until', errors: FieldError[]): Date | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const d = new Date(raw as string);
  if (!Number.isFinite(d.getTime())) {
    errors.push({ field: name, message: 'must be a valid date-time' });
    return undefined;
  }
  return d;
}

/** The filters of `GET /v1/deliveries`, with the checks the spec cannot express. */
function listFilters(query: Record<string, unknown>): Filters {
  const errors: FieldError[] = [];
  const since = timeParam(query, 'since', errors);
  const until = timeParam(query, 'until', errors);
  if (since && until && since.getTime() > until.getTime()) errors.push({ field: 'until', message: 'must not be before since' });
  const entityType = query.entityType as string | undefined;
  const entityId = query.entityId as string | undefined;
  if (entityType !== undefined && entityId === undefined) errors.push({ field: 'entityId', message: 'is required with entityType' });
  if (entityId !== undefined && entityType === undefined) errors.push({ field: 'entityType', message: 'is required with entityId' });
  if (errors.length > 0) throw HeraldError.validation('A parameter is invalid', errors);
  return {
    ...(query.webhookId !== undefined ? { webhookId: query.webhookId as string } : {}),
    ...(query.eventType !== undefined ? { eventType: query.eventType as string } : {}),
    ...(query.status !== undefined ? { status: query.status as DeliveryStatus } : {}),
    ...(entityType !== undefined && entityId !== undefined ? { entity: { type: entityType, id: entityId } } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}

/**
 * The delivery log (F7): the account's deliveries, latest first, filtered and paged; one
 * delivery with its attempts; and the "last 10" of one webhook. Read by keys of both roles;
 * like every webhook operation, only while the account's plan switch is on.
 */
export function deliveryHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  async function page(account: string, filters: Filters, query: Record<string, unknown>, defaultLimit: number) {
    const limit = (query.limit as number | undefined) ?? defaultLimit;
    const after = query.after as string | undefined;
    let items;
    try {
      items = await deps.store.deliveries.list(account, { ...filters, limit: limit + 1, ...(after !== undefined ? { after } : {}) });
    } catch (err) {
      // The store names the cursor as a field (`/after`); here it is a query parameter.
      if (isHeraldError(err, 'HERALD_VALIDATION') && err.errors.some((e) => e.field === '/after')) {
        throw HeraldError.validation('Invalid cursor', [{ field: 'after', message: 'is not a delivery of this account' }]);
      }
      throw err;
    }
    return pageOf(items, limit, (d) => d.id, presentDelivery);
  }

  async function deliveryOf(account: string, deliveryId: string) {
    const d = await deps.store.deliveries.get(account, deliveryId);
    if (!d) throw notFound('delivery', deliveryId);
    return d;
  }

  return {
    async listDeliveries({ principal, query }) {
      const account = await enabledAccount(deps, principal);
      return { status: 200, body: await page(account, listFilters(query), query, DELIVERY_LIST_DEFAULT_LIMIT) };
    },
    async getDelivery({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      const d = await deliveryOf(account, params.deliveryId!);
      const attempts = await deps.store.attempts.listForDelivery(account, d.id);
      return { status: 200, body: presentDeliveryDetail(d, attempts) };
    },
    async listDeliveryAttempts({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      const d = await deliveryOf(account, params.deliveryId!);
      const attempts = await deps.store.attempts.listForDelivery(account, d.id);
      return { status: 200, body: { data: attempts.map(presentAttempt), nextCursor: null } };
    },
    async listWebhookDeliveries({ principal, params, query }) {
      const account = await enabledAccount(deps, principal);
      const webhookId = params.webhookId!;
      if (!(await deps.store.webhooks.get(account, webhookId))) throw notFound('webhook', webhookId);
      return { status: 200, body: await page(account, { webhookId }, query, WEBHOOK_DELIVERIES_DEFAULT_LIMIT) };
    },
  };
}
