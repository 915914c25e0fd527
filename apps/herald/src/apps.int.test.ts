/**
 * The three deployables as `herald config-api | matcher | delivery` run them (their env parsed
 * from variables, Kafka and MongoDB for real), driven only through the typed API client:
 * an operator creates an account and a key, the account a webhook, the product posts an
 * event, and the receiver gets it signed. Turning the account's plan off (a change that
 * reaches the matcher through herald.config) stops its deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createHeraldClient } from '@herald/api-spec';
import { newSigningSecret } from '@herald/transport';
import { readConfigApiEnv, runConfigApi, type RunningConfigApi } from '@herald/config-api';
import { readMatcherEnv, runMatcher, type RunningMatcher } from '@herald/matcher';
import { readDeliveryEnv, runDelivery, type RunningDelivery } from '@herald/delivery';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';

const OPERATOR = 'apps-operator-token-0123456789';
const name = uniqueName('apps').replace(/[^a-zA-Z0-9-]/g, '-');
const env: Record<string, string> = {
  KAFKA_BROKERS: kafkaBrokers().join(','),
  MONGODB_URI: `${mongoUri().replace(/\/+$/, '')}/${name.replace(/-/g, '_')}`,
  HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  HERALD_ADMIN_TOKEN: OPERATOR,
  HERALD_TOPIC_PREFIX: `${name}.`,
  HERALD_TOPIC_PARTITIONS: '2',
  HERALD_MATCHER_GROUP: `${name}-matcher`,
  HERALD_DELIVERY_GROUP: `${name}-delivery`,
  HERALD_CONFIG_CACHE_TTL_MS: '600000',
  HERALD_RETRY_POLL_MS: '200',
  HERALD_ALLOWED_TARGETS: '127.0.0.1/32',
  PORT: '0',
  HEALTH_PORT: '0',
  LOG_LEVEL: 'silent',
};

let api: RunningConfigApi;
let matcher: RunningMatcher;
let delivery: RunningDelivery;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200 }));
  api = await runConfigApi(readConfigApiEnv(env));
  matcher = await runMatcher(readMatcherEnv(env));
  delivery = await runDelivery(readDeliveryEnv(env));
});
afterAll(async () => {
  await delivery?.stop();
  await matcher?.stop();
  await api?.stop();
  await receiver?.close();
});

describe('herald config-api + matcher + delivery on Kafka and MongoDB', () => {
  it('refuses to start without the encryption key, naming it', () => {
    const { HERALD_ENCRYPTION_KEY: _k, ...rest } = env;
    expect(() => readMatcherEnv(rest)).toThrow(/HERALD_ENCRYPTION_KEY: is required/);
    expect(() => readDeliveryEnv({ ...env, HERALD_ENCRYPTION_KEY: 'short' })).toThrow(/HERALD_ENCRYPTION_KEY: must be 32 bytes/);
    expect(() => readDeliveryEnv({ ...env, HERALD_ALLOWED_TARGETS: '127.0.0.1/32,10.0.0.1/8' })).toThrow(/HERALD_ALLOWED_TARGETS: .*10\.0\.0\.1\/8/);
  });

  it('answers /readyz on every app', async () => {
    expect((await fetch(`http://127.0.0.1:${api.port}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${matcher.health.port}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${delivery.health.port}/readyz`)).status).toBe(200);
  });

  it('delivers an event to a webhook made through the API, and stops when the plan is turned off', async () => {
    const baseUrl = `http://127.0.0.1:${api.port}`;
    const operator = createHeraldClient({ baseUrl, apiKey: OPERATOR });
    const account = (await operator.POST('/v1/accounts', { body: { id: 'tenant-7', name: 'Tenant 7' } })).data!;
    const key = (await operator.POST('/v1/api-keys', { body: { account: account.id, role: 'admin', name: 'setup' } })).data!;
    await operator.POST('/v1/event-types', { body: { name: 'ticket.created', description: 'A ticket was created' } });
    const admin = createHeraldClient({ baseUrl, apiKey: key.key });
    const secret = newSigningSecret();
    const created = await admin.POST('/v1/webhooks', {
      body: { name: 'Receiver', url: `${receiver.url}/hooks`, eventTypes: ['ticket.created'], secret, auth: { type: 'bearer', token: 'rcv-token' } },
    });
    expect(created.response.status).toBe(201);

    const event = (id: string) => ({ id, type: 'ticket.created', account: account.id, entity: { type: 'ticket', id: '9' }, action: 'new' as const, occurredAt: new Date().toISOString(), data: { ref: 'T-9' } });
    expect((await admin.POST('/v1/events', { body: event('evt_apps_1') })).response.status).toBe(202);
    await eventually(() => receiver.received.length === 1, 'the webhook at the receiver', 60_000);
    const got = receiver.received[0]!;
    expect(got.headers.authorization).toBe('Bearer rcv-token');
    expect(new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({ event_id: 'evt_apps_1', action_type: 'new' });

    await operator.PATCH('/v1/accounts/{accountId}', { params: { path: { accountId: account.id } }, body: { webhooksEnabled: false } });
    // The matcher's cache TTL is 10 minutes here: only herald.config can have told it.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await operator.POST('/v1/events', { body: event('evt_apps_2') })).response.status).toBe(202);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id)).toEqual(['evt_apps_1']);
  });

  it('sends the config-api\'s Test button through its own SSRF guard, with HERALD_ALLOWED_TARGETS from the env', async () => {
    expect(() => readConfigApiEnv({ ...env, HERALD_ALLOWED_TARGETS: 'not a cidr/99' })).toThrow(/HERALD_ALLOWED_TARGETS/);
    expect(readConfigApiEnv(env)).toMatchObject({ HERALD_DELIVERY_TIMEOUT_MS: 15_000, HERALD_RESPONSE_BODY_LIMIT: 65_536 });
    const baseUrl = `http://127.0.0.1:${api.port}`;
    const operator = createHeraldClient({ baseUrl, apiKey: OPERATOR });
    const account = (await operator.POST('/v1/accounts', { body: { name: 'Tester' } })).data!;
    const admin = createHeraldClient({ baseUrl, apiKey: (await operator.POST('/v1/api-keys', { body: { account: account.id, role: 'admin', name: 't' } })).data!.key });
    const port = new URL(receiver.url).port;
    const allowed = (await admin.POST('/v1/webhooks', { body: { name: 'ok', url: `${receiver.url}/test-button` } })).data!;
    const blocked = (await admin.POST('/v1/webhooks', { body: { name: 'blocked', url: `http://127.0.0.2:${port}/test-button` } })).data!;
    const before = receiver.received.length;
    const ok = await admin.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId: allowed.id } }, body: {} });
    expect(ok.data!.delivery).toMatchObject({ status: 'succeeded', test: true, eventType: 'herald.test' });
    expect(receiver.received.length).toBe(before + 1);
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ action_type: 'test', entity_type: 'account', entity_id: account.id });
    const refused = await admin.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId: blocked.id } }, body: {} });
    expect(refused.data!.delivery).toMatchObject({ status: 'failed', attempts: [{ error: { class: 'ssrf_blocked' } }] });
    expect(receiver.received.length).toBe(before + 1);
  });
});
