/**
 * The Test button (F6) through the API: a loopback receiver (allow-listed, as an operator would
 * allow-list it) gets the test message, signed and authenticated as a delivery would be, and the
 * answer shows the request (secrets masked) and the response, logged as a test delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { startReceiver } from '../../../test/receiver.ts';
import { startApiFixture } from './testing/api-fixture.ts';

type Fixture = Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Fixture['account']>>;
type Attempt = {
  number: number;
  request: { url: string; method: string; headers: Record<string, string>; body: string };
  response?: { status: number; headers: Record<string, string>; body: string; truncated: boolean };
  error?: { class: string; message: string };
  success: boolean;
};
type Detail = Record<string, unknown> & { id: string; status: string; attemptCount: number; test?: boolean; attempts: Attempt[]; event: Record<string, unknown> };
type Problem = { status: number; code: string; detail: string; errors?: { field: string; message: string }[] };

const TOKEN = 'receiver-bearer-token-0042';
const HEADER_SECRET = 'x-api-key-value-0042';

let api: Fixture;
let acme: Acc;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver((r): { status: number; body: string; headers?: Record<string, string> } => {
    if (r.path.startsWith('/fail')) return { status: 500, body: 'broken', headers: { 'x-receiver': 'yes' } };
    if (r.path.startsWith('/gone')) return { status: 410, body: 'gone' };
    return { status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json', 'x-receiver': 'yes' } };
  });
  api = await startApiFixture();
  acme = await api.account('Acme Tests');
  await api.operator.POST('/v1/event-types', { body: { name: 'ticket.priority_changed', description: 'd', example: { ref: 'T-1042', priority: 'high' } } });
  await api.operator.POST('/v1/event-types', { body: { name: 'user.created', description: 'd', example: { id: 'u-7', email: 'ada@example.com' } } });
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
});

async function post(path: string, body: unknown, key = acme.adminKey.key): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(api.baseUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

async function get(path: string, key = acme.adminKey.key): Promise<any> {
  const res = await fetch(api.baseUrl + path, { headers: { authorization: `Bearer ${key}` } });
  return res.json();
}

async function createWebhook(body: Record<string, unknown>): Promise<string> {
  const r = await post('/v1/webhooks', { name: 'Test target', url: `${receiver.url}/hooks`, eventTypes: ['ticket.priority_changed'], ...body });
  expect(r.status, r.text).toBe(201);
  return r.json.id as string;
}

async function test(webhookId: string, body: Record<string, unknown> = {}): Promise<Detail> {
  const r = await post(`/v1/webhooks/${webhookId}/test`, body);
  expect(r.status, r.text).toBe(200);
  return r.json.delivery as Detail;
}

describe('POST /v1/webhooks/{id}/test (the Test button, F6)', () => {
  it('sends action_type test with the catalog example now, signed and authenticated, and answers the request (masked) and the response', async () => {
    const webhookId = await createWebhook({ auth: { type: 'bearer', token: TOKEN }, headers: { 'X-Source': 'herald', 'X-Api-Key': HEADER_SECRET } });
    const before = receiver.received.length;
    const d = await test(webhookId);

    // What the receiver got, at once (the answer came after it).
    expect(receiver.received.length).toBe(before + 1);
    const got = receiver.received.at(-1)!;
    expect(got.path).toBe('/hooks');
    expect(got.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(got.headers['x-source']).toBe('herald');
    expect(got.headers['webhook-id']).toBe(d.id);
    const payload = JSON.parse(got.body);
    expect(payload).toMatchObject({ action_type: 'test', event_type: 'ticket.priority_changed', entity_type: 'ticket', entity_id: 'sample', result: { ref: 'T-1042', priority: 'high' } });
    // The signature verifies with the public Standard Webhooks library and the webhook's secret.
    const { secret } = await get(`/v1/webhooks/${webhookId}/secret`);
    expect(new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>)).toBeTruthy();

    // The answer: the test delivery with its one attempt.
    expect(d).toMatchObject({ webhookId, schemaId: null, eventType: 'ticket.priority_changed', status: 'succeeded', attemptCount: 1, nextAttemptAt: null, test: true });
    expect(d.event).toMatchObject({ type: 'ticket.priority_changed', account: acme.id, data: { ref: 'T-1042', priority: 'high' } });
    expect(d.attempts).toHaveLength(1);
    const a = d.attempts[0]!;
    expect(a).toMatchObject({ number: 1, success: true, request: { url: `${receiver.url}/hooks`, method: 'POST', body: got.body } });
    expect(a.request.headers).toMatchObject({ authorization: '********', 'x-api-key': '********', 'x-source': 'herald', 'webhook-id': d.id, 'content-type': 'application/json' });
    expect(a.request.headers['webhook-signature']).toBe(got.headers['webhook-signature']);
    expect(a.response).toMatchObject({ status: 200, body: '{"ok":true}', truncated: false, headers: { 'x-receiver': 'yes' } });
    expect(a).not.toHaveProperty('error');
    const everything = JSON.stringify(d);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(HEADER_SECRET);
    expect(everything).not.toContain(secret);

    // Logged as a test delivery: the log shows exactly what the answer showed.
    expect(await get(`/v1/deliveries/${d.id}`)).toEqual(d);
    const last = await get(`/v1/webhooks/${webhookId}/deliveries`);
    expect(last.data.map((x: { id: string; test?: boolean }) => [x.id, x.test])).toEqual([[d.id, true]]);
    expect(await api.store.deliveries.get(acme.id, d.id)).toMatchObject({ test: true, status: 'succeeded', attempts: 1, nextAttemptAt: null, leaseUntil: null });
  });

  it('tests an inactive webhook too', async () => {
    const webhookId = await createWebhook({ active: false });
    const d = await test(webhookId);
    expect(d).toMatchObject({ status: 'succeeded', test: true });
    expect(JSON.parse(receiver.received.at(-1)!.body).action_type).toBe('test');
  });

  it('takes the event type and schema asked for, the webhook\'s schema by default, and null for the default payload', async () => {
    const schema = await post('/v1/schemas', { name: 'JSON', contentType: 'application/json', body: '{ "kind": "{{ action_type }}", "type": "{{ event.type }}", "hook": "{{ webhook.name }}" }' });
    expect(schema.status, schema.text).toBe(201);
    const webhookId = await createWebhook({ schema: schema.json.id, eventTypes: ['ticket.priority_changed', 'user.created'] });

    const byDefault = await test(webhookId);
    expect(byDefault.schemaId).toBe(schema.json.id);
    expect(JSON.parse(receiver.received.at(-1)!.body)).toEqual({ kind: 'test', type: 'ticket.priority_changed', hook: 'Test target' });

    const other = await test(webhookId, { eventType: 'user.created' });
    expect(other).toMatchObject({ eventType: 'user.created', entity: { type: 'user', id: 'u-7' } });
    expect(JSON.parse(receiver.received.at(-1)!.body)).toEqual({ kind: 'test', type: 'user.created', hook: 'Test target' });

    const plain = await test(webhookId, { eventType: 'user.created', schemaId: null });
    expect(plain.schemaId).toBeNull();
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ action_type: 'test', entity_type: 'user', entity_id: 'u-7', result: { id: 'u-7', email: 'ada@example.com' } });
  });

  it('sends the account\'s own data as a herald.test event when the webhook subscribes to no event type', async () => {
    const webhookId = await createWebhook({ eventTypes: [] });
    const d = await test(webhookId);
    expect(d).toMatchObject({ eventType: 'herald.test', entity: { type: 'account', id: acme.id }, status: 'succeeded' });
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({
      event_type: 'herald.test', entity_type: 'account', entity_id: acme.id, action_type: 'test', result: { id: acme.id, name: 'Acme Tests' },
    });
  });

  it('answers a failed test with its response, final at once: a test is never retried', async () => {
    const webhookId = await createWebhook({ url: `${receiver.url}/fail`, retry: { schedule: [1, 1, 1] } });
    const d = await test(webhookId);
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null, test: true });
    expect(d.lastError).toMatch(/^http_status: /);
    expect(d.attempts[0]).toMatchObject({ success: false, response: { status: 500, body: 'broken' }, error: { class: 'http_status' } });
    expect(await api.store.deliveries.get(acme.id, d.id)).toMatchObject({ status: 'failed', nextAttemptAt: null });
  });

  it('does not disable a webhook whose endpoint answers 410 to a test', async () => {
    const webhookId = await createWebhook({ url: `${receiver.url}/gone` });
    const d = await test(webhookId);
    expect(d).toMatchObject({ status: 'failed', attempts: [{ response: { status: 410 } }] });
    expect((await get(`/v1/webhooks/${webhookId}`)).active).toBe(true);
  });

  it('refuses a loopback target outside the allow-list as ssrf_blocked, sending nothing, and logs it', async () => {
    const port = new URL(receiver.url).port;
    const webhookId = await createWebhook({ url: `http://127.0.0.2:${port}/hooks` });
    const before = receiver.received.length;
    const d = await test(webhookId);
    expect(receiver.received.length).toBe(before);
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1, test: true });
    expect(d.lastError).toMatch(/^ssrf_blocked: /);
    expect(d.attempts[0]).not.toHaveProperty('response');
    expect(d.attempts[0]!.error).toMatchObject({ class: 'ssrf_blocked' });
    expect(d.attempts[0]!.error!.message).toContain('127.0.0.2');
    expect((await get(`/v1/deliveries/${d.id}`)).attempts[0].error.class).toBe('ssrf_blocked');
  });

  it('answers 400 for an unknown event type or schema, 404 for an unknown webhook, 403 to a read key', async () => {
    const webhookId = await createWebhook({});
    const before = receiver.received.length;
    const badType = await post(`/v1/webhooks/${webhookId}/test`, { eventType: 'no.such.type' });
    expect(badType.status).toBe(400);
    expect((badType.json as Problem).errors).toEqual([{ field: '/eventType', message: 'is not in the event type catalog' }]);
    const badSchema = await post(`/v1/webhooks/${webhookId}/test`, { schemaId: 'sch_01M7W3EAD9KSN7H42EV56FYQF3' });
    expect(badSchema.status).toBe(400);
    expect((badSchema.json as Problem).errors).toEqual([{ field: '/schemaId', message: 'is not a schema of the account' }]);
    expect((await post('/v1/webhooks/wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H/test', {})).status).toBe(404);
    expect((await post(`/v1/webhooks/${webhookId}/test`, {}, acme.readKey.key)).status).toBe(403);
    expect(receiver.received.length).toBe(before);
  });

  it('refuses to resend a test delivery (409): test again instead', async () => {
    const webhookId = await createWebhook({});
    const d = await test(webhookId);
    const r = await post(`/v1/deliveries/${d.id}/resend`, undefined);
    expect(r.status).toBe(409);
    expect((r.json as Problem).detail).toContain('test delivery');
    expect((await api.store.deliveries.get(acme.id, d.id))?.status).toBe('succeeded');
  });
});

describe('a config-api without a sender', () => {
  it('answers 503 to the Test button, and sends nothing', async () => {
    const bare = await startApiFixture({ sender: undefined });
    try {
      const acc = await bare.account('No sender');
      const w = await acc.admin.POST('/v1/webhooks', { body: { name: 'w', url: `${receiver.url}/hooks` } });
      const before = receiver.received.length;
      const res = await fetch(`${bare.baseUrl}/v1/webhooks/${w.data!.id}/test`, {
        method: 'POST', headers: { authorization: `Bearer ${acc.adminKey.key}`, 'content-type': 'application/json' }, body: '{}',
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as Problem).code).toBe('HERALD_UNAVAILABLE');
      expect(receiver.received.length).toBe(before);
    } finally {
      await bare.close();
    }
  });
});
