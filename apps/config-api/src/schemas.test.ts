import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture } from './testing/api-fixture.ts';

type Fixture = Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Fixture['account']>>;
type Problem = { status: number; code: string; detail: string; errors?: { field: string; message: string }[] };

let api: Fixture;
let acme: Acc;
let other: Acc;

beforeAll(async () => {
  api = await startApiFixture();
  acme = await api.account('Acme');
  other = await api.account('Other');
  await api.operator.POST('/v1/event-types', {
    body: {
      name: 'ticket.priority_changed',
      description: 'The priority of a ticket changed',
      schema: { type: 'object', properties: { ref: { type: 'string' }, priority: { type: 'string' }, title: { type: 'string' } } },
      example: { ref: 'T-1042', priority: 'high', title: 'Pump "P3" leaks' },
    },
  });
});
afterAll(() => api.close());

const problem = (error: unknown) => error as Problem;

describe('payload schemas (F3)', () => {
  it('creates the Norwegian seed\'s "Message 1", reads it back and lists it', async () => {
    const created = await acme.admin.POST('/v1/schemas', {
      body: { name: 'Message 1', contentType: 'text/plain', body: '{\n  Hello\n}', eventTypes: ['ticket.priority_changed'] },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'Message 1', contentType: 'text/plain', body: '{\n  Hello\n}', strict: false, description: '' });
    expect(created.response.headers.get('location')).toBe(`/v1/schemas/${created.data!.id}`);
    const got = await acme.read.GET('/v1/schemas/{schemaId}', { params: { path: { schemaId: created.data!.id } } });
    expect(got.data).toEqual(created.data);
    const list = await acme.read.GET('/v1/schemas');
    expect(list.data!.data.map((s) => s.name)).toContain('Message 1');
    expect((await other.read.GET('/v1/schemas')).data!.data).toEqual([]);
  });

  it('refuses a template that does not parse, naming the line and column', async () => {
    const r = await acme.admin.POST('/v1/schemas', { body: { name: 'bad', contentType: 'text/plain', body: 'Hello\n{% iff x %}' } });
    expect(r.response.status).toBe(400);
    expect(problem(r.error).errors).toEqual([{ field: '/body', message: expect.stringMatching(/line 2, column 1/) }]);
  });

  it('refuses JSON that is not well-formed once rendered with the event type\'s example, saying so', async () => {
    const r = await acme.admin.POST('/v1/schemas', {
      body: { name: 'bad json', contentType: 'application/json', body: '{ "ref": "{{ticket:ref}}", }', eventTypes: ['ticket.priority_changed'] },
    });
    expect(r.response.status).toBe(400);
    const [error] = problem(r.error).errors!;
    expect(error!.field).toBe('/body');
    expect(error!.message).toMatch(/not well-formed JSON.*line 1, column \d+ of the rendered output \(rendered with the example of ticket\.priority_changed\)/);
  });

  it('accepts JSON that escapes what it inserts (a quote in a title does not break it)', async () => {
    const r = await acme.admin.POST('/v1/schemas', {
      body: { name: 'json', contentType: 'application/json', body: '{ "ref": "{{ticket:ref}}", "title": "{{ ticket.title }}" }', eventTypes: ['ticket.priority_changed'] },
    });
    expect(r.response.status).toBe(201);
  });

  it('refuses a strict schema that reads an attribute the example lacks, and an unknown event type', async () => {
    const strict = await acme.admin.POST('/v1/schemas', {
      body: { name: 'strict', contentType: 'text/plain', strict: true, body: '{{ticket:missing}}', eventTypes: ['ticket.priority_changed'] },
    });
    expect(strict.response.status).toBe(400);
    expect(problem(strict.error).errors![0]!.field).toBe('/body');
    const unknown = await acme.admin.POST('/v1/schemas', { body: { name: 'u', contentType: 'text/plain', body: 'x', eventTypes: ['no.such'] } });
    expect(problem(unknown.error).errors).toEqual([{ field: '/eventTypes/0', message: 'is not in the event type catalog' }]);
  });

  it('checks an update as it checks a creation, and keeps the stored schema when it fails', async () => {
    const s = await acme.admin.POST('/v1/schemas', { body: { name: 'xml', contentType: 'application/xml', body: '<t>{{ticket:ref}}</t>', eventTypes: ['ticket.priority_changed'] } });
    const bad = await acme.admin.PATCH('/v1/schemas/{schemaId}', { params: { path: { schemaId: s.data!.id } }, body: { body: '<t>{{ticket:ref}}</x>' } });
    expect(bad.response.status).toBe(400);
    expect(problem(bad.error).errors![0]!.message).toMatch(/not well-formed XML/);
    const good = await acme.admin.PATCH('/v1/schemas/{schemaId}', { params: { path: { schemaId: s.data!.id } }, body: { name: 'xml 2' } });
    expect(good.data).toMatchObject({ name: 'xml 2', body: '<t>{{ticket:ref}}</t>' });
  });

  describe('preview', () => {
    it('renders a template being edited against an event type\'s example', async () => {
      const r = await acme.read.POST('/v1/schemas/preview', {
        body: { contentType: 'application/json', body: '{ "ticket": "{{ticket:ref}}", "title": "{{ ticket.title }}" }', eventType: 'ticket.priority_changed' },
      });
      expect(r.response.status).toBe(200);
      expect(r.data!.contentType).toBe('application/json');
      expect(JSON.parse(r.data!.body)).toEqual({ ticket: 'T-1042', title: 'Pump "P3" leaks' });
    });

    it('renders a saved schema against a given event, as the account, with the webhook it would go to', async () => {
      const s = await acme.admin.POST('/v1/schemas', { body: { name: 'who', contentType: 'text/plain', body: '{{ account.id }} {{ webhook.name }} {{ticket:ref}} {{ action_type }}' } });
      const w = await acme.admin.POST('/v1/webhooks', { body: { name: 'ERP', url: 'https://erp.example.com/hook' } });
      const r = await acme.read.POST('/v1/schemas/preview', {
        body: {
          schemaId: s.data!.id, webhookId: w.data!.id,
          event: { id: 'e1', type: 'ticket.priority_changed', account: 'someone-else', entity: { type: 'ticket', id: '7' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-7' } },
        },
      });
      expect(r.data!.body).toBe(`${acme.id} ERP T-7 new`);
    });

    it('answers 400 naming what is missing or doubled, and for a template that runs too long', async () => {
      const neither = await acme.read.POST('/v1/schemas/preview', { body: { eventType: 'ticket.priority_changed' } });
      expect(problem(neither.error).errors).toEqual([{ field: '/body', message: 'give exactly one of schemaId and body' }]);
      const noType = await acme.read.POST('/v1/schemas/preview', { body: { body: 'x', eventType: 'ticket.priority_changed' } });
      expect(problem(noType.error).errors).toEqual([{ field: '/contentType', message: 'is required with body' }]);
      const noSample = await acme.read.POST('/v1/schemas/preview', { body: { body: 'x', contentType: 'text/plain' } });
      expect(problem(noSample.error).errors).toEqual([{ field: '/eventType', message: 'give exactly one of eventType and event' }]);
      const huge = await acme.read.POST('/v1/schemas/preview', {
        body: { body: '{% for i in (1..100000000) %}xxxxxxxxxxxxxxxx{% endfor %}', contentType: 'text/plain', eventType: 'ticket.priority_changed' },
      });
      expect(huge.response.status).toBe(400);
      expect(problem(huge.error).errors![0]!.message).toMatch(/stopped|limit|larger/);
    });

    it('does not render another account\'s schema: 404', async () => {
      const theirs = await other.admin.POST('/v1/schemas', { body: { name: 'secret', contentType: 'text/plain', body: 'other-account-template' } });
      const r = await acme.read.POST('/v1/schemas/preview', { body: { schemaId: theirs.data!.id, eventType: 'ticket.priority_changed' } });
      expect(r.response.status).toBe(404);
      expect(JSON.stringify(r.error)).not.toContain('other-account-template');
    });
  });

  describe('a webhook\'s default schema', () => {
    it('must be one of the account\'s schemas; a schema in use cannot be deleted', async () => {
      const mine = await acme.admin.POST('/v1/schemas', { body: { name: 'default', contentType: 'text/plain', body: 'x' } });
      const theirs = await other.admin.POST('/v1/schemas', { body: { name: 'theirs', contentType: 'text/plain', body: 'y' } });
      const refused = await acme.admin.POST('/v1/webhooks', { body: { name: 'w', url: 'https://w.example.com', schema: theirs.data!.id } });
      expect(problem(refused.error).errors).toEqual([{ field: '/schema', message: 'is not a schema of the account' }]);

      const w = await acme.admin.POST('/v1/webhooks', { body: { name: 'w', url: 'https://w.example.com', schema: mine.data!.id } });
      expect(w.data!.schema).toBe(mine.data!.id);
      const del = await acme.admin.DELETE('/v1/schemas/{schemaId}', { params: { path: { schemaId: mine.data!.id } } });
      expect(del.response.status).toBe(409);
      expect(problem(del.error).detail).toContain(w.data!.id);

      const cleared = await acme.admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.data!.id } }, body: { schema: null } });
      expect(cleared.data).not.toHaveProperty('schema');
      const again = await acme.admin.DELETE('/v1/schemas/{schemaId}', { params: { path: { schemaId: mine.data!.id } } });
      expect(again.response.status).toBe(204);
      expect((await acme.read.GET('/v1/schemas/{schemaId}', { params: { path: { schemaId: mine.data!.id } } })).response.status).toBe(404);
    });
  });
});

