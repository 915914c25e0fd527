/**
 * The API's strict edges (issue 13), driven as a user would, over HTTP: JSON Pointers escaped
 * as RFC 6901 says, 405 with `Allow`, 415 for anything but `application/json`, integers that are
 * integers, names without control characters or lone surrogates, `suppressedBy` on suppressed
 * deliveries, signing secrets and URLs that can work, and the statuses of the spec.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdFor, signingSecretProblem } from '@herald/core';
import { loadSpec } from '@herald/api-spec';
import { OPERATOR, startApiFixture } from './testing/api-fixture.ts';

const INGEST = 'ingest-token-strict-0123456789';
let api: Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Awaited<ReturnType<typeof startApiFixture>>['account']>>;
let acme: Acc;
let other: Acc;
let webhookId: string;
let schemaId: string;
let ruleGroupId: string;

beforeAll(async () => {
  api = await startApiFixture({ ingestToken: INGEST });
  acme = await api.account('Acme strict');
  other = await api.account('Other strict');
  await api.operator.POST('/v1/event-types', {
    body: {
      name: 'strict.thing', description: 'A thing',
      schema: { type: 'object', required: ['a/b', 'm~n'], properties: { 'a/b': { type: 'string' }, 'm~n': { type: 'string' } } },
    },
  });
  webhookId = (await acme.admin.POST('/v1/webhooks', { body: { name: 'w', url: 'https://w.example.com/hook' } })).data!.id;
  schemaId = (await acme.admin.POST('/v1/schemas', { body: { name: 's', contentType: 'text/plain', body: 'hi' } })).data!.id;
  ruleGroupId = (await acme.admin.POST('/v1/rule-groups', { body: { name: 'g', rules: [] } })).data!.id;
});
afterAll(() => api.close());

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
}

/** A raw request: `body` a string is sent as it is (so that `\ud800` escapes reach the server untouched). */
async function send(method: string, path: string, init: { token?: string | null; body?: unknown; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? acme.adminKey.key}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(api.baseUrl + path, {
    method, headers, ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Problem & Record<string, unknown>) : undefined };
}

const fieldsOf = (p: Problem | undefined) => (p?.errors ?? []).map((e) => e.field);

function expectProblem(r: Awaited<ReturnType<typeof send>>, status: number, title: string): Problem {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.json).toMatchObject({ type: 'about:blank', title, status });
  return r.json!;
}

