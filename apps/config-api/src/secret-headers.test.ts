/**
 * Secret headers (issue 13): a webhook's custom headers can be secret whatever its auth plugin —
 * beside Basic auth here. Write-only at the API, kept by a PATCH that does not send them, sent in
 * clear to the receiver (a loopback server), masked in the delivery log; and the 400s for the
 * names that cannot work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../../../test/receiver.ts';
import { startApiFixture } from './testing/api-fixture.ts';

type Fixture = Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Fixture['account']>>;
type Answer = { status: number; json: any; text: string };

const VAULT = 'vault-token-value-0042';
const SIGNING = 'signing-key-value-0042';
const PASSWORD = 'basic-password-0042';
const BASIC = `Basic ${Buffer.from(`ops@example.com:${PASSWORD}`).toString('base64')}`;

let api: Fixture;
let acme: Acc;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } }));
  api = await startApiFixture();
  acme = await api.account('Secret headers');
  await api.operator.POST('/v1/event-types', { body: { name: 'ticket.priority_changed', description: 'd', example: { ref: 'T-1042', priority: 'high' } } });
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
});

async function send(method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(api.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${acme.adminKey.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

const basic = { type: 'basic', username: 'ops@example.com', password: PASSWORD };

async function create(extra: Record<string, unknown>): Promise<Answer> {
  return send('POST', '/v1/webhooks', { name: 'ERP', url: `${receiver.url}/hooks`, eventTypes: ['ticket.priority_changed'], auth: basic, ...extra });
}

/** Presses Test: one real delivery to the receiver; answers what it got and the logged attempt. */
async function deliver(webhookId: string) {
  const before = receiver.received.length;
  const r = await send('POST', `/v1/webhooks/${webhookId}/test`, {});
  expect(r.status, r.text).toBe(200);
  expect(receiver.received.length).toBe(before + 1);
  const logged = await send('GET', `/v1/deliveries/${r.json.delivery.id}`);
  expect(logged.status).toBe(200);
  return { got: receiver.received.at(-1)!.headers, attempt: logged.json.attempts[0], answerText: r.text, logText: logged.text };
}

function fieldsOf(r: Answer): Array<{ field: string; message: string }> {
  expect(r.status, r.text).toBe(400);
  expect(r.json.code).toBe('HERALD_VALIDATION');
  return r.json.errors;
}

