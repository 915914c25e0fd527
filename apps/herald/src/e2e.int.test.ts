/**
 * The walking skeleton against the real services: Apache Kafka and a MongoDB wire-protocol
 * server (mongo-java-server, or whatever MONGODB_URI names). An event produced to Kafka, or posted to POST /v1/events, is matched, turned
 * into a job, delivered to a local receiver with the default payload, and its attempt is
 * in MongoDB; the same event id again makes no second delivery; a bad envelope goes to the
 * dead-letter topic and the matcher moves on.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { deliveryIdFor, entityKey, topicNames, type DeliveryJob, type EventEnvelope } from '@herald/core';
import { createKafkaBus, decodeJson, encodeJson, type Bus, type ConsumedMessage } from '@herald/bus';
import { createMongoStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, newSigningSecret, TargetGuard } from '@herald/transport';
import { createConfigApi } from '@herald/config-api';
import { createMatcher, DLQ_ERROR_HEADER, type Matcher } from '@herald/matcher';
import { createDeliveryService, type DeliveryService } from '@herald/delivery';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';

const ADMIN = 'e2e-admin-token-0123456789';
const prefix = `${uniqueName('e2e')}.`;
const topics = topicNames(prefix);
const dbName = uniqueName('herald-e2e').replace(/[^a-zA-Z0-9_-]/g, '_');
const secret = newSigningSecret();

let bus: Bus;
let store: Store;
let matcher: Matcher;
let delivery: DeliveryService;
let sender: HttpSender;
let server: Server;
let api: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const dead: ConsumedMessage[] = [];
const jobs: DeliveryJob[] = [];

function event(id: string, entityId = '1042'): EventEnvelope {
  return {
    id, type: 'ticket.priority_changed', account: 'acc_e2e', entity: { type: 'ticket', id: entityId },
    action: 'update', occurredAt: new Date().toISOString(), data: { ref: `T-${entityId}`, priority: 'high' }, previous: { priority: 'low' },
  };
}

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200 }));
  bus = createKafkaBus({ brokers: kafkaBrokers(), clientId: 'herald-e2e' });
  store = createMongoStore({ uri: mongoUri(), dbName });
  await store.init();
  await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 3 })));
  await store.accounts.create({ id: 'acc_e2e', name: 'E2E', webhooksEnabled: true, createdAt: new Date(), updatedAt: new Date() });
  await store.webhooks.upsert({
    id: 'wh_e2e', account: 'acc_e2e', name: 'E2E receiver', url: `${receiver.url}/hooks`, method: 'POST', active: true,
    eventTypes: ['ticket.priority_changed'], auth: { type: 'bearer', token: 'receiver-token' }, headers: {}, secret,
    // De-duplication off: these tests send several events of one ticket on purpose.
    dedupWindowSeconds: 0, createdAt: new Date(), updatedAt: new Date(),
  });
  // The Norwegian seed's schemas, each the default schema of a webhook of its own.
  const now = new Date();
  for (const [id, body] of [['sch_message1', '{\n  Hello\n}'], ['sch_ref', 'Ticket {{ticket:ref}} is now {{ ticket : priority }}']] as const) {
    await store.schemas.upsert({ id, account: 'acc_e2e', name: id, contentType: 'text/plain', body, strict: false, eventTypes: [], createdAt: now, updatedAt: now });
    await store.webhooks.upsert({
      id: `wh_${id}`, account: 'acc_e2e', name: id, url: `${receiver.url}/${id}`, method: 'POST', active: true, eventTypes: ['ticket.commented'],
      auth: { type: 'none' }, headers: {}, secret, schema: id, dedupWindowSeconds: 60, createdAt: now, updatedAt: now,
    });
  }
  // Loopback targets outside the allow-list: the guard must refuse them before any packet. (A host
  // name resolving to a refused address is tested with an injected resolver in @herald/transport:
  // here every local name resolves to 127.0.0.1, which this allow-list admits.)
  const port = new URL(receiver.url).port;
  for (const [id, url] of [['wh_ssrf_v4', `http://127.0.0.2:${port}/x`], ['wh_ssrf_v6', `http://[::1]:${port}/x`]] as const) {
    await store.webhooks.upsert({
      id, account: 'acc_e2e', name: id, url, method: 'POST', active: true, eventTypes: ['ticket.ssrf'],
      auth: { type: 'none' }, headers: {}, secret, dedupWindowSeconds: 60, createdAt: now, updatedAt: now,
    });
  }
  // Subscribed to a type the catalog does not hold (the API refuses that; a store can hold it):
  // were such events matched, this webhook would get them.
  await store.webhooks.upsert({
    id: 'wh_undeclared', account: 'acc_e2e', name: 'undeclared', url: `${receiver.url}/undeclared`, method: 'POST', active: true, eventTypes: ['ticket.undeclared'],
    auth: { type: 'none' }, headers: {}, secret, dedupWindowSeconds: 0, createdAt: now, updatedAt: now,
  });
  await store.eventTypes.create({ name: 'ticket.ssrf', description: 'For the SSRF test', archived: false, createdAt: now, updatedAt: now });
  await store.eventTypes.create({ name: 'ticket.commented', description: 'A comment on a ticket', archived: false, createdAt: now, updatedAt: now });
  await store.eventTypes.create({
    name: 'ticket.priority_changed', description: 'A ticket changed priority', archived: false, createdAt: new Date(), updatedAt: new Date(),
    schema: { type: 'object', required: ['ref'], properties: { ref: { type: 'string' } } },
  });
  // The SSRF guard as deployed, with only the receiver's address allowed.
  sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
  matcher = createMatcher({ bus, store, logger: silentLogger(), topics, groupId: `${prefix}matcher`, cacheTtlMs: 1_000 });
  delivery = createDeliveryService({ bus, store, sender, plugins: await loadPlugins(), logger: silentLogger(), topics, groupId: `${prefix}delivery`, pollIntervalMs: 200 });
  await matcher.start();
  await delivery.start();
  await bus.subscribe({ groupId: `${prefix}dlq-probe`, topics: [topics.eventsDlq], handleBatch: async (b) => void dead.push(...b.messages) });
  await bus.subscribe({ groupId: `${prefix}jobs-probe`, topics: [topics.deliveries], handleBatch: async (b) => void jobs.push(...b.messages.map((m) => decodeJson(m.value) as DeliveryJob)) });
  const app = createConfigApi({ bus, store, logger: silentLogger(), topics, plugins: await loadPlugins(), adminToken: ADMIN });
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((r) => server.close(r));
  await matcher?.stop();
  await delivery?.stop();
  await sender?.close();
  await bus?.close();
  await receiver?.close();
  await store?.close();
});

const forEvent = (id: string) => receiver.received.filter((r) => r.path === '/hooks' && (JSON.parse(r.body) as { event_id: string }).event_id === id);

describe('walking skeleton on real Kafka and MongoDB', () => {
  it('delivers an event produced to Kafka once, with the default payload, and logs the attempt in MongoDB', async () => {
    const e = event('evt_kafka_1');
    await bus.publish(topics.events, [{ key: entityKey(e), value: encodeJson(e) }]);
    await eventually(() => forEvent(e.id).length === 1, 'the webhook at the receiver', 60_000);

    const got = forEvent(e.id)[0]!;
    expect(JSON.parse(got.body)).toEqual({
      event_id: e.id, event_type: e.type, occurred_at: e.occurredAt, entity_id: '1042', entity_type: 'ticket',
      action_type: 'update', result: { ref: 'T-1042', priority: 'high' },
    });
    expect(got.headers.authorization).toBe('Bearer receiver-token');
    expect(new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>)).toBeTruthy();

    const id = deliveryIdFor(e.id, 'wh_e2e', null);
    await eventually(async () => (await store.deliveries.get('acc_e2e', id))?.status === 'succeeded', 'the delivery recorded as succeeded', 30_000);
    const attempts = await store.attempts.listForDelivery('acc_e2e', id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ number: 1, success: true, request: { url: `${receiver.url}/hooks`, method: 'POST', body: got.body }, response: { status: 200 } });
    expect(attempts[0]!.request.headers.authorization).toBe('********');
    expect(attempts[0]!.durationMs).toBeGreaterThanOrEqual(0);

    // The same event id produced again: no second delivery, no second attempt.
    await bus.publish(topics.events, [{ key: entityKey(e), value: encodeJson(e) }]);
    const marker = event('evt_kafka_marker');
    await bus.publish(topics.events, [{ key: entityKey(marker), value: encodeJson(marker) }]);
    await eventually(() => forEvent(marker.id).length === 1, 'a later event on the same key', 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(forEvent(e.id)).toHaveLength(1);
    expect(await store.attempts.listForDelivery('acc_e2e', id)).toHaveLength(1);
    expect((await store.deliveries.list('acc_e2e', { limit: 100 })).filter((d) => d.eventId === e.id)).toHaveLength(1);
  });

  it('delivers an event posted to POST /v1/events, idempotently on its id', async () => {
    const e = event('evt_http_1', '77');
    const post = () =>
      fetch(`${api}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(e) });
    const first = await post();
    expect(first.status).toBe(202);
    await eventually(() => forEvent(e.id).length === 1, 'the webhook at the receiver', 60_000);
    expect((await post()).status).toBe(202);
    const marker = event('evt_http_marker', '77');
    await bus.publish(topics.events, [{ key: entityKey(marker), value: encodeJson(marker) }]);
    await eventually(() => forEvent(marker.id).length === 1, 'a later event on the same key', 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(forEvent(e.id)).toHaveLength(1);
  });

  it('sends a bad envelope to herald.events.dlq with the reason, and goes on with the next event', async () => {
    const bad = { ...event('evt_bad_1', '5'), action: 'exploded', data: 'not an object' };
    const good = event('evt_after_bad', '5');
    await bus.publish(topics.events, [
      { key: 'acc_e2e:ticket:5', value: encodeJson(bad) },
      { key: 'acc_e2e:ticket:5', value: Buffer.from('this is not json') },
      { key: 'acc_e2e:ticket:5', value: encodeJson({ ...event('evt_bad_data', '5'), data: { ref: 5 } }) },
      { key: 'acc_e2e:ticket:5', value: encodeJson(good) },
    ]);
    await eventually(() => forEvent(good.id).length === 1, 'the good event after the bad ones', 60_000);
    await eventually(() => dead.length >= 3, 'three messages on the dead-letter topic', 30_000);
    const reasons = dead.map((m) => JSON.parse(m.headers[DLQ_ERROR_HEADER]!) as { field: string; message: string }[]);
    expect(reasons[0]).toEqual(
      expect.arrayContaining([
        { field: '/action', message: 'must be one of new, update, delete' },
        { field: '/data', message: 'must be a JSON object' },
      ]),
    );
    expect(reasons[1]![0]!.message).toMatch(/not valid JSON/);
    expect(reasons[2]).toEqual([{ field: '/data/ref', message: 'must be string' }]);
    expect(forEvent('evt_bad_data')).toHaveLength(0);
    expect((decodeJson(dead[0]!.value) as { id: string }).id).toBe('evt_bad_1');
    expect(forEvent('evt_bad_1')).toHaveLength(0);
  });

  it('sends an event of an undeclared type, or of an unknown account, to herald.events.dlq with the reason, and makes no delivery job', async () => {
    const undeclared = { ...event('evt_undeclared_1', '6'), type: 'ticket.undeclared' };
    const nobody = { ...event('evt_nobody_1', '6'), account: 'acc_nobody' };
    const good = event('evt_after_undeclared', '6');
    // One key, so one partition: once the good event is delivered, the two before it were handled.
    await bus.publish(topics.events, [undeclared, nobody, good].map((e) => ({ key: 'acc_e2e:ticket:6', value: encodeJson(e) })));
    await eventually(() => forEvent(good.id).length === 1, 'the good event after the refused ones', 60_000);
    const idOf = (m: ConsumedMessage) => {
      try {
        return (decodeJson(m.value) as { id?: string }).id;
      } catch {
        return undefined; // the earlier test's message that is not JSON
      }
    };
    const deadOf = (id: string) => dead.find((m) => idOf(m) === id);
    await eventually(() => deadOf(undeclared.id) !== undefined && deadOf(nobody.id) !== undefined, 'both on the dead-letter topic', 30_000);
    expect(JSON.parse(deadOf(undeclared.id)!.headers[DLQ_ERROR_HEADER]!)).toEqual([{ field: '/type', message: 'is not in the event type catalog' }]);
    expect(JSON.parse(deadOf(nobody.id)!.headers[DLQ_ERROR_HEADER]!)).toEqual([{ field: '/account', message: 'is not a known account' }]);
    expect(deadOf(undeclared.id)!.headers['herald-source']).toMatch(new RegExp(`^${topics.events.replace(/\./g, '\\.')}/\\d+/\\d+$`));
    // The good event's job is on herald.deliveries: the probe has read past where theirs would be.
    await eventually(() => jobs.some((j) => j.event.id === good.id), 'the good event\'s job on herald.deliveries', 30_000);
    expect(jobs.filter((j) => j.event.id === undeclared.id || j.event.id === nobody.id)).toEqual([]);
    expect(await store.deliveries.get('acc_e2e', deliveryIdFor(undeclared.id, 'wh_undeclared', null))).toBeNull();
    expect(receiver.received.filter((r) => r.path === '/undeclared')).toEqual([]);
  });

  it('sends the Norwegian seed\'s schema "Message 1" byte for byte, and {{ticket:ref}} as the ticket\'s reference', async () => {
    const e = { ...event('evt_seed_1', '1042'), type: 'ticket.commented' };
    await bus.publish(topics.events, [{ key: entityKey(e), value: encodeJson(e) }]);
    await eventually(() => receiver.received.some((r) => r.path === '/sch_message1') && receiver.received.some((r) => r.path === '/sch_ref'), 'both schema webhooks', 60_000);
    const message1 = receiver.received.filter((r) => r.path === '/sch_message1');
    expect(message1).toHaveLength(1);
    expect(message1[0]!.body).toBe('{\n  Hello\n}');
    expect(message1[0]!.headers['content-type']).toBe('text/plain');
    expect(receiver.received.find((r) => r.path === '/sch_ref')!.body).toBe('Ticket T-1042 is now high');
    const id = deliveryIdFor(e.id, 'wh_sch_message1', 'sch_message1');
    await eventually(async () => (await store.deliveries.get('acc_e2e', id))?.status === 'succeeded', 'the schema delivery recorded', 30_000);
    expect((await store.attempts.listForDelivery('acc_e2e', id))[0]!.request.body).toBe('{\n  Hello\n}');
  });

  it('refuses targets outside the allow-list before connecting, logging ssrf_blocked, and fails the delivery at once', async () => {
    const before = receiver.received.length;
    const e = { ...event('evt_ssrf_1', '9'), type: 'ticket.ssrf' };
    await bus.publish(topics.events, [{ key: entityKey(e), value: encodeJson(e) }]);
    for (const [webhookId, address] of [['wh_ssrf_v4', '127.0.0.2'], ['wh_ssrf_v6', '::1']] as const) {
      const id = deliveryIdFor(e.id, webhookId, null);
      await eventually(async () => (await store.attempts.listForDelivery('acc_e2e', id)).length >= 1, `an attempt for ${webhookId}`, 30_000);
      await eventually(async () => (await store.deliveries.get('acc_e2e', id))?.status !== 'pending', `the delivery for ${webhookId} to end`, 30_000);
      const [attempt] = await store.attempts.listForDelivery('acc_e2e', id);
      expect(attempt!.error?.class, webhookId).toBe('ssrf_blocked');
      expect(attempt!.error?.message).toContain(address);
      expect(attempt!.success).toBe(false);
      // A configuration error: no retry can help, so none is scheduled.
      expect(await store.deliveries.get('acc_e2e', id)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null, lastError: expect.stringContaining('a configuration error') });
    }
    expect(receiver.received.length).toBe(before);
  });
});
