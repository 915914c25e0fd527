import { HeraldError, newId, type Delivery, type EventEnvelope, type FieldError } from '@herald/core';
import { sendAttempt } from '@herald/dispatch';
import { sampleEvent } from '@herald/templates';
import type { OperationHandler } from '../openapi-router.ts';
import { presentDeliveryDetail } from '../presenters.ts';
import { enabledAccount, notFound, type ApiDeps } from './context.ts';

/** The event type of a test when the webhook subscribes to none and the caller names none. */
export const TEST_EVENT_TYPE = 'herald.test';

interface TestInput {
  /** An event type of the catalog; absent = the webhook's first subscribed type. */
  eventType?: string;
  /** A schema of the account; null = the default payload (F5); absent = the webhook's default schema. */
  schemaId?: string | null;
}

/**
 * The test event when there is no event type to take an example from: the account itself (the
 * German seed: "this request sends the data of your account"), as an `account` entity.
 */
async function accountTestEvent(deps: ApiDeps, account: string, now: Date): Promise<EventEnvelope> {
  const a = await deps.store.accounts.get(account);
  return {
    id: newId('evt', now.getTime()),
    type: TEST_EVENT_TYPE,
    account,
    entity: { type: 'account', id: account },
    action: 'update',
    occurredAt: now.toISOString(),
    data: { id: account, ...(a ? { name: a.name } : {}) },
  };
}

/**
 * The Test button (F6): `POST /v1/webhooks/{id}/test` sends one test delivery now, through the
 * delivery engine's own code path (`sendAttempt`: payload, headers, transport plugin, Standard
 * Webhooks signature, the SSRF-guarded sender), waits for the outcome, logs it as a test
 * delivery (`test: true`, final, one attempt, never retried or resent) and answers it with its
 * request (secret headers masked) and response. An inactive webhook can be tested: the test is
 * how one checks an endpoint before switching it on. A test changes nothing else: a `410 Gone`
 * answer does not disable the webhook, and endpoint health does not count it.
 */
export function webhookTestHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  return {
    async testWebhook({ principal, params, body }) {
      const account = await enabledAccount(deps, principal);
      const webhookId = params.webhookId!;
      const webhook = await deps.store.webhooks.get(account, webhookId);
      if (!webhook) throw notFound('webhook', webhookId);
      const input = (body ?? {}) as TestInput;

      const errors: FieldError[] = [];
      const typeName = input.eventType ?? webhook.eventTypes[0];
      const eventType = typeName === undefined ? null : await deps.store.eventTypes.get(typeName);
      if (input.eventType !== undefined && !eventType) errors.push({ field: '/eventType', message: 'is not in the event type catalog' });
      const schemaId = input.schemaId === undefined ? (webhook.schema ?? null) : input.schemaId;
      if (typeof input.schemaId === 'string' && !(await deps.store.schemas.get(account, input.schemaId))) {
        errors.push({ field: '/schemaId', message: 'is not a schema of the account' });
      }
      if (errors.length > 0) throw HeraldError.validation('The test is invalid', errors);
      if (!deps.sender) {
        throw new HeraldError('HERALD_UNAVAILABLE', 'The Test button is not available: this config-api was started without an HTTP sender');
      }

      const now = new Date();
      const event: EventEnvelope = eventType
        ? { ...sampleEvent(eventType, account, now), id: newId('evt', now.getTime()) }
        : await accountTestEvent(deps, account, now);
      const delivery: Delivery = {
        id: newId('dlv', now.getTime()), account, webhookId, schemaId, eventId: event.id, eventType: event.type, entity: event.entity, event,
        status: 'pending', attempts: 0, nextAttemptAt: now, leaseUntil: null, test: true, createdAt: now, updatedAt: now,
      };
      const { attempt, outcome } = await sendAttempt(delivery, webhook, {
        sender: deps.sender,
        plugins: deps.plugins,
        settings: deps.testSettings,
        loadSchema: (acc, id) => deps.store.schemas.get(acc, id),
      });
      // A test is final after its one attempt (sendAttempt never schedules a retry for it).
      const status = outcome.status === 'succeeded' ? 'succeeded' : 'failed';
      // The delivery first, then its attempt: a crash in between leaves a delivery without its
      // attempt, never an attempt that retention could not find.
      await deps.store.deliveries.insertMany([
        {
          id: delivery.id, account, webhookId, schemaId, eventId: event.id, eventType: event.type, entity: event.entity, event, status,
          nextAttemptAt: null, attempts: attempt.number, test: true, createdAt: now, ...(outcome.lastError !== undefined ? { lastError: outcome.lastError } : {}),
        },
      ]);
      await deps.store.attempts.insert(attempt);
      const logged = await deps.store.deliveries.get(account, delivery.id);
      deps.logger.info({ account, webhookId, deliveryId: delivery.id, status, httpStatus: attempt.response?.status, error: attempt.error?.class }, 'webhook tested');
      return { status: 200, body: { delivery: presentDeliveryDetail(logged!, [attempt]) } };
    },
  };
}
