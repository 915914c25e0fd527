import { HeraldError, type DeliveryStatus, type FieldError } from '@herald/core';
import type { OperationHandler } from '../openapi-router.ts';
import { presentDeliveryDetail } from '../presenters.ts';
import { enabledAccount, notFound, type ApiDeps } from './context.ts';

interface ReplayInput {
  since: string;
  until?: string;
  /** One final status; default `failed`. */
  status?: Exclude<DeliveryStatus, 'pending'>;
}

function conflict(message: string): HeraldError {
  return new HeraldError('HERALD_CONFLICT', message);
}

/** An RFC 3339 date-time of the body (the spec has checked its form) as a Date; an error naming the field if it is no instant. */
function timeField(input: Record<string, unknown>, name: 'since' | 'until', errors: FieldError[]): Date | undefined {
  const raw = input[name];
  if (raw === undefined) return undefined;
  const d = new Date(raw as string);
  if (!Number.isFinite(d.getTime())) {
    errors.push({ field: `/${name}`, message: 'must be a valid date-time' });
    return undefined;
  }
  return d;
}

/**
 * Resend and replay (F13). Both put final deliveries back to `pending`, due now; the delivery
 * engine's scheduler then sends each as a new attempt (numbers continue). A resent delivery gets
 * one attempt, not a new retry schedule: if it fails it is `failed` again (resend it again to
 * try once more). Test deliveries are never resent: press the Test button again.
 */
export function redeliveryHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  return {
    async resendDelivery({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      const id = params.deliveryId!;
      const d = await deps.store.deliveries.get(account, id);
      if (!d) throw notFound('delivery', id);
      if (d.test) throw conflict(`Delivery ${id} is a test delivery and is not resent; test the webhook again (POST /v1/webhooks/${d.webhookId}/test)`);
      if (d.status === 'pending') throw conflict(`Delivery ${id} is pending already: it will be sent${d.nextAttemptAt ? ` at ${d.nextAttemptAt.toISOString()}` : ''}`);
      const webhook = await deps.store.webhooks.get(account, d.webhookId);
      if (!webhook) throw conflict(`The webhook ${d.webhookId} of delivery ${id} was deleted; there is nothing to resend it to`);
      if (!webhook.active) throw conflict(`The webhook ${d.webhookId} of delivery ${id} is inactive; turn it on before resending`);
      const requeued = await deps.store.deliveries.requeue(account, id, new Date());
      // Null here: another resend (or replay) of it won the race, so it is pending already.
      if (!requeued) throw conflict(`Delivery ${id} is pending already: it was resent meanwhile`);
      deps.logger.info({ account, deliveryId: id, webhookId: d.webhookId, previousStatus: d.status }, 'delivery resent');
      const attempts = await deps.store.attempts.listForDelivery(account, id);
      return { status: 200, body: { delivery: presentDeliveryDetail(requeued, attempts) } };
    },

    async replayWebhook({ principal, params, body }) {
      const account = await enabledAccount(deps, principal);
      const webhookId = params.webhookId!;
      const webhook = await deps.store.webhooks.get(account, webhookId);
      if (!webhook) throw notFound('webhook', webhookId);
      const input = body as ReplayInput;
      const errors: FieldError[] = [];
      const since = timeField(input as unknown as Record<string, unknown>, 'since', errors);
      const until = timeField(input as unknown as Record<string, unknown>, 'until', errors);
      if (since && until && until.getTime() < since.getTime()) errors.push({ field: '/until', message: 'must not be before since' });
      if (errors.length > 0 || !since) throw HeraldError.validation('The replay is invalid', errors.length > 0 ? errors : [{ field: '/since', message: 'is required' }]);
      if (!webhook.active) throw conflict(`The webhook ${webhookId} is inactive; turn it on before replaying its deliveries`);
      const status = input.status ?? 'failed';
      const requeued = await deps.store.deliveries.requeueForWebhook(account, webhookId, { since, ...(until ? { until } : {}), statuses: [status] }, new Date());
      deps.logger.info({ account, webhookId, since, until, status, requeued }, 'deliveries replayed');
      return { status: 200, body: { requeued } };
    },
  };
}
