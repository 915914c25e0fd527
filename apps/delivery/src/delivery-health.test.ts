/**
 * Endpoint health (F14) in the delivery engine, end to end over the memory bus and store:
 * sustained failure and `410 Gone` disable the webhook, cancel its pending deliveries, tell the
 * matchers (`herald.config`) and the operator (`herald.operations`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryIdFor, topicNames, type DeliveryJob, type Webhook } from '@herald/core';
import { createMemoryBus, decodeJson, encodeJson, type Bus, type Subscription } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret, TargetGuard } from '@herald/transport';
import { createDeliveryService, type DeliveryService, type DeliveryServiceOptions } from './delivery-service.ts';
import { GONE_REASON, type WebhookDisabledEvent } from './endpoint-health.ts';
import { eventually, startReceiver, type Received } from '../../../test/receiver.ts';

const topics = topicNames('hl.');
const ACC = 'acc_1';

let bus: Bus;
let store: Store;
let sender: HttpSender;
let service: DeliveryService | undefined;
let observer: Subscription | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let operations: WebhookDisabledEvent[];
let configChanges: { kind: string; id: string }[];

afterEach(async () => {
  await service?.stop();
  await observer?.stop();
  service = undefined;
  observer = undefined;
  await sender?.close();
  await receiver?.close();
  await bus?.close();
  await store?.close();
});

function job(eventId: string, webhookId = 'wh_1'): DeliveryJob {
  return {
    deliveryId: deliveryIdFor(eventId, webhookId, null), account: ACC, webhookId, schemaId: null, createdAt: new Date().toISOString(),
    event: { id: eventId, type: 'ticket.created', account: ACC, entity: { type: 'ticket', id: eventId }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {} },
  };
}

/** Answers by delivery (`webhook-id`): the status `statusOf` says for it. */
async function setup(statusOf: (deliveryId: string, r: Received) => number, options: Partial<DeliveryServiceOptions> = {}, hook: Partial<Webhook> = {}) {
  bus = createMemoryBus();
  store = createMemoryStore();
  sender = new HttpSender();
  receiver = await startReceiver((r) => ({ status: statusOf(String(r.headers['webhook-id']), r) }));
  operations = [];
  configChanges = [];
  observer = await bus.subscribe({
    groupId: 'observer',
    topics: [topics.operations, topics.config],
    handleBatch: async (batch) => {
      for (const m of batch.messages) (m.topic === topics.operations ? operations : configChanges).push(decodeJson(m.value) as never);
    },
  });
  for (const id of ['wh_1', 'wh_2']) {
    await store.webhooks.upsert({
      id, account: ACC, name: id, url: `${receiver.url}/${id}`, method: 'POST', active: true, eventTypes: [], auth: { type: 'none' }, headers: {},
      secret: newSigningSecret(), dedupWindowSeconds: 0, createdAt: new Date(), updatedAt: new Date(), ...hook,
    });
  }
  service = createDeliveryService({
    bus, store, sender, topics, logger: silentLogger(), plugins: await loadPlugins(), pollIntervalMs: 50,
    // No retries: each delivery ends with its first attempt.
    settings: { timeoutMs: 2_000, retryPolicy: { schedule: [], jitter: 0 } },
    health: { disableAfterFailures: 3, disableAfterMs: 0 },
    ...options,
  });
  await service.start();
}

