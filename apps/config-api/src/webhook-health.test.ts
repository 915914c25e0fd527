/**
 * Endpoint health through the API (F14): `POST /v1/webhooks/{id}/enable`, the disabled reason in
 * answers, re-activation by PATCH, and the per-webhook limits as fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson } from '@herald/bus';
import { startApiFixture } from './testing/api-fixture.ts';

let api: Awaited<ReturnType<typeof startApiFixture>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof startApiFixture>>['account']>>;

beforeAll(async () => {
  api = await startApiFixture();
  acme = await api.account('Health');
});
afterAll(() => api.close());

/** A webhook that the delivery engine disabled, as it leaves it: off, with a reason, and a run of failures counted. */
async function disabledWebhook(body: Record<string, unknown> = {}): Promise<string> {
  const created = await acme.admin.POST('/v1/webhooks', { body: { name: 'flaky', url: 'https://flaky.example.com/hook', ...body } });
  expect(created.response.status).toBe(201);
  const id = created.data!.id;
  const stored = (await api.store.webhooks.get(acme.id, id))!;
  const at = new Date('2026-11-24T09:14:03.120Z');
  await api.store.webhooks.upsert({ ...stored, active: false, disabledReason: 'the endpoint answered 410 Gone: it asks not to be called again', disabledAt: at, updatedAt: at });
  for (let i = 0; i < 3; i++) await api.store.webhookHealth.recordOutcome(acme.id, id, false, new Date(at.getTime() + i));
  return id;
}

const configChangesFor = (id: string) =>
  api.published.filter((m) => m.topic === api.topics.config).map((m) => decodeJson(m.value) as { kind: string; id: string }).filter((c) => c.id === id);

describe('endpoint health in the API', () => {
  it('shows why and since when Herald disabled a webhook', async () => {
    const id = await disabledWebhook();
    const got = await acme.read.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } } });
    expect(got.data).toMatchObject({ active: false, disabledReason: 'the endpoint answered 410 Gone: it asks not to be called again', disabledAt: '2026-11-24T09:14:03.120Z' });
    const list = await acme.read.GET('/v1/webhooks', { params: { query: { active: false } } });
    expect(list.data!.data.find((w) => w.id === id)).toMatchObject({ disabledReason: expect.stringContaining('410 Gone') });
  });

  it('POST /v1/webhooks/{id}/enable turns it back on, clears the reason and the count, and tells the matchers', async () => {
    const id = await disabledWebhook();
    const before = configChangesFor(id).length;
    const res = await acme.admin.POST('/v1/webhooks/{webhookId}/enable', { params: { path: { webhookId: id } } });
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({ id, active: true });
    expect(res.data).not.toHaveProperty('disabledReason');
    expect(res.data).not.toHaveProperty('disabledAt');
    const stored = (await api.store.webhooks.get(acme.id, id))!;
    expect(stored.active).toBe(true);
    expect(stored).not.toHaveProperty('disabledReason');
    expect(stored).not.toHaveProperty('disabledAt');
    expect(await api.store.webhookHealth.get(acme.id, id)).toEqual({ consecutiveFailures: 0, failingSince: null });
    await expect.poll(() => configChangesFor(id).length).toBeGreaterThan(before);
    expect(configChangesFor(id).at(-1)).toMatchObject({ kind: 'webhook', id });
    // Again: still 200, still on.
    const again = await acme.admin.POST('/v1/webhooks/{webhookId}/enable', { params: { path: { webhookId: id } } });
    expect(again.response.status).toBe(200);
    expect(again.data).toMatchObject({ active: true });
  });

  it('is for admin keys of the webhook\'s account, with webhooks enabled', async () => {
    const id = await disabledWebhook();
    expect((await acme.read.POST('/v1/webhooks/{webhookId}/enable', { params: { path: { webhookId: id } } })).response.status).toBe(403);
    const other = await api.account('Other');
    expect((await other.admin.POST('/v1/webhooks/{webhookId}/enable', { params: { path: { webhookId: id } } })).response.status).toBe(404);
    expect((await acme.admin.POST('/v1/webhooks/{webhookId}/enable', { params: { path: { webhookId: 'wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H' } } })).response.status).toBe(404);
    const off = await api.account('No plan', false);
    expect((await off.admin.POST('/v1/webhooks/{webhookId}/enable', { params: { path: { webhookId: id } } })).response.status).toBe(403);
    expect((await api.store.webhooks.get(acme.id, id))!.active).toBe(false);
  });

  it('PATCH active: true does what enable does; PATCH of other fields keeps the reason', async () => {
    const id = await disabledWebhook();
    const renamed = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } }, body: { name: 'still flaky' } });
    expect(renamed.data).toMatchObject({ name: 'still flaky', active: false, disabledReason: expect.stringContaining('410') });
    const on = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } }, body: { active: true } });
    expect(on.data).toMatchObject({ active: true });
    expect(on.data).not.toHaveProperty('disabledReason');
    expect(await api.store.webhookHealth.get(acme.id, id)).toEqual({ consecutiveFailures: 0, failingSince: null });
  });

  it('keeps per-webhook limits: set on create, changed and removed (null) on update, refused out of range', async () => {
    const created = await acme.admin.POST('/v1/webhooks', { body: { name: 'limited', url: 'https://limited.example.com', maxConcurrency: 4, rateLimitPerSecond: 20 } });
    expect(created.data).toMatchObject({ maxConcurrency: 4, rateLimitPerSecond: 20 });
    const id = created.data!.id;
    expect(await api.store.webhooks.get(acme.id, id)).toMatchObject({ maxConcurrency: 4, rateLimitPerSecond: 20 });
    const changed = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } }, body: { maxConcurrency: 1, rateLimitPerSecond: null } });
    expect(changed.data).toMatchObject({ maxConcurrency: 1 });
    expect(changed.data).not.toHaveProperty('rateLimitPerSecond');
    const kept = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } }, body: { name: 'renamed' } });
    expect(kept.data).toMatchObject({ maxConcurrency: 1 });
    const cleared = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } }, body: { maxConcurrency: null } });
    expect(cleared.data).not.toHaveProperty('maxConcurrency');
    expect(await api.store.webhooks.get(acme.id, id)).not.toHaveProperty('maxConcurrency');
    const bad = await acme.admin.POST('/v1/webhooks', { body: { name: 'x', url: 'https://x.example.com', maxConcurrency: 0, rateLimitPerSecond: 10_001 } });
    expect(bad.response.status).toBe(400);
    expect((bad.error as { errors: { field: string }[] }).errors.map((e) => e.field).sort()).toEqual(['/maxConcurrency', '/rateLimitPerSecond']);
    const readOnly = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: id } }, body: { disabledReason: 'mine' } as never });
    expect(readOnly.response.status).toBe(400);
  });
});
