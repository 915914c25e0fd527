/** Drives the configuration API only through the typed client generated from openapi.yaml. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson } from '@herald/bus';
import { startApiFixture } from './testing/api-fixture.ts';
import { eventually } from '../../../test/receiver.ts';

let api: Awaited<ReturnType<typeof startApiFixture>>;
beforeAll(async () => {
  api = await startApiFixture();
  await api.operator.POST('/v1/event-types', {
    body: {
      name: 'ticket.priority_changed',
      description: 'A ticket changed priority',
      schema: { type: 'object', required: ['ref', 'priority'], properties: { ref: { type: 'string' }, priority: { enum: ['low', 'high'] } } },
      example: { ref: 'T-1042', priority: 'high' },
    },
  });
});
afterAll(() => api.close());

describe('the API through the typed client', () => {
  it('creates an account with the product\'s own tenant id, and keys shown once', async () => {
    const { data, response } = await api.operator.POST('/v1/accounts', { body: { id: 'tenant-42', name: 'Acme' } });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ id: 'tenant-42', name: 'Acme', webhooksEnabled: true });
    const dup = await api.operator.POST('/v1/accounts', { body: { id: 'tenant-42', name: 'Again' } });
    expect(dup.response.status).toBe(409);
    const key = await api.operator.POST('/v1/api-keys', { body: { account: 'tenant-42', role: 'admin', name: 'ci' } });
    expect(key.data!.key).toMatch(/^hk_/);
    const listed = await api.client(key.data!.key).GET('/v1/api-keys');
    expect(listed.data!.data.map((k) => k.id)).toEqual([key.data!.id]);
    expect(JSON.stringify(listed.data)).not.toContain(key.data!.key);
  });

  it('manages a webhook: create, read masked, list with filters and cursor, patch, delete', async () => {
    const acme = await api.account('Acme webhooks');
    const created = await acme.admin.POST('/v1/webhooks', {
      body: {
        name: 'ERP', url: 'https://erp.example.com/hook', eventTypes: ['ticket.priority_changed'],
        auth: { type: 'basic', username: 'ops@example.com', password: 'p4ss-w0rd' }, headers: { 'X-Tenant': 'acme' },
      },
    });
    expect(created.response.status).toBe(201);
    const w = created.data!;
    expect(w).toMatchObject({ name: 'ERP', method: 'POST', active: true, dedupWindowSeconds: 60, secret: 'whsec_********' });
    expect(w.auth).toEqual({ type: 'basic', username: 'ops@example.com', password: '********' });
    expect(JSON.stringify(w)).not.toContain('p4ss-w0rd');
    // the stored secret is a real whsec_ one, encrypted at rest
    const stored = await api.store.webhooks.get(acme.id, w.id);
    expect(stored!.secret).toMatch(/^whsec_/);
    const secret = await acme.admin.GET('/v1/webhooks/{webhookId}/secret', { params: { path: { webhookId: w.id } } });
    expect(secret.data).toEqual({ secret: stored!.secret });
    expect((await acme.read.GET('/v1/webhooks/{webhookId}/secret', { params: { path: { webhookId: w.id } } })).response.status).toBe(403);

    for (let i = 0; i < 4; i++) await acme.admin.POST('/v1/webhooks', { body: { name: `W${i}`, url: `https://h${i}.example.com/`, active: i % 2 === 0 } });
    const page1 = await acme.read.GET('/v1/webhooks', { params: { query: { limit: 3 } } });
    expect(page1.data!.data).toHaveLength(3);
    const page2 = await acme.read.GET('/v1/webhooks', { params: { query: { limit: 3, after: page1.data!.nextCursor! } } });
    expect(page2.data!.data).toHaveLength(2);
    expect(page2.data!.nextCursor).toBeNull();
    expect(new Set([...page1.data!.data, ...page2.data!.data].map((x) => x.id)).size).toBe(5);
    const inactive = await acme.read.GET('/v1/webhooks', { params: { query: { active: false } } });
    expect(inactive.data!.data.map((x) => x.name).sort()).toEqual(['W1', 'W3']);
    const byType = await acme.read.GET('/v1/webhooks', { params: { query: { eventType: 'ticket.priority_changed' } } });
    expect(byType.data!.data.map((x) => x.id)).toEqual([w.id]);

    const patched = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } }, body: { active: false, projects: ['prj_1'] } });
    expect(patched.data).toMatchObject({ active: false, projects: ['prj_1'] });
    const unscoped = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } }, body: { projects: null } });
    expect(unscoped.data!.projects).toBeUndefined();

    const del = await acme.admin.DELETE('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } } });
    expect(del.response.status).toBe(204);
    expect((await acme.read.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } } })).response.status).toBe(404);
    const changed = (m: (typeof api.published)[number]) => m.topic === api.topics.config && (decodeJson(m.value) as { kind?: string; id?: string }).id === w.id;
    await eventually(() => api.published.some(changed), 'a change of the webhook on herald.config');
  });

  it('names each bad field, and stores nothing invalid', async () => {
    const acme = await api.account('Acme bad input');
    const bad = await acme.admin.POST('/v1/webhooks', {
      body: { name: 'x', url: 'ftp://nope', eventTypes: ['no.such.type'], auth: { type: 'bearer' }, colour: 'red' } as never,
    });
    expect(bad.response.status).toBe(400);
    expect(bad.error!.errors!.map((e) => e.field)).toEqual(expect.arrayContaining(['/colour']));
    const auth = await acme.admin.POST('/v1/webhooks', { body: { name: 'x', url: 'https://ok.example.com', auth: { type: 'bearer' } as never } });
    expect(auth.response.status).toBe(400);
    expect(auth.error!.errors!.map((e) => e.field)).toEqual(['/auth/token']);
    const refs = await acme.admin.POST('/v1/webhooks', { body: { name: 'x', url: 'https://ok.example.com', eventTypes: ['no.such.type'] } });
    expect(refs.response.status).toBe(400);
    expect(refs.error!.errors).toEqual([{ field: '/eventTypes/0', message: 'is not in the event type catalog' }]);
    expect(await api.store.webhooks.count(acme.id)).toBe(0);
  });

  it('refuses the read role and the operator on webhook writes, and a disabled plan', async () => {
    const acme = await api.account('Acme roles');
    expect((await acme.read.POST('/v1/webhooks', { body: { name: 'x', url: 'https://a.example.com' } })).response.status).toBe(403);
    expect((await api.operator.POST('/v1/webhooks', { body: { name: 'x', url: 'https://a.example.com' } })).response.status).toBe(403);
    const off = await api.account('Acme basic plan', false);
    const r = await off.admin.POST('/v1/webhooks', { body: { name: 'x', url: 'https://a.example.com' } });
    expect(r.response.status).toBe(403);
    expect(r.error!.detail).toMatch(/not enabled/);
  });

  it('takes events of its own account, validates data against the catalog, and revoked keys stop working', async () => {
    const acme = await api.account('Acme events');
    const event = { id: 'evt_c1', type: 'ticket.priority_changed', account: acme.id, entity: { type: 'ticket', id: '1' }, action: 'update' as const, occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-1', priority: 'high' } };
    expect((await acme.admin.POST('/v1/events', { body: event })).response.status).toBe(202);
    await eventually(() => api.published.some((m) => (decodeJson(m.value) as { id?: string }).id === 'evt_c1'), 'the event on the bus');
    expect((await acme.admin.POST('/v1/events', { body: { ...event, account: 'someone-else' } })).response.status).toBe(403);
    const wrong = await acme.admin.POST('/v1/events', { body: { ...event, id: 'evt_c2', data: { ref: 'T-1', priority: 'urgent' } } });
    expect(wrong.response.status).toBe(400);
    expect(wrong.error!.errors![0]!.field).toBe('/data/priority');
    await acme.admin.DELETE('/v1/api-keys/{keyId}', { params: { path: { keyId: acme.adminKey.id } } });
    expect((await acme.admin.GET('/v1/webhooks')).response.status).toBe(401);
  });

  it('serves the spec', async () => {
    const yaml = await fetch(`${api.baseUrl}/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(await yaml.text()).toContain('openapi: 3.1.0');
    const json = (await (await fetch(`${api.baseUrl}/openapi.json`)).json()) as { openapi: string };
    expect(json.openapi).toBe('3.1.0');
  });
});
