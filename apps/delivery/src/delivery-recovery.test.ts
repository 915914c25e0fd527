/**
 * An outcome that could not be recorded after its attempt was logged (a crash, or a store error,
 * between the two writes): the next holder of the lease records it instead of sending the
 * delivery again at every lease.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryIdFor, HeraldError, topicNames, type DeliveryJob } from '@herald/core';
import { createMemoryBus, encodeJson, type Bus } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret } from '@herald/transport';
import { createDeliveryService, type DeliveryService } from './delivery-service.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';

const topics = topicNames('rec.');
let bus: Bus;
let store: Store;
let sender: HttpSender;
let service: DeliveryService | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

afterEach(async () => {
  await service?.stop();
  await sender?.close();
  await receiver?.close();
  await bus?.close();
  await store?.close();
});

describe('an outcome left unrecorded', () => {
  it.each([
    // The first attempt fails (500), so the delivery is in the store, retried under a lease; the
    // outcome of that retry (attempt 2) is the one left unrecorded.
    ['the receiver acknowledged both sends', [500, 200, 200], [[1, false], [2, true], [3, true]]],
    ['the receiver acknowledged the first send only', [500, 200, 500], [[1, false], [2, true], [3, false]]],
    ['the receiver acknowledged the resend only', [500, 500, 200], [[1, false], [2, false], [3, true]]],
  ] as const)('ends the delivery `succeeded` after one resend, logged as an attempt of its own (%s)', async (_name, statuses, logged) => {
    bus = createMemoryBus();
    store = createMemoryStore();
    sender = new HttpSender();
    receiver = await startReceiver((_r, n) => ({ status: statuses[n - 1] ?? 500 }));
    await store.webhooks.upsert({
      id: 'wh_1', account: 'acc_1', name: 'one', url: `${receiver.url}/h`, method: 'POST', active: true, eventTypes: [], auth: { type: 'none' }, headers: {},
      secret: newSigningSecret(), dedupWindowSeconds: 0, createdAt: new Date(), updatedAt: new Date(),
    });
    // The first outcome of an attempt fails to be written (a transient store error).
    let failed = 0;
    const complete = store.deliveries.complete.bind(store.deliveries);
    store.deliveries.complete = async (account, id, owner, outcome) => {
      if (outcome.attempts > 0 && failed === 0) {
        failed++;
        throw new HeraldError('HERALD_UNAVAILABLE', 'simulated connection reset');
      }
      return complete(account, id, owner, outcome);
    };
    service = createDeliveryService({
      bus, store, sender, topics, logger: silentLogger(), plugins: await loadPlugins(), pollIntervalMs: 50, leaseMs: 600,
      settings: { timeoutMs: 400, retryPolicy: { schedule: [0.05, 0.05], jitter: 0 } },
    });
    await service.start();
    const j: DeliveryJob = {
      deliveryId: deliveryIdFor('evt_1', 'wh_1', null), account: 'acc_1', webhookId: 'wh_1', schemaId: null, createdAt: new Date().toISOString(),
      event: { id: 'evt_1', type: 'ticket.created', account: 'acc_1', entity: { type: 'ticket', id: '1' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {} },
    };
    await bus.publish(topics.deliveries, [{ key: 'k', value: encodeJson(j) }]);
    await eventually(async () => (await store.deliveries.get('acc_1', j.deliveryId))?.status === 'succeeded', 'the delivery to succeed', 10_000);
    // Several leases later: no further sends.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(failed).toBe(1);
    expect(receiver.received).toHaveLength(3);
    expect((await store.attempts.listForDelivery('acc_1', j.deliveryId)).map((a) => [a.number, a.success])).toEqual(logged);
    expect((await store.deliveries.get('acc_1', j.deliveryId))!.attempts).toBe(3);
  });
});
