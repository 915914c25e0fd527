import { afterEach, describe, expect, it } from 'vitest';
import { deliveryIdFor, topicNames, type DeliveryJob, type Webhook } from '@herald/core';
import { createMemoryBus, encodeJson, type Bus } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret } from '@herald/transport';
import { createDeliveryService, type DeliveryService } from './delivery-service.ts';
import { createDeliveryAppMetrics } from './delivery-app-metrics.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';
import { parseExposition, valueOf, type Exposition } from '../../../test/prometheus-text.ts';

const topics = topicNames('dm.');
let bus: Bus;
let store: Store;
let service: DeliveryService;
let sender: HttpSender;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

afterEach(async () => {
  await service?.stop();
  await sender?.close();
  await receiver?.close();
  await bus?.close();
  await store?.close();
});

function job(eventId: string, webhookId: string, entityId: string, dedupWindowSeconds = 0): DeliveryJob {
  return {
    deliveryId: deliveryIdFor(eventId, webhookId, null), account: 'acc_1', webhookId, schemaId: null, createdAt: new Date().toISOString(), dedupWindowSeconds,
    event: { id: eventId, type: 'ticket.created', account: 'acc_1', entity: { type: 'ticket', id: entityId }, action: 'new', occurredAt: new Date(Date.now() - 2_000).toISOString(), data: {} },
  };
}

describe('the delivery app metrics (memory bus and store)', () => {
  it('counts each final outcome once (succeeded, failed, cancelled, suppressed), the attempts by error class, and reads backlog and lag', async () => {
    bus = createMemoryBus();
    store = createMemoryStore();
    sender = new HttpSender();
    receiver = await startReceiver((r) => ({ status: r.path === '/fail' ? 503 : 200 }));
    const hook = (id: string, path: string, extra: Partial<Webhook> = {}): Webhook => ({
      id, account: 'acc_1', name: id, url: `${receiver.url}${path}`, method: 'POST', active: true, eventTypes: ['ticket.created'],
      auth: { type: 'none' }, headers: {}, secret: newSigningSecret(), dedupWindowSeconds: 0, createdAt: new Date(), updatedAt: new Date(), ...extra,
    });
    await store.webhooks.upsert(hook('wh_ok', '/ok'));
    await store.webhooks.upsert(hook('wh_off', '/off', { active: false }));
    await store.webhooks.upsert(hook('wh_fail', '/fail', { retry: { schedule: [0.05] } }));
    const metrics = createDeliveryAppMetrics({ bus, store, groupId: 'g-delivery', deliveriesTopic: topics.deliveries, readings: { cacheMs: 100 } });
    service = createDeliveryService({
      bus, store, sender, topics, groupId: 'g-delivery', logger: silentLogger(), plugins: await loadPlugins(), pollIntervalMs: 20,
      settings: { timeoutMs: 1_000 }, metrics: metrics.delivery,
    });
    await service.start();
    await bus.publish(topics.deliveries, [
      { key: 'a', value: encodeJson(job('evt_1', 'wh_ok', '1', 60)) },
      // The same webhook and entity within the window: suppressed.
      { key: 'a', value: encodeJson(job('evt_2', 'wh_ok', '1', 60)) },
      { key: 'b', value: encodeJson(job('evt_3', 'wh_off', '2')) },
      { key: 'c', value: encodeJson(job('evt_4', 'wh_fail', '3')) },
    ]);
    const scrape = async () => parseExposition(await metrics.app.registry.metrics());
    let m!: Exposition;
    await eventually(async () => valueOf((m = await scrape()), 'herald_deliveries_total') === 4, 'four final outcomes', 10_000);
    expect([['succeeded'], ['suppressed'], ['cancelled'], ['failed']].map(([outcome]) => valueOf(m, 'herald_deliveries_total', { outcome: outcome! }))).toEqual([1, 1, 1, 1]);
    expect(valueOf(m, 'herald_delivery_attempts_total', { error_class: 'none' })).toBe(1);
    expect(valueOf(m, 'herald_delivery_attempts_total', { error_class: 'http_status' })).toBe(2);
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_count')).toBe(3);
    // Only the succeeded one, about 2 s after its event occurred.
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_count')).toBe(1);
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_sum')).toBeGreaterThanOrEqual(2);
    // Every new delivery went through the writer's bulk writes: the four, in one flush or more.
    expect(valueOf(m, 'herald_delivery_store_batch_records_sum')).toBe(4);
    expect(m.types.get('herald_delivery_retry_backlog')).toBe('gauge');
    // Nothing left pending (the reading is cached for 100 ms here: it may show the retry a moment longer).
    await eventually(async () => {
      const b = await scrape();
      return valueOf(b, 'herald_delivery_retry_backlog', { state: 'due' }) === 0 && valueOf(b, 'herald_delivery_retry_backlog', { state: 'scheduled' }) === 0;
    }, 'an empty backlog', 5_000, 50);
    expect(m.types.get('herald_consumer_lag_messages')).toBe('gauge');
    // Read at scrape time and cached (5 s by default, 100 ms here): it comes down to 0 once the batch is committed.
    await eventually(async () => valueOf(await scrape(), 'herald_consumer_lag_messages', { group: 'g-delivery', topic: topics.deliveries }) === 0, 'no lag', 10_000, 200);
  });
});