describe('signing secret rotation (F12)', () => {
  it('rotates to a new secret and keeps the old one signing for the overlap', async () => {
    const w = await acme.admin.POST('/v1/webhooks', { body: { name: 'r', url: 'https://r.example.com', secret: 'whsec_b2xkLXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE=' } });
    const path = { params: { path: { webhookId: w.data!.id } } };
    const before = Date.now();
    const r = await acme.admin.POST('/v1/webhooks/{webhookId}/secret/rotate', { ...path, body: { overlapSeconds: 3600 } });
    expect(r.response.status).toBe(200);
    expect(r.data!.secret).toMatch(/^whsec_/);
    expect(r.data!.secret).not.toBe('whsec_b2xkLXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE=');
    const expires = Date.parse(r.data!.previousSecretExpiresAt!);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect((await acme.admin.GET('/v1/webhooks/{webhookId}/secret', path)).data!.secret).toBe(r.data!.secret);
    const stored = await api.store.webhooks.get(acme.id, w.data!.id);
    expect(stored!.previousSecrets).toEqual([{ secret: 'whsec_b2xkLXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE=', expiresAt: new Date(expires) }]);
    // answers never show the secrets
    const shown = JSON.stringify((await acme.read.GET('/v1/webhooks/{webhookId}', path)).data);
    expect(shown).not.toContain(r.data!.secret.slice(6));
    expect(shown).not.toContain('b2xkLXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE');
  });

  it('stops the old secret at once with overlap 0, and refuses the current secret as the new one', async () => {
    const w = await acme.admin.POST('/v1/webhooks', { body: { name: 'r0', url: 'https://r.example.com' } });
    const path = { params: { path: { webhookId: w.data!.id } } };
    const r = await acme.admin.POST('/v1/webhooks/{webhookId}/secret/rotate', { ...path, body: { overlapSeconds: 0, secret: 'whsec_bmV3LXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE=' } });
    expect(r.data).toEqual({ secret: 'whsec_bmV3LXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE=', previousSecretExpiresAt: null });
    expect((await api.store.webhooks.get(acme.id, w.data!.id))!.previousSecrets).toBeUndefined();
    const same = await acme.admin.POST('/v1/webhooks/{webhookId}/secret/rotate', { ...path, body: { secret: 'whsec_bmV3LXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cyE=' } });
    expect(problem(same.error).errors).toEqual([{ field: '/secret', message: 'is the current secret; give a new one' }]);
  });
});