/** Publishes the job and waits until its delivery ended. */
async function deliver(j: DeliveryJob): Promise<string> {
  await bus.publish(topics.deliveries, [{ key: j.event.entity.id, value: encodeJson(j) }]);
  let status = '';
  await eventually(async () => {
    status = (await store.deliveries.get(ACC, j.deliveryId))?.status ?? '';
    return status !== '' && status !== 'pending';
  }, `delivery ${j.deliveryId} to end`);
  return status;
}

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('endpoint health in the delivery engine', () => {
  it('disables a webhook after N consecutive failed deliveries, once, and sends it nothing more', async () => {
    await setup((_id, r) => (r.path === '/wh_1' ? 500 : 200));
    expect(await deliver(job('evt_1'))).toBe('failed');
    expect(await deliver(job('evt_2'))).toBe('failed');
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    expect(await deliver(job('evt_3'))).toBe('failed');
    await eventually(async () => !(await store.webhooks.get(ACC, 'wh_1'))!.active, 'the webhook to be disabled');
    const w = (await store.webhooks.get(ACC, 'wh_1'))!;
    expect(w.disabledReason).toMatch(/^3 consecutive deliveries failed over .*; the last error: http_status/);
    expect(w.disabledAt).toBeInstanceOf(Date);
    await eventually(() => operations.length > 0, 'the webhook.disabled event');
    // A job the matcher had sent before it heard of the change: cancelled, not sent.
    const before = receiver.received.length;
    expect(await deliver(job('evt_4'))).toBe('cancelled');
    expect((await store.deliveries.get(ACC, job('evt_4').deliveryId))!.lastError).toContain('disabled');
    expect(receiver.received.length).toBe(before);
    // The other webhook is not touched.
    expect(await deliver(job('evt_5', 'wh_2'))).toBe('succeeded');
    await settle();
    expect(operations).toEqual([{ type: 'webhook.disabled', account: ACC, webhookId: 'wh_1', reason: w.disabledReason, at: w.disabledAt!.toISOString() }]);
    expect(configChanges).toEqual([expect.objectContaining({ kind: 'webhook', id: 'wh_1' })]);
  });

  it('counts consecutive failures only: a success in between starts the count again', async () => {
    const succeeding = new Set([job('evt_ok').deliveryId]);
    await setup((id) => (succeeding.has(id) ? 200 : 500));
    for (const e of ['evt_1', 'evt_2']) expect(await deliver(job(e))).toBe('failed');
    expect(await deliver(job('evt_ok'))).toBe('succeeded');
    for (const e of ['evt_3', 'evt_4']) expect(await deliver(job(e))).toBe('failed');
    await settle();
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    expect(operations).toEqual([]);
    expect(await deliver(job('evt_5'))).toBe('failed');
    await eventually(async () => !(await store.webhooks.get(ACC, 'wh_1'))!.active, 'the webhook to be disabled');
  });

  it('counts only deliveries that failed for good, not attempts that will be retried', async () => {
    await setup(() => 500, { settings: { timeoutMs: 2_000, retryPolicy: { schedule: [0.05, 0.05, 0.05, 0.05], jitter: 0 } } });
    expect(await deliver(job('evt_1'))).toBe('failed');
    expect(await store.attempts.listForDelivery(ACC, job('evt_1').deliveryId)).toHaveLength(5);
    expect(await store.webhookHealth.get(ACC, 'wh_1')).toMatchObject({ consecutiveFailures: 1 });
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
  });

  it('disables at once when the endpoint answers 410 Gone, cancelling the webhook\'s pending retries', async () => {
    const retrying = job('evt_retrying');
    await setup((id) => (id === retrying.deliveryId ? 503 : 410), { settings: { timeoutMs: 2_000, retryPolicy: { schedule: [60], jitter: 0 } } });
    // One delivery waits for its retry in a minute...
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(retrying) }]);
    await eventually(async () => (await store.deliveries.get(ACC, retrying.deliveryId))?.attempts === 1, 'the first attempt');
    expect((await store.deliveries.get(ACC, retrying.deliveryId))!.status).toBe('pending');
    // ...when another gets 410.
    expect(await deliver(job('evt_gone'))).toBe('failed');
    await eventually(async () => !(await store.webhooks.get(ACC, 'wh_1'))!.active, 'the webhook to be disabled');
    expect(await store.webhooks.get(ACC, 'wh_1')).toMatchObject({ active: false, disabledReason: GONE_REASON });
    expect((await store.deliveries.get(ACC, retrying.deliveryId))!.status).toBe('cancelled');
    await eventually(() => operations.length > 0, 'the webhook.disabled event');
    await settle();
    expect(operations).toEqual([expect.objectContaining({ type: 'webhook.disabled', webhookId: 'wh_1', reason: GONE_REASON })]);
  });

  it('does not count failures on Herald\'s side (a payload that cannot be rendered) against the endpoint', async () => {
    await setup(() => 200);
    for (const e of ['evt_1', 'evt_2', 'evt_3', 'evt_4']) expect(await deliver({ ...job(e), schemaId: 'sch_deleted' })).toBe('failed');
    expect(receiver.received).toHaveLength(0);
    await settle();
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    expect(await store.webhookHealth.get(ACC, 'wh_1')).toEqual({ consecutiveFailures: 0, failingSince: null });
    expect(operations).toEqual([]);
  });

  it('does not count a target the SSRF guard refuses against the endpoint: each such delivery fails after its one attempt, and the webhook stays enabled', async () => {
    // Only 127.0.0.1 is allowed; the webhooks point at 127.0.0.2, refused before any connection.
    const guarded = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
    try {
      await setup(() => 200, { sender: guarded, settings: { timeoutMs: 2_000, retryPolicy: { schedule: [0.05, 0.05, 0.05], jitter: 0 } } }, { url: 'http://127.0.0.2:9/refused' });
      for (const e of ['evt_1', 'evt_2', 'evt_3', 'evt_4']) expect(await deliver(job(e))).toBe('failed');
      for (const e of ['evt_1', 'evt_2', 'evt_3', 'evt_4']) {
        const attempts = await store.attempts.listForDelivery(ACC, job(e).deliveryId);
        expect(attempts.map((a) => a.error?.class)).toEqual(['ssrf_blocked']);
        expect((await store.deliveries.get(ACC, job(e).deliveryId))!.lastError).toMatch(/^ssrf_blocked: 127\.0\.0\.2 is a loopback address .*a configuration error, not retried: the target is not allowed \(see HERALD_ALLOWED_TARGETS\)/);
      }
      await settle();
      expect(receiver.received).toHaveLength(0);
      // Four failed deliveries, the threshold three: still enabled, the health untouched.
      expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
      expect(await store.webhookHealth.get(ACC, 'wh_1')).toEqual({ consecutiveFailures: 0, failingSince: null });
      expect(operations).toEqual([]);
    } finally {
      await service?.stop();
      await guarded.close();
    }
  });

  it('never disables with disableAfterFailures 0', async () => {
    await setup(() => 500, { health: { disableAfterFailures: 0 } });
    for (const e of ['evt_1', 'evt_2', 'evt_3', 'evt_4']) expect(await deliver(job(e))).toBe('failed');
    await settle();
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    expect(operations).toEqual([]);
  });
});