describe('JSON Pointers in errors[].field are RFC 6901: ~ is ~0, / is ~1, in every key', () => {
  it('escapes unknown body fields (the spec validator)', async () => {
    const p = expectProblem(await send('POST', '/v1/accounts', { token: OPERATOR, body: { name: 'x', 'a/b': 1, '/data': 2, 'm~n': 3 } }), 400, 'Bad Request');
    expect(p.errors).toEqual(
      expect.arrayContaining([
        { field: '/a~1b', message: 'is not a known field' },
        { field: '/~1data', message: 'is not a known field' },
        { field: '/m~0n', message: 'is not a known field' },
      ]),
    );
    expect(fieldsOf(p)).not.toContain('//data');
    expect(fieldsOf(p)).not.toContain('/a/b');
  });

  it('escapes unknown fields of an event (the envelope validator)', async () => {
    const event = { id: 'evt_p1', type: 'strict.thing', account: acme.id, entity: { type: 't', id: '1', 'x/y': 1 }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {}, '/data': {} };
    const p = expectProblem(await send('POST', '/v1/events', { token: OPERATOR, body: event }), 400, 'Bad Request');
    expect(fieldsOf(p)).toEqual(expect.arrayContaining(['/~1data', '/entity/x~1y']));
  });

  it('escapes the missing fields of an event\'s data (the catalog schema)', async () => {
    const event = { id: 'evt_p2', type: 'strict.thing', account: acme.id, entity: { type: 't', id: '1' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {} };
    const p = expectProblem(await send('POST', '/v1/events', { token: OPERATOR, body: event }), 400, 'Bad Request');
    expect(p.errors).toEqual(expect.arrayContaining([{ field: '/data/a~1b', message: 'is required' }, { field: '/data/m~0n', message: 'is required' }]));
  });

  it('escapes the fields of an event type\'s example', async () => {
    const body = { name: 'strict.example', description: 'd', schema: { type: 'object', required: ['a/b'] }, example: {} };
    const p = expectProblem(await send('POST', '/v1/event-types', { token: OPERATOR, body }), 400, 'Bad Request');
    expect(p.errors).toEqual([{ field: '/example/a~1b', message: 'is required' }]);
  });

  it('names a refused header name, escaped, and an auth plugin\'s unknown setting', async () => {
    const headers = expectProblem(await send('POST', '/v1/webhooks', { body: { name: 'h', url: 'https://h.example.com', headers: { 'a/b': 'v' } } }), 400, 'Bad Request');
    expect(headers.errors).toEqual([{ field: '/headers/a~1b', message: 'is not an allowed name' }]);
    const auth = expectProblem(await send('POST', '/v1/webhooks', { body: { name: 'h', url: 'https://h.example.com', auth: { type: 'basic', username: 'u', password: 'p', 'x/y': 1 } } }), 400, 'Bad Request');
    expect(auth.errors).toEqual([{ field: '/auth/x~1y', message: 'is not a known field' }]);
  });
});

describe('405 with Allow for a method a path does not declare', () => {
  it.each([
    ['DELETE', '/v1/events', 'POST'],
    ['PUT', '/v1/webhooks', 'GET, HEAD, POST'],
    ['POST', '/v1/webhooks/wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H', 'GET, HEAD, PATCH, DELETE'],
    ['GET', '/v1/schemas/preview', 'POST'],
    ['PATCH', '/v1/rule-groups/rg_01M7W3Q2ZK6V0Y8D3N4R5T6W7X', 'GET, HEAD, PUT, DELETE'],
  ])('%s %s is 405, Allow: %s, with or without a token', async (method, path, allow) => {
    for (const token of [OPERATOR, null]) {
      const r = await send(method, path, { token });
      const p = expectProblem(r, 405, 'Method Not Allowed');
      expect(r.headers.get('allow')).toBe(allow);
      expect(p.code).toBe('HERALD_METHOD_NOT_ALLOWED');
      expect(p.detail).toContain(allow);
    }
  });

  it('answers 404 for a path the spec does not have, whatever the method', async () => {
    for (const method of ['GET', 'DELETE', 'PUT']) {
      const r = await send(method, '/v1/nothing-here', { token: OPERATOR });
      expectProblem(r, 404, 'Not Found');
      expect(r.headers.get('allow')).toBeNull();
    }
  });
});

describe('415 for a body that is not application/json', () => {
  it.each(['application/json-patch+json', 'application/merge-patch+json', 'application/vnd.api+json', 'text/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1', 'application/json; profile=x'])(
    'refuses %s at PATCH /v1/webhooks/{id}, and changes nothing',
    async (contentType) => {
      const p = expectProblem(await send('PATCH', `/v1/webhooks/${webhookId}`, { body: { name: 'changed' }, contentType }), 415, 'Unsupported Media Type');
      expect(p.code).toBe('HERALD_VALIDATION');
      expect(p.detail).toMatch(/application\/json/);
      expect((await api.store.webhooks.get(acme.id, webhookId))!.name).toBe('w');
    },
  );

  it('refuses a body without a Content-Type', async () => {
    const res = await fetch(`${api.baseUrl}/v1/accounts`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` }, body: new Blob([JSON.stringify({ name: 'x' })]) });
    expect(res.status).toBe(415);
  });

  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON; Charset="UTF-8"'])('takes %s', async (contentType) => {
    const r = await send('POST', '/v1/accounts', { token: OPERATOR, body: { name: `ok ${contentType}` }, contentType });
    expect(r.status).toBe(201);
  });

  it('says in the spec that a PATCH body is application/json (merge-patch meaning), the only type any operation takes', () => {
    const spec = loadSpec() as unknown as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> };
    const types = new Set(Object.values(spec.paths).flatMap((item) => Object.values(item).flatMap((op) => Object.keys(op?.requestBody?.content ?? {}))));
    expect([...types]).toEqual(['application/json']);
    expect((spec as unknown as { info: { description: string } }).info.description).toMatch(/merge-patch\+json/);
  });
});

describe('integer parameters are plain decimal digits', () => {
  it.each(['1e1', '10.0', '+5', '%205', '5%20', '0x10', '', '1_0', '١٠'])('limit=%s is 400 naming limit', async (limit) => {
    const p = expectProblem(await send('GET', `/v1/webhooks?limit=${limit}`), 400, 'Bad Request');
    expect(fieldsOf(p)).toEqual(['limit']);
  });

  it('takes plain digits, and still checks the range', async () => {
    expect((await send('GET', '/v1/webhooks?limit=10')).status).toBe(200);
    expect((await send('GET', '/v1/webhooks?limit=007')).status).toBe(200);
    for (const limit of ['0', '101', '-1', '99999999999999999999']) {
      expect(fieldsOf(expectProblem(await send('GET', `/v1/webhooks?limit=${limit}`), 400, 'Bad Request')), limit).toEqual(['limit']);
    }
    expect(fieldsOf(expectProblem(await send('GET', '/v1/accounts?limit=1e1', { token: OPERATOR }), 400, 'Bad Request'))).toEqual(['limit']);
  });
});

describe('names and descriptions refuse control characters and lone surrogates', () => {
  // As JSON text: `\ud800` reaches the server as the escape, and JSON.parse makes it a lone surrogate.
  const BAD_NAMES = ['a\\u0000b', 'tab\\there', 'line\\nbreak', 'bell\\u0007', 'del\\u007f', 'nel\\u0085', 'c1\\u009f', 'lone \\ud800 high', 'lone \\udc00 low', '\\udc00\\ud800'];
  const BAD_DESCRIPTIONS = ['a\\u0000b', 'esc\\u001b[31m', 'del\\u007f', 'nel\\u0085', 'lone \\ud800'];
  const raw = (fields: Record<string, string>, rest: Record<string, unknown> = {}) =>
    `{${[...Object.entries(rest).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`), ...Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:"${v}"`)].join(',')}}`;

  type Case = { what: string; method: string; path: () => string; token: () => string; field: string; rest?: () => Record<string, unknown>; kind: 'name' | 'description' };
  const cases: Case[] = [
    { what: 'account name', method: 'POST', path: () => '/v1/accounts', token: () => OPERATOR, field: 'name', kind: 'name' },
    { what: 'account name (PATCH)', method: 'PATCH', path: () => `/v1/accounts/${acme.id}`, token: () => OPERATOR, field: 'name', kind: 'name' },
    { what: 'API key name', method: 'POST', path: () => '/v1/api-keys', token: () => acme.adminKey.key, field: 'name', rest: () => ({ role: 'read' }), kind: 'name' },
    { what: 'event type description', method: 'POST', path: () => '/v1/event-types', token: () => OPERATOR, field: 'description', rest: () => ({ name: 'strict.named' }), kind: 'description' },
    { what: 'event type description (PATCH)', method: 'PATCH', path: () => '/v1/event-types/strict.thing', token: () => OPERATOR, field: 'description', kind: 'description' },
    { what: 'webhook name', method: 'POST', path: () => '/v1/webhooks', token: () => acme.adminKey.key, field: 'name', rest: () => ({ url: 'https://n.example.com' }), kind: 'name' },
    { what: 'webhook description', method: 'POST', path: () => '/v1/webhooks', token: () => acme.adminKey.key, field: 'description', rest: () => ({ name: 'n', url: 'https://n.example.com' }), kind: 'description' },
    { what: 'webhook name (PATCH)', method: 'PATCH', path: () => `/v1/webhooks/${webhookId}`, token: () => acme.adminKey.key, field: 'name', kind: 'name' },
    { what: 'webhook description (PATCH)', method: 'PATCH', path: () => `/v1/webhooks/${webhookId}`, token: () => acme.adminKey.key, field: 'description', kind: 'description' },
    { what: 'schema name', method: 'POST', path: () => '/v1/schemas', token: () => acme.adminKey.key, field: 'name', rest: () => ({ contentType: 'text/plain', body: 'x' }), kind: 'name' },
    { what: 'schema description', method: 'POST', path: () => '/v1/schemas', token: () => acme.adminKey.key, field: 'description', rest: () => ({ name: 'n', contentType: 'text/plain', body: 'x' }), kind: 'description' },
    { what: 'schema name (PATCH)', method: 'PATCH', path: () => `/v1/schemas/${schemaId}`, token: () => acme.adminKey.key, field: 'name', kind: 'name' },
    { what: 'rule group name', method: 'POST', path: () => '/v1/rule-groups', token: () => acme.adminKey.key, field: 'name', rest: () => ({ rules: [] }), kind: 'name' },
    { what: 'rule group name (PUT)', method: 'PUT', path: () => `/v1/rule-groups/${ruleGroupId}`, token: () => acme.adminKey.key, field: 'name', rest: () => ({ rules: [] }), kind: 'name' },
  ];

  it.each(cases.map((c) => [c.what, c] as const))('refuses them in the %s, naming the field', async (_what, c) => {
    for (const bad of c.kind === 'name' ? BAD_NAMES : BAD_DESCRIPTIONS) {
      const r = await send(c.method, c.path(), { token: c.token(), body: raw({ [c.field]: bad }, c.rest?.() ?? {}) });
      const p = expectProblem(r, 400, 'Bad Request');
      expect(p.errors, bad).toEqual([{ field: `/${c.field}`, message: expect.stringMatching(/control characters .* lone surrogates/) }]);
    }
  });

  it('refuses them in a rule\'s name', async () => {
    const rule = { match: 'all', conditions: [], actions: [{ webhook: webhookId, schema: null }] };
    const body = `{"name":"g2","rules":[${JSON.stringify(rule).slice(0, -1)},"name":"bad\\u0000"}]}`;
    const p = expectProblem(await send('POST', '/v1/rule-groups', { body }), 400, 'Bad Request');
    expect(fieldsOf(p)).toEqual(['/rules/0/name']);
  });

  it('takes any other text: accents, CJK, emoji (a surrogate pair), and line breaks in a description', async () => {
    const name = 'Ünïcødé 名前 😀 — “quoted”';
    const created = await send('POST', '/v1/webhooks', { body: `{"name":${JSON.stringify(name)},"description":"line one\\nline two\\r\\n\\tindented","url":"https://ok.example.com"}` });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name, description: 'line one\nline two\r\n\tindented' });
    expect((await send('POST', '/v1/accounts', { token: OPERATOR, body: `{"name":"emoji \\ud83d\\ude00"}` })).status).toBe(201);
  });

  it('stores nothing refused', async () => {
    const before = await api.store.webhooks.count(acme.id);
    await send('POST', '/v1/webhooks', { body: raw({ name: 'x\\u0000' }, { url: 'https://x.example.com' }) });
    expect(await api.store.webhooks.count(acme.id)).toBe(before);
    expect((await api.store.webhooks.get(acme.id, webhookId))!.name).toBe('w');
  });
});

describe('suppressedBy on a suppressed delivery (F8)', () => {
  it('names the delivery a suppressed one gave way to, in the log and in the detail', async () => {
    const event = (id: string) => ({ id, type: 'strict.thing', account: acme.id, entity: { type: 'thing', id: '7' }, action: 'update' as const, occurredAt: '2026-11-24T10:55:27Z', data: { 'a/b': 'x', 'm~n': 'y' } });
    const first = deliveryIdFor('evt_sup_1', webhookId, null);
    const second = deliveryIdFor('evt_sup_2', webhookId, null);
    const base = { account: acme.id, webhookId, schemaId: null, eventType: 'strict.thing', entity: { type: 'thing', id: '7' } };
    await api.store.deliveries.insertMany([
      { ...base, id: first, eventId: 'evt_sup_1', event: event('evt_sup_1'), status: 'pending', nextAttemptAt: new Date() },
      { ...base, id: second, eventId: 'evt_sup_2', event: event('evt_sup_2'), status: 'suppressed', nextAttemptAt: null, suppressedBy: first },
    ]);
    const detail = await acme.read.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: second } } });
    expect(detail.response.status).toBe(200);
    expect(detail.data).toMatchObject({ id: second, status: 'suppressed', suppressedBy: first });
    const list = await acme.read.GET('/v1/deliveries', { params: { query: { status: 'suppressed' } } });
    expect(list.data!.data.find((d) => d.id === second)).toMatchObject({ suppressedBy: first });
    const log = await acme.read.GET('/v1/webhooks/{webhookId}/deliveries', { params: { path: { webhookId } } });
    expect(log.data!.data.find((d) => d.id === second)!.suppressedBy).toBe(first);
    // Only a suppressed delivery has one.
    expect(log.data!.data.find((d) => d.id === first)).not.toHaveProperty('suppressedBy');
  });
});

describe('signing secrets: whsec_ + standard base64 of 24 to 64 bytes, wherever one is accepted', () => {
  const ofBytes = (n: number) => `whsec_${randomBytes(n).toString('base64')}`;
  const BAD = [
    'whsec_0', 'whsec_AA==', ofBytes(3), ofBytes(23), ofBytes(65), ofBytes(25).replace(/=+$/, ''), `whsec_${randomBytes(24).toString('base64url').replace(/[A-Z]/, '-')}`,
    randomBytes(32).toString('base64'), `${ofBytes(32)} `,
  ];

  it.each(BAD.map((s) => [s] as const))('refuses %s at create, PATCH and rotate with 400 on /secret, saying the rule', async (secret) => {
    const at = [
      await send('POST', '/v1/webhooks', { body: { name: 's', url: 'https://s.example.com', secret } }),
      await send('PATCH', `/v1/webhooks/${webhookId}`, { body: { secret } }),
      await send('POST', `/v1/webhooks/${webhookId}/secret/rotate`, { body: { secret } }),
    ];
    for (const r of at) {
      const p = expectProblem(r, 400, 'Bad Request');
      expect(p.errors).toEqual([{ field: '/secret', message: expect.stringMatching(/whsec_.*base64.*24 to 64/) }]);
    }
  });

  it('takes 24, 32 and 64 bytes at create, PATCH and rotate', async () => {
    for (const n of [24, 32, 64]) {
      const secret = ofBytes(n);
      const w = await send('POST', '/v1/webhooks', { body: { name: `s${n}`, url: 'https://s.example.com', secret } });
      expect(w.status).toBe(201);
      const id = w.json!['id'] as string;
      expect((await api.store.webhooks.get(acme.id, id))!.secret).toBe(secret);
      const patched = ofBytes(n);
      expect((await send('PATCH', `/v1/webhooks/${id}`, { body: { secret: patched } })).status).toBe(200);
      expect((await api.store.webhooks.get(acme.id, id))!.secret).toBe(patched);
      const rotated = ofBytes(n);
      expect((await send('POST', `/v1/webhooks/${id}/secret/rotate`, { body: { secret: rotated } })).json).toMatchObject({ secret: rotated });
    }
  });

  it('generates secrets that satisfy the rule, at create and at rotate', async () => {
    const w = await send('POST', '/v1/webhooks', { body: { name: 'gen', url: 'https://s.example.com' } });
    const id = w.json!['id'] as string;
    const secret = (await send('GET', `/v1/webhooks/${id}/secret`)).json!['secret'] as string;
    expect(signingSecretProblem(secret)).toBeUndefined();
    const rotated = (await send('POST', `/v1/webhooks/${id}/secret/rotate`, { body: {} })).json!['secret'] as string;
    expect(signingSecretProblem(rotated)).toBeUndefined();
  });
});

describe('URLs: http or https, a host, a port 1-65535, no user info', () => {
  it.each(['http://', 'http:///path', 'http://:80/', 'http://127.0.0.1:99999/', 'http://h.example.com:0/', 'ftp://x', 'https://', 'http://user:pass@host/', 'https://token@h.example.com/'])(
    'refuses %s at create and PATCH with 400 on /url',
    async (url) => {
      for (const r of [
        await send('POST', '/v1/webhooks', { body: { name: 'u', url } }),
        await send('PATCH', `/v1/webhooks/${webhookId}`, { body: { url } }),
      ]) {
        const p = expectProblem(r, 400, 'Bad Request');
        expect(fieldsOf(p)).toEqual(['/url']);
        if (url.includes('@')) expect(p.errors![0]!.message).toMatch(/auth/);
      }
      expect((await api.store.webhooks.get(acme.id, webhookId))!.url).toBe('https://w.example.com/hook');
    },
  );

  it.each(['https://erp.example.com/hooks/herald?x=1', 'http://127.0.0.1:8080/', 'http://[::1]:9000/hook', 'https://h.example.com:65535/', 'https://h.example.com/path@with-at'])('takes %s', async (url) => {
    expect((await send('POST', '/v1/webhooks', { body: { name: 'u', url } })).status).toBe(201);
  });
});

describe('statuses the handlers answer, documented in the spec', () => {
  const spec = loadSpec() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const documented = (path: string, method: string) => Object.keys(spec.paths[path]![method]!.responses);

  it('409 on creating an account with a taken id', async () => {
    expect((await send('POST', '/v1/accounts', { token: OPERATOR, body: { id: 'tenant-taken', name: 'A' } })).status).toBe(201);
    const p = expectProblem(await send('POST', '/v1/accounts', { token: OPERATOR, body: { id: 'tenant-taken', name: 'B' } }), 409, 'Conflict');
    expect(p).toMatchObject({ code: 'HERALD_CONFLICT', errors: [{ field: '/id', message: 'is taken' }] });
    expect(documented('/v1/accounts', 'post')).toContain('409');
  });

  it('403 on getting or revoking a key while naming another account; 404 for its id alone', async () => {
    const key = other.readKey.id;
    expectProblem(await send('GET', `/v1/api-keys/${key}?account=${other.id}`), 403, 'Forbidden');
    expectProblem(await send('DELETE', `/v1/api-keys/${key}?account=${other.id}`), 403, 'Forbidden');
    expectProblem(await send('GET', `/v1/api-keys/${key}`), 404, 'Not Found');
    expectProblem(await send('DELETE', `/v1/api-keys/${key}`), 404, 'Not Found');
    expect((await api.store.apiKeys.get(other.id, key))!.revokedAt).toBeNull();
    expect(documented('/v1/api-keys/{keyId}', 'get')).toEqual(expect.arrayContaining(['403', '404']));
    expect(documented('/v1/api-keys/{keyId}', 'delete')).toEqual(expect.arrayContaining(['403', '404']));
  });

  it('403 to the ingest token on what it may not read', async () => {
    for (const path of [`/v1/accounts/${acme.id}`, '/v1/event-types', '/v1/event-types/strict.thing', `/v1/api-keys/${acme.readKey.id}?account=${acme.id}`]) {
      expectProblem(await send('GET', path, { token: INGEST }), 403, 'Forbidden');
    }
  });

  it('409 on a rule group beyond the most an account may have', async () => {
    const full = await api.account('Full of groups');
    const now = new Date();
    const existing = (await api.store.ruleGroups.list(full.id)).length;
    for (let i = existing; i < 100; i++) await api.store.ruleGroups.upsert({ id: `rg_${String(i).padStart(26, '0')}`, account: full.id, name: `g${i}`, active: true, rules: [], createdAt: now, updatedAt: now });
    const p = expectProblem(await send('POST', '/v1/rule-groups', { token: full.adminKey.key, body: { name: 'one more', rules: [] } }), 409, 'Conflict');
    expect(p.code).toBe('HERALD_CONFLICT');
    expect(documented('/v1/rule-groups', 'post')).toContain('409');
  });
});
