import { afterEach, describe, expect, it } from 'vitest';
import { deliveryIdFor, topicNames, type DeliveryJob, type Webhook } from '@herald/core';
import { createMemoryBus, encodeJson, type Bus } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret } from '@herald/transport';
import { createDeliveryService, type DeliveryService } from './delivery-service.ts';
import { loadPlugins } from '@herald/runtime';
import { eventually, startReceiver } from '../../../test/receiver.ts';

const topics = topicNames('t.');
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

function job(eventId: string, webhookId = 'wh_1'): DeliveryJob {
  return {
    deliveryId: deliveryIdFor(eventId, webhookId, null), account: 'acc_1', webhookId, schemaId: null, createdAt: new Date().toISOString(),
    event: { id: eventId, type: 'ticket.created', account: 'acc_1', entity: { type: 'ticket', id: '1' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-1' } },
  };
}

async function setup(respond: Parameters<typeof startReceiver>[0], hook: Partial<Webhook> = {}, options: { configCacheMs?: number; parkAfterMs?: number } = {}) {
  bus = createMemoryBus();
  store = createMemoryStore();
  sender = new HttpSender();
  receiver = await startReceiver(respond);
  await store.webhooks.upsert({
    id: 'wh_1', account: 'acc_1', name: 'one', url: `${receiver.url}/h`, method: 'POST', active: true, eventTypes: ['ticket.created'],
    auth: { type: 'none' }, headers: {}, secret: newSigningSecret(), dedupWindowSeconds: 60, createdAt: new Date(), updatedAt: new Date(), ...hook,
  });
  service = createDeliveryService({
    bus, store, sender, topics, logger: silentLogger(), plugins: await loadPlugins(), pollIntervalMs: 50,
    settings: { timeoutMs: 1_000, retryPolicy: { schedule: [0.05, 0.05, 0.05, 0.05], jitter: 0 } },
    ...options,
  });
  await service.start();
}

describe('delivery service', () => {
  it('delivers a job once, even when the job comes twice, and logs the attempt', async () => {
    await setup(() => ({ status: 200 }));
    const j = job('evt_1');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'succeeded', 'the delivery succeeded');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
    const attempts = await store.attempts.listForDelivery('acc_1', j.deliveryId);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ number: 1, success: true, response: { status: 200 } });
  });

  it('retries a failing endpoint until it answers 2xx: 3 failures then success = 4 attempts', async () => {
    await setup((_r, n) => ({ status: n <= 3 ? 500 : 204 }));
    const j = job('evt_2');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'succeeded', 'the delivery succeeded');
    const attempts = await store.attempts.listForDelivery('acc_1', j.deliveryId);
    expect(attempts.map((a) => [a.number, a.response?.status, a.success])).toEqual([[1, 500, false], [2, 500, false], [3, 500, false], [4, 204, true]]);
    expect(receiver.received).toHaveLength(4);
  });

  it('marks a delivery failed after the last retry', async () => {
    await setup(() => ({ status: 500 }));
    const j = job('evt_3');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'failed', 'the delivery failed');
    expect(await store.attempts.listForDelivery('acc_1', j.deliveryId)).toHaveLength(5);
    expect((await store.deliveries.get('acc_1', j.deliveryId))?.nextAttemptAt).toBeNull();
  });

  it('logs every attempt of a webhook whose secret cannot sign as a `signature` error, and ends `failed` on schedule', async () => {
    await setup(() => ({ status: 200 }), { secret: 'whsec_dG9vLXNob3J0' });
    const j = job('evt_badsecret');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'failed', 'the delivery failed');
    const attempts = await store.attempts.listForDelivery('acc_1', j.deliveryId);
    expect(attempts.map((a) => [a.number, a.error?.class])).toEqual([1, 2, 3, 4, 5].map((n) => [n, 'signature']));
    expect(attempts[0]!.error?.message).toBe("the webhook's signing secret cannot be used: A signing secret must hold 16 to 64 bytes");
    expect(receiver.received).toHaveLength(0);
    // Herald's own failure: the endpoint's health is untouched.
    expect((await store.webhooks.get('acc_1', 'wh_1'))?.active).toBe(true);
  });

  it('stops the pending retries of a deleted webhook', async () => {
    await setup(() => ({ status: 500 }), {});
    const j = job('evt_4');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(() => receiver.received.length >= 1, 'the first attempt');
    // As the config-api does: delete, then announce it on herald.config.
    await store.webhooks.delete('acc_1', 'wh_1');
    await bus.publish(topics.config, [{ key: 'acc_1', value: encodeJson({ kind: 'webhook', account: 'acc_1', id: 'wh_1' }) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'cancelled', 'the delivery was cancelled');
    const n = receiver.received.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.length).toBe(n);
    expect(n).toBeLessThanOrEqual(2);
  });

  it('sends nothing more to a webhook deleted without a notice once the configuration cache has expired (the documented bound)', async () => {
    // Retries 300 ms apart: the delivery is still pending when the cached copy expires.
    await setup(() => ({ status: 500 }), { retry: { schedule: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3] } }, { configCacheMs: 400 });
    const j = job('evt_5');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(() => receiver.received.length >= 1, 'the first attempt');
    await store.webhooks.delete('acc_1', 'wh_1');
    const deletedAt = Date.now();
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'cancelled', 'the delivery was cancelled');
    // Retries go on at most until the cached copy expires (400 ms, plus one retry interval and a poll).
    const last = receiver.received.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.length).toBe(last);
    expect(Date.now() - deletedAt).toBeLessThan(5_000);
  });

  it('retries a flush that failed: the delivery is recorded once, sent once', async () => {
    await setup(() => ({ status: 200 }), { dedupWindowSeconds: 0 });
    let failures = 0;
    const insertMany = store.deliveries.insertMany.bind(store.deliveries);
    store.deliveries.insertMany = async (d, lease) => {
      if (failures < 2) {
        failures++;
        throw new Error('simulated: the database did not answer');
      }
      return insertMany(d, lease);
    };
    const j = job('evt_flaky');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'succeeded', 'the delivery succeeded');
    expect(failures).toBe(2);
    expect(receiver.received).toHaveLength(1);
    expect((await store.attempts.listForDelivery('acc_1', j.deliveryId)).map((a) => a.number)).toEqual([1]);
  });

  it('loses nothing when an instance stops between a send and its flush: the next one sends it again, with the same webhook-id', async () => {
    await setup(() => ({ status: 200 }), { dedupWindowSeconds: 0 });
    // This instance can write nothing: it sends, then its writes fail until it stops, so its batch is never committed.
    const insertMany = store.deliveries.insertMany.bind(store.deliveries);
    let broken = true;
    store.deliveries.insertMany = async (d, lease) => {
      if (broken) throw new Error('simulated: the database is gone');
      return insertMany(d, lease);
    };
    const j = job('evt_crash');
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(() => receiver.received.length === 1, 'the first send');
    await service.stop();
    expect(await store.deliveries.get('acc_1', j.deliveryId)).toBeNull();
    broken = false;
    // The next instance of the group gets the uncommitted job again.
    service = createDeliveryService({
      bus, store, sender, topics, logger: silentLogger(), plugins: await loadPlugins(), pollIntervalMs: 50,
      settings: { timeoutMs: 1_000, retryPolicy: { schedule: [0.05], jitter: 0 } },
    });
    await service.start();
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'succeeded', 'the delivery succeeded');
    expect(receiver.received).toHaveLength(2);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([j.deliveryId, j.deliveryId]);
  });

  it('parks the jobs of a webhook known to be slow before sending them, so that they hold up no later batch', async () => {
    // wh_slow answers after 700 ms (within the 1 s timeout); wh_1 at once. Both get a job of each
    // event, in the same batches.
    await setup((r) => ({ status: 200, ...(r.path === '/slow' ? { delayMs: 700 } : {}) }), { dedupWindowSeconds: 0 }, { parkAfterMs: 2_000 });
    await store.webhooks.upsert({ ...(await store.webhooks.get('acc_1', 'wh_1'))!, id: 'wh_slow', url: `${receiver.url}/slow` });
    const fastArrival = async (eventId: string) => {
      const published = Date.now();
      await bus.publish(topics.deliveries, [job(eventId, 'wh_slow'), job(eventId)].map((j) => ({ key: 'k', value: encodeJson(j) })));
      await eventually(() => receiver.received.some((r) => r.path === '/h' && r.headers['webhook-id'] === deliveryIdFor(eventId, 'wh_1', null)), `the fast delivery of ${eventId}`);
      return Date.now() - published;
    };
    // The first slow send shows the endpoint is slow; its own batch waited for it (it was not
    // known to be slow then).
    await fastArrival('evt_s0');
    await new Promise((r) => setTimeout(r, 1_000));
    // Each later batch also holds a slow job: parked at once, it no longer holds the next batch back
    // (without that, each would wait for the slow answer, 700 ms).
    const latencies: number[] = [];
    for (let i = 1; i <= 3; i++) latencies.push(await fastArrival(`evt_s${i}`));
    expect(Math.max(...latencies)).toBeLessThan(500);
    await eventually(async () => (await store.deliveries.get('acc_1', deliveryIdFor('evt_s3', 'wh_slow', null)))?.status === 'succeeded', 'the last slow delivery', 20_000);
    expect(receiver.received.filter((r) => r.path === '/slow')).toHaveLength(4);
  });

  it('parks a job whose answer is slow, the first time an endpoint is slow, so that the next batch is not held up', async () => {
    // wh_slow (never seen before) answers after 2 s; its own timeout allows 5 s.
    await setup((r) => ({ status: 200, ...(r.path === '/slow' ? { delayMs: 2_000 } : {}) }), { dedupWindowSeconds: 0 }, { parkAfterMs: 5_000 });
    await store.webhooks.upsert({ ...(await store.webhooks.get('acc_1', 'wh_1'))!, id: 'wh_slow', url: `${receiver.url}/slow`, timeoutMs: 5_000 });
    await bus.publish(topics.deliveries, [job('evt_n0', 'wh_slow'), job('evt_n0')].map((j) => ({ key: 'k', value: encodeJson(j) })));
    // The first batch is in hand (its slow request is out); the next one comes behind it.
    await eventually(() => receiver.received.some((r) => r.path === '/slow'), 'the slow request');
    const published = Date.now();
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(job('evt_n1')) }]);
    const next = deliveryIdFor('evt_n1', 'wh_1', null);
    await eventually(() => receiver.received.some((r) => r.headers['webhook-id'] === next), 'the next batch\'s delivery');
    // Without parking, the first batch would be committed only with the slow answer (2 s).
    expect(Date.now() - published).toBeLessThan(1_000);
    await eventually(async () => (await store.deliveries.get('acc_1', deliveryIdFor('evt_n0', 'wh_slow', null)))?.status === 'succeeded', 'the slow delivery', 10_000);
    expect(receiver.received.filter((r) => r.path === '/slow')).toHaveLength(1);
  });

  it('sends a job once and writes its delivery and attempt in one bulk write with the other outcomes of the moment', async () => {
    await setup(() => ({ status: 200 }), { dedupWindowSeconds: 0 });
    let deliveryWrites = 0;
    let attemptWrites = 0;
    const insertMany = store.deliveries.insertMany.bind(store.deliveries);
    store.deliveries.insertMany = async (d, lease) => {
      deliveryWrites++;
      return insertMany(d, lease);
    };
    const insertAttempts = store.attempts.insertMany.bind(store.attempts);
    store.attempts.insertMany = async (a) => {
      attemptWrites++;
      return insertAttempts(a);
    };
    const jobs = Array.from({ length: 50 }, (_, i) => job(`evt_bulk_${i}`));
    await bus.publish(topics.deliveries, jobs.map((j) => ({ key: 'k', value: encodeJson(j) })));
    await eventually(async () => {
      for (const j of jobs) if ((await store.deliveries.get('acc_1', j.deliveryId))?.status !== 'succeeded') return false;
      return true;
    }, 'all 50 succeeded');
    expect(receiver.received).toHaveLength(50);
    for (const j of jobs) expect((await store.attempts.listForDelivery('acc_1', j.deliveryId)).map((a) => [a.number, a.success])).toEqual([[1, true]]);
    // Far fewer writes than deliveries (the writer flushes every few ms or 500 records).
    expect(deliveryWrites).toBeLessThanOrEqual(10);
    expect(attemptWrites).toBeLessThanOrEqual(10);
  });
});