describe('secret headers beside Basic auth', () => {
  it('are write-only, kept by a PATCH without them, delivered in clear and logged masked', async () => {
    const created = await create({ headers: { 'X-Source': 'herald' }, secretHeaders: { 'X-Vault-Token': VAULT, 'X-Signing-Key': SIGNING } });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id as string;
    expect(created.json).toMatchObject({ headers: { 'X-Source': 'herald' }, secretHeaders: { 'X-Vault-Token': '********', 'X-Signing-Key': '********' }, auth: { type: 'basic', password: '********' } });
    const read = await send('GET', `/v1/webhooks/${id}`);
    expect(read.json.secretHeaders).toStrictEqual({ 'X-Vault-Token': '********', 'X-Signing-Key': '********' });
    const list = await send('GET', '/v1/webhooks');
    for (const text of [created.text, read.text, list.text]) {
      expect(text).not.toContain(VAULT);
      expect(text).not.toContain(SIGNING);
    }

    // A PATCH that does not send them keeps them.
    const renamed = await send('PATCH', `/v1/webhooks/${id}`, { name: 'ERP (renamed)', headers: { 'X-Source': 'herald-2' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json.secretHeaders).toStrictEqual({ 'X-Vault-Token': '********', 'X-Signing-Key': '********' });

    const first = await deliver(id);
    expect(first.got['x-vault-token']).toBe(VAULT);
    expect(first.got['x-signing-key']).toBe(SIGNING);
    expect(first.got['x-source']).toBe('herald-2');
    expect(first.got.authorization).toBe(BASIC);
    expect(first.attempt.request.headers).toMatchObject({ 'x-vault-token': '********', 'x-signing-key': '********', authorization: '********', 'x-source': 'herald-2' });
    for (const text of [first.answerText, first.logText]) for (const secret of [VAULT, SIGNING, PASSWORD, BASIC]) expect(text).not.toContain(secret);

    // One replaced by name, whatever its case; the other kept without being sent again.
    const replaced = await send('PATCH', `/v1/webhooks/${id}`, { secretHeaders: { 'x-vault-token': 'vault-token-rotated' } });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json.secretHeaders).toStrictEqual({ 'X-Signing-Key': '********', 'x-vault-token': '********' });
    const second = await deliver(id);
    expect(second.got['x-vault-token']).toBe('vault-token-rotated');
    expect(second.got['x-signing-key']).toBe(SIGNING);

    // Removed by name; a plain header turned secret (sent in secretHeaders, and headers without it).
    const removed = await send('PATCH', `/v1/webhooks/${id}`, { removeSecretHeaders: ['X-SIGNING-KEY'], headers: {}, secretHeaders: { 'X-Source': 'now-secret' } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json.headers).toStrictEqual({});
    expect(removed.json.secretHeaders).toStrictEqual({ 'x-vault-token': '********', 'X-Source': '********' });
    const third = await deliver(id);
    expect(third.got).not.toHaveProperty('x-signing-key');
    expect(third.got['x-source']).toBe('now-secret');
    expect(third.attempt.request.headers['x-source']).toBe('********');

    // The last one removed: the answer has none.
    const none = await send('PATCH', `/v1/webhooks/${id}`, { removeSecretHeaders: ['x-vault-token', 'X-Source'] });
    expect(none.status, none.text).toBe(200);
    expect(none.json).not.toHaveProperty('secretHeaders');
    expect((await api.store.webhooks.get(acme.id, id))).not.toHaveProperty('secretHeaders');
  });

  it('leaves a webhook stored without secret headers as it was: read, changed and delivered unchanged', async () => {
    const created = await create({ headers: { 'X-Source': 'herald' } });
    expect(created.status, created.text).toBe(201);
    expect(created.json).not.toHaveProperty('secretHeaders');
    const stored = await api.store.webhooks.get(acme.id, created.json.id);
    expect(stored).not.toHaveProperty('secretHeaders');
    const patched = await send('PATCH', `/v1/webhooks/${created.json.id}`, { description: 'changed' });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).not.toHaveProperty('secretHeaders');
    const { got, attempt } = await deliver(created.json.id);
    expect(got.authorization).toBe(BASIC);
    expect(got['x-source']).toBe('herald');
    expect(attempt.request.headers['x-source']).toBe('herald');
  });
});

describe('secret headers that cannot work are a 400 naming the header', () => {
  it('refuses names Herald sets itself, as it refuses them among the plain headers', async () => {
    const plain = fieldsOf(await create({ headers: { 'Content-Type': 'text/plain' } }));
    const secret = fieldsOf(await create({ secretHeaders: { 'Content-Type': 'text/plain', 'webhook-signature': 'v1,forged', 'Webhook-Id': 'x', 'WEBHOOK-TIMESTAMP': '1' } }));
    expect(plain).toEqual([{ field: '/headers/Content-Type', message: 'is not an allowed name' }]);
    expect(secret).toEqual(
      expect.arrayContaining(['Content-Type', 'webhook-signature', 'Webhook-Id', 'WEBHOOK-TIMESTAMP'].map((n) => ({ field: `/secretHeaders/${n}`, message: plain[0]!.message }))),
    );
    expect(secret).toHaveLength(4);
  });

  it('refuses a header the auth plugin sets, plain or secret, and an auth changed onto a stored one', async () => {
    expect(fieldsOf(await create({ secretHeaders: { Authorization: 'Bearer x' } }))).toEqual([
      { field: '/secretHeaders/Authorization', message: 'is set by the basic authentication (auth), which would replace it' },
    ]);
    expect(fieldsOf(await create({ headers: { authorization: 'Bearer x' } }))).toEqual([
      { field: '/headers/authorization', message: 'is set by the basic authentication (auth), which would replace it' },
    ]);
    // the headers plugin sets the headers it is configured with
    expect(fieldsOf(await create({ auth: { type: 'headers', headers: { 'X-Api-Token': 't' } }, secretHeaders: { 'x-api-token': 'u' } }))).toEqual([
      { field: '/secretHeaders/x-api-token', message: 'is set by the headers authentication (auth), which would replace it' },
    ]);
    const noAuth = await create({ auth: { type: 'none' }, secretHeaders: { Authorization: 'Token abc' } });
    expect(noAuth.status, noAuth.text).toBe(201);
    expect(fieldsOf(await send('PATCH', `/v1/webhooks/${noAuth.json.id}`, { auth: basic }))).toEqual([
      { field: '/secretHeaders/Authorization', message: 'is set by the basic authentication (auth), which would replace it' },
    ]);
  });

  it('refuses a name that is both plain and secret, twice in another case, the mask as a value, and more than 20 in all', async () => {
    expect(fieldsOf(await create({ headers: { 'X-Token': 'a' }, secretHeaders: { 'x-token': 'b' } }))).toEqual([
      { field: '/secretHeaders/x-token', message: 'is also a plain header (headers/X-Token): a header is either plain or secret' },
    ]);
    expect(fieldsOf(await create({ secretHeaders: { 'X-Token': 'a', 'x-token': 'b' } }))).toEqual([
      { field: '/secretHeaders/x-token', message: 'is the same header as X-Token (header names ignore case)' },
    ]);
    expect(fieldsOf(await create({ secretHeaders: { 'X-Token': '********' } }))).toEqual([
      { field: '/secretHeaders/X-Token', message: 'is the mask answers show: send the value itself, or leave the header out to keep the stored one' },
    ]);
    expect(fieldsOf(await create({ secretHeaders: { 'X-Token': 'a\r\nX-Injected: 1' } }))[0]!.field).toBe('/secretHeaders/X-Token');
    expect(fieldsOf(await create({ secretHeaders: { 'a/b': 'x' } }))).toEqual([{ field: '/secretHeaders/a~1b', message: 'is not an allowed name' }]);

    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-S${i}`, `v${i}`]));
    const full = await create({ secretHeaders: twenty });
    expect(full.status, full.text).toBe(201);
    const id = full.json.id as string;
    expect(fieldsOf(await send('PATCH', `/v1/webhooks/${id}`, { secretHeaders: { 'X-One-More': 'v' } }))).toEqual([
      { field: '/secretHeaders', message: 'would give the webhook 21 secret headers with the stored ones; at most 20' },
    ]);
    // a plain header sent onto a stored secret one is named where it was sent
    expect(fieldsOf(await send('PATCH', `/v1/webhooks/${id}`, { headers: { 'x-s3': 'plain' } }))).toEqual([
      { field: '/headers/x-s3', message: 'is also a secret header (secretHeaders/X-S3): a header is either plain or secret' },
    ]);
    // nothing of the refused requests was stored
    expect(Object.keys((await api.store.webhooks.get(acme.id, id))!.secretHeaders!)).toHaveLength(20);
  });

  it('refuses removing a name that is not stored or that is set in the same request, and removeSecretHeaders at create', async () => {
    const created = await create({ secretHeaders: { 'X-Token': 'a' } });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id as string;
    expect(fieldsOf(await send('PATCH', `/v1/webhooks/${id}`, { removeSecretHeaders: ['X-Token', 'X-Other'] }))).toEqual([
      { field: '/removeSecretHeaders/1', message: 'is not a secret header of the webhook' },
    ]);
    expect(fieldsOf(await send('PATCH', `/v1/webhooks/${id}`, { removeSecretHeaders: ['x-token'], secretHeaders: { 'X-TOKEN': 'b' } }))).toEqual([
      { field: '/removeSecretHeaders/0', message: 'is also sent in secretHeaders: either set it or remove it' },
    ]);
    expect(fieldsOf(await create({ removeSecretHeaders: ['X-Token'] }))).toEqual([{ field: '/removeSecretHeaders', message: 'is not a known field' }]);
    expect((await api.store.webhooks.get(acme.id, id))!.secretHeaders).toStrictEqual({ 'X-Token': 'a' });
  });
});
