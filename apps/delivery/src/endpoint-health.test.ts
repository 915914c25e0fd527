import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topicNames, type Webhook } from '@herald/core';
import { createMemoryBus, decodeJson, type Bus, type Subscription } from '@herald/bus';
import { createMemoryStore, type NewDelivery, type Store } from '@herald/store';
import { silentLogger } from '@herald/runtime';
import { EndpointHealth, GONE_REASON, describeSpan, type EndpointHealthOptions, type WebhookDisabledEvent } from './endpoint-health.ts';
import { eventually } from '../../../test/receiver.ts';

const topics = topicNames('h.');
const ACC = 'acc_1';
const T0 = new Date('2031-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;

let bus: Bus;
let store: Store;
let subscription: Subscription;
let operations: WebhookDisabledEvent[];
let configChanges: { kind: string; account: string; id: string; at: string }[];

function webhook(id: string, extra: Partial<Webhook> = {}): Webhook {
  return {
    id, account: ACC, name: id, url: 'https://example.com/hook', method: 'POST', active: true, eventTypes: [], auth: { type: 'none' }, headers: {},
    secret: 'whsec_c2VjcmV0', dedupWindowSeconds: 0, createdAt: at(-MIN), updatedAt: at(-MIN), ...extra,
  };
}

function pending(id: string, webhookId: string): NewDelivery {
  return {
    id, account: ACC, webhookId, schemaId: null, eventId: `evt_${id}`, eventType: 'ticket.updated', entity: { type: 'ticket', id: '1' },
    event: { id: `evt_${id}`, type: 'ticket.updated', account: ACC, entity: { type: 'ticket', id: '1' }, action: 'update', occurredAt: '2031-03-01T09:00:00Z', data: {} },
    status: 'pending', nextAttemptAt: at(10 * MIN),
  };
}

function health(options: Partial<EndpointHealthOptions> = {}): EndpointHealth {
  return new EndpointHealth({ store, bus, logger: silentLogger(), topics, disableAfterFailures: 3, disableAfterMs: 10 * MIN, ...options });
}

beforeEach(async () => {
  bus = createMemoryBus();
  store = createMemoryStore();
  operations = [];
  configChanges = [];
  subscription = await bus.subscribe({
    groupId: 'observer',
    topics: [topics.operations, topics.config],
    handleBatch: async (batch) => {
      for (const m of batch.messages) (m.topic === topics.operations ? operations : configChanges).push(decodeJson(m.value) as never);
    },
  });
  await store.webhooks.upsert(webhook('wh_1'));
  await store.webhooks.upsert(webhook('wh_2'));
});

afterEach(async () => {
  await subscription.stop();
  await bus.close();
  await store.close();
});

/** Lets the memory bus hand what was published to the observer. */
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('endpoint health', () => {
  it('disables a webhook after N consecutive failures spanning at least T, and says so exactly once', async () => {
    const h = health();
    // Three failures within 2 minutes: N reached, T not.
    for (const ms of [0, MIN, 2 * MIN]) expect(await h.deliveryEnded(ACC, 'wh_1', false, at(ms), 'http_status: 500')).toBe(false);
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    // The fourth, 11 minutes after the first: disabled.
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(11 * MIN), 'http_status: 503 Service Unavailable')).toBe(true);
    const w = (await store.webhooks.get(ACC, 'wh_1'))!;
    expect(w).toMatchObject({ active: false, disabledAt: at(11 * MIN), updatedAt: at(11 * MIN) });
    expect(w.disabledReason).toMatch(/^4 consecutive deliveries failed over 11 min \(since 2031-03-01T10:00:00\.000Z\); the last error: http_status: 503/);
    // More failures of deliveries that were in flight: no second announcement.
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(12 * MIN))).toBe(false);
    await eventually(() => operations.length >= 1, 'the webhook.disabled event');
    await settle();
    expect(operations).toEqual([{ type: 'webhook.disabled', account: ACC, webhookId: 'wh_1', reason: w.disabledReason, at: at(11 * MIN).toISOString() }]);
    expect(configChanges).toEqual([{ kind: 'webhook', account: ACC, id: 'wh_1', at: at(11 * MIN).toISOString() }]);
    // The other webhook is untouched.
    expect((await store.webhooks.get(ACC, 'wh_2'))!.active).toBe(true);
  });

  it('announces once when many failures past the threshold end at the same moment', async () => {
    const h = health({ disableAfterMs: 0 });
    await h.deliveryEnded(ACC, 'wh_1', false, at(0));
    await h.deliveryEnded(ACC, 'wh_1', false, at(1));
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => h.deliveryEnded(ACC, 'wh_1', false, at(2 + i))));
    expect(results.filter(Boolean)).toHaveLength(1);
    await eventually(() => operations.length >= 1, 'the webhook.disabled event');
    await settle();
    expect(operations).toHaveLength(1);
  });

  it('starts counting again after a success', async () => {
    const h = health();
    await h.deliveryEnded(ACC, 'wh_1', false, at(0));
    await h.deliveryEnded(ACC, 'wh_1', false, at(MIN));
    await h.deliveryEnded(ACC, 'wh_1', true, at(2 * MIN));
    expect(await store.webhookHealth.get(ACC, 'wh_1')).toEqual({ consecutiveFailures: 0, failingSince: null });
    // Two more failures, long after the first: 2 in a row, not 4.
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(30 * MIN))).toBe(false);
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(31 * MIN))).toBe(false);
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    // The third of the new run is at the threshold, but the run spans 2 minutes only: T counts from the run's start.
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(32 * MIN))).toBe(false);
    expect(await store.webhookHealth.get(ACC, 'wh_1')).toEqual({ consecutiveFailures: 3, failingSince: at(30 * MIN) });
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(40 * MIN))).toBe(true);
    await settle();
    expect(operations.map((e) => e.webhookId)).toEqual(['wh_1']);
  });

  it('writes a healthy webhook\'s successes at most once per cache interval, and never hides a failure', async () => {
    const h = health({ healthyCacheMs: 5_000 });
    const calls: boolean[] = [];
    const record = store.webhookHealth.recordOutcome.bind(store.webhookHealth);
    store.webhookHealth.recordOutcome = (account, id, success, when) => {
      calls.push(success);
      return record(account, id, success, when);
    };
    for (let i = 0; i < 10; i++) await h.deliveryEnded(ACC, 'wh_1', true, at(i * 100));
    expect(calls).toEqual([true]);
    await h.deliveryEnded(ACC, 'wh_1', false, at(1_000));
    await h.deliveryEnded(ACC, 'wh_1', true, at(1_100));
    expect(calls).toEqual([true, false, true]);
    expect(await store.webhookHealth.get(ACC, 'wh_1')).toEqual({ consecutiveFailures: 0, failingSince: null });
    await h.deliveryEnded(ACC, 'wh_1', true, at(7_000));
    expect(calls).toEqual([true, false, true, true]);
  });

  it('disables at once on 410 Gone, cancelling the webhook\'s pending deliveries (and only its own)', async () => {
    const h = health();
    await store.deliveries.insertMany([pending('dlv_1', 'wh_1'), pending('dlv_2', 'wh_1'), pending('dlv_3', 'wh_2')]);
    expect(await h.disable(ACC, 'wh_1', GONE_REASON, at(0))).toBe(true);
    expect(await store.webhooks.get(ACC, 'wh_1')).toMatchObject({ active: false, disabledReason: GONE_REASON, disabledAt: at(0) });
    expect((await store.deliveries.get(ACC, 'dlv_1'))!.status).toBe('cancelled');
    expect((await store.deliveries.get(ACC, 'dlv_2'))!.status).toBe('cancelled');
    expect((await store.deliveries.get(ACC, 'dlv_3'))!.status).toBe('pending');
    // Already off: nothing more happens.
    expect(await h.disable(ACC, 'wh_1', GONE_REASON, at(1))).toBe(false);
    expect(await h.disable(ACC, 'wh_404', GONE_REASON, at(1))).toBe(false);
    await eventually(() => operations.length >= 1, 'the webhook.disabled event');
    await settle();
    expect(operations).toEqual([{ type: 'webhook.disabled', account: ACC, webhookId: 'wh_1', reason: GONE_REASON, at: at(0).toISOString() }]);
  });

  it('does not disable a webhook that a person turned off', async () => {
    await store.webhooks.upsert(webhook('wh_1', { active: false }));
    const h = health({ disableAfterFailures: 1, disableAfterMs: 0 });
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(0))).toBe(false);
    expect(await store.webhooks.get(ACC, 'wh_1')).not.toHaveProperty('disabledReason');
    await settle();
    expect(operations).toEqual([]);
  });

  it('never disables with disableAfterFailures 0, and keeps no count then', async () => {
    const h = health({ disableAfterFailures: 0, disableAfterMs: 0 });
    for (let i = 0; i < 20; i++) expect(await h.deliveryEnded(ACC, 'wh_1', false, at(i * MIN))).toBe(false);
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(true);
    expect(await store.webhookHealth.get(ACC, 'wh_1')).toEqual({ consecutiveFailures: 0, failingSince: null });
  });

  it('still disables when the bus is down (the store is what counts)', async () => {
    const h = health({ disableAfterFailures: 1, disableAfterMs: 0 });
    bus.publish = async () => {
      throw new Error('Kafka is down');
    };
    expect(await h.deliveryEnded(ACC, 'wh_1', false, at(0))).toBe(true);
    expect((await store.webhooks.get(ACC, 'wh_1'))!.active).toBe(false);
  });

  it('describes spans in words', () => {
    expect([350, 42_000, 11 * MIN, 3 * 3_600_000 + 5 * MIN, 2 * 3_600_000, 86_400_000, 2 * 86_400_000 + 3 * 3_600_000].map(describeSpan)).toEqual([
      '350 ms', '42 s', '11 min', '3 h 5 min', '2 h', '1 day', '2 days 3 h',
    ]);
  });
});
