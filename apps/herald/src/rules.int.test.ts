/**
 * Routing on the real services (issue 5): the Norwegian seed's event rule, de-duplication
 * within a webhook's window, and a matcher killed (SIGKILL) mid-stream that loses no job. The
 * matcher runs as its own process (`herald matcher`), as deployed; the config-api and the
 * delivery engine run in this process over the same Kafka and MongoDB.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor, entityKey, topicNames, type EventEnvelope } from '@herald/core';
import { createKafkaBus, encodeJson, type Bus } from '@herald/bus';
import { createMongoStore, type Store } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, TargetGuard } from '@herald/transport';
import { createHeraldClient } from '@herald/api-spec';
import { createConfigApi } from '@herald/config-api';
import { createDeliveryService, type DeliveryService } from '@herald/delivery';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';
import { startApp, type AppProcess } from '../../../test/app-process.ts';

const OPERATOR = 'rules-operator-token-0123456789';
const name = uniqueName('rules').replace(/[^a-zA-Z0-9-]/g, '-');
const dbName = name.replace(/-/g, '_');
const topics = topicNames(`${name}.`);
const encryptionKey = randomBytes(32);
const WINDOW_S = 3;
const matcherEnv: Record<string, string> = {
  KAFKA_BROKERS: kafkaBrokers().join(','),
  MONGODB_URI: `${mongoUri().replace(/\/+$/, '')}/${dbName}`,
  HERALD_ENCRYPTION_KEY: encryptionKey.toString('hex'),
  HERALD_TOPIC_PREFIX: `${name}.`,
  HERALD_TOPIC_PARTITIONS: '3',
  HERALD_MATCHER_GROUP: `${name}-matcher`,
  HERALD_CONFIG_CACHE_TTL_MS: '600000',
  LOG_LEVEL: 'silent',
};

let bus: Bus;
let store: Store;
let server: Server;
let delivery: DeliveryService;
let sender: HttpSender;
let matcher: AppProcess;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let accountId: string;
let testWebhook: string;
let message1: string;

const at = (path: string) => receiver.received.filter((r) => r.path === path);

function event(id: string, type: string, ticket: string, data: Record<string, unknown>, previous?: Record<string, unknown>): EventEnvelope {
  return {
    id, type, account: accountId, entity: { type: 'ticket', id: ticket }, action: 'update', occurredAt: new Date().toISOString(),
    data: { ref: `T-${ticket}`, ...data }, ...(previous ? { previous } : {}),
  };
}
const produce = (...events: EventEnvelope[]) => bus.publish(topics.events, events.map((e) => ({ key: entityKey(e), value: encodeJson(e) })));

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200 }));
  bus = createKafkaBus({ brokers: kafkaBrokers(), clientId: name });
  store = createMongoStore({ uri: mongoUri(), dbName, encryptionKey });
  await store.init();
  await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 3 })));
  const plugins = await loadPlugins();
  const app = createConfigApi({ bus, store, logger: silentLogger(), topics, plugins, adminToken: OPERATOR });
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The configuration, made the way a customer makes it: through the API.
  const operator = createHeraldClient({ baseUrl, apiKey: OPERATOR });
  accountId = (await operator.POST('/v1/accounts', { body: { name: 'Seed customer' } })).data!.id;
  const key = (await operator.POST('/v1/api-keys', { body: { account: accountId, role: 'admin', name: 'setup' } })).data!.key;
  const ticketSchema = { type: 'object', properties: { ref: { type: 'string' }, priority: { type: 'string' }, status: { type: 'string' } } };
  for (const type of ['ticket.priority_changed', 'ticket.status_changed']) {
    await operator.POST('/v1/event-types', { body: { name: type, description: type, schema: ticketSchema, example: { ref: 'T-1', priority: 'high', status: 'open' } } });
  }
  const admin = createHeraldClient({ baseUrl, apiKey: key });
  testWebhook = (await admin.POST('/v1/webhooks', { body: { name: 'Test Webhook', url: `${receiver.url}/test`, dedupWindowSeconds: WINDOW_S } })).data!.id;
  await admin.POST('/v1/webhooks', { body: { name: 'Every status', url: `${receiver.url}/bulk`, eventTypes: ['ticket.status_changed'], dedupWindowSeconds: 0 } });
  message1 = (await admin.POST('/v1/schemas', { body: { name: 'Message 1', contentType: 'text/plain', body: '{\n  Hello\n}', eventTypes: ['ticket.priority_changed'] } })).data!.id;
  const group = await admin.POST('/v1/rule-groups', {
    body: {
      name: 'Tickets',
      rules: [{
        name: 'Ticket Event is equal to Priority Changed',
        match: 'all',
        conditions: [{ field: 'type', op: 'equals', value: 'ticket.priority_changed' }],
        actions: [{ webhook: testWebhook, schema: message1 }],
      }],
    },
  });
  expect(group.response.status).toBe(201);

  sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
  delivery = createDeliveryService({ bus, store, sender, plugins, logger: silentLogger(), topics, groupId: `${name}-delivery`, pollIntervalMs: 200 });
  await delivery.start();
  matcher = await startApp('matcher', matcherEnv);
});

afterAll(async () => {
  await matcher?.kill('SIGTERM');
  await delivery?.stop();
  server?.closeAllConnections();
  if (server) await new Promise((r) => server.close(r));
  await sender?.close();
  await bus?.close();
  await receiver?.close();
  await store?.close();
});

describe('event rules and de-duplication on Kafka and MongoDB', () => {
  it('sends "Message 1" to Test Webhook for a priority change, and nothing for other changes', async () => {
    await produce(
      event('evt_prio_1', 'ticket.priority_changed', '1042', { priority: 'high' }, { priority: 'low' }),
      event('evt_status_1', 'ticket.status_changed', '7', { status: 'closed' }, { status: 'open' }),
    );
    await eventually(() => at('/test').length === 1 && at('/bulk').length === 1, 'Message 1 and the status webhook', 60_000);
    expect(at('/test')[0]!.body).toBe('{\n  Hello\n}');
    expect(at('/test')[0]!.headers['content-type']).toBe('text/plain');
    expect(at('/test')[0]!.headers['webhook-id']).toBe(deliveryIdFor('evt_prio_1', testWebhook, message1));
    // the status change went to its subscriber only
    expect(JSON.parse(at('/bulk')[0]!.body)).toMatchObject({ event_id: 'evt_status_1' });
  });

  it('suppresses a second priority change of the same ticket within the window, naming the first; sends one after it', async () => {
    const first = deliveryIdFor('evt_prio_1', testWebhook, message1);
    await produce(event('evt_prio_2', 'ticket.priority_changed', '1042', { priority: 'urgent' }, { priority: 'high' }));
    const second = deliveryIdFor('evt_prio_2', testWebhook, message1);
    await eventually(async () => (await store.deliveries.get(accountId, second)) !== null, 'the second delivery recorded', 60_000);
    const suppressed = await store.deliveries.get(accountId, second);
    // within the window only if the first was less than WINDOW_S ago; the first test just ran
    expect(suppressed).toMatchObject({ status: 'suppressed', suppressedBy: first, attempts: 0 });
    expect(at('/test')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, WINDOW_S * 1000 + 500));
    await produce(event('evt_prio_3', 'ticket.priority_changed', '1042', { priority: 'low' }, { priority: 'urgent' }));
    await eventually(() => at('/test').length === 2, 'the change after the window', 60_000);
    expect(at('/test')[1]!.headers['webhook-id']).toBe(deliveryIdFor('evt_prio_3', testWebhook, message1));
    // another ticket is another entity: never suppressed by ticket 1042
    await produce(event('evt_prio_4', 'ticket.priority_changed', '2001', { priority: 'high' }, { priority: 'low' }));
    await eventually(() => at('/test').length === 3, 'another ticket\'s change', 60_000);
  });

  it('loses no job when the matcher is killed mid-stream and started again', async () => {
    const N = 300;
    const events = Array.from({ length: N }, (_, i) => event(`evt_bulk_${i}`, 'ticket.status_changed', `b${i}`, { status: 'open' }, { status: 'new' }));
    const bulk = () => new Set(at('/bulk').map((r) => (JSON.parse(r.body) as { event_id: string }).event_id).filter((id) => id.startsWith('evt_bulk_')));
    await produce(...events.slice(0, 100));
    await eventually(() => bulk().size >= 20, 'some of the stream delivered', 60_000);
    await matcher.kill('SIGKILL');
    await produce(...events.slice(100));
    matcher = await startApp('matcher', matcherEnv);
    await eventually(() => bulk().size === N, `all ${N} events delivered`, 120_000);
    // each exactly once at the receiver: replayed jobs carry the same delivery id
    await new Promise((r) => setTimeout(r, 1_000));
    const ids = at('/bulk').map((r) => (JSON.parse(r.body) as { event_id: string }).event_id).filter((id) => id.startsWith('evt_bulk_'));
    expect(ids).toHaveLength(N);
  });
});
