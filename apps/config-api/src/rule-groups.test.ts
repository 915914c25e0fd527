import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture } from './testing/api-fixture.ts';

type Fixture = Awaited<ReturnType<typeof startApiFixture>>;
type Acc = Awaited<ReturnType<Fixture['account']>>;
type Problem = { status: number; code: string; detail: string; errors?: { field: string; message: string }[] };

let api: Fixture;
let acme: Acc;
let other: Acc;
let webhook: string;
let message1: string;
let theirWebhook: string;

beforeAll(async () => {
  api = await startApiFixture();
  acme = await api.account('Acme');
  other = await api.account('Other');
  await api.operator.POST('/v1/event-types', {
    body: { name: 'ticket.priority_changed', description: 'd', schema: { type: 'object', properties: { ref: { type: 'string' }, priority: { type: 'string' } } } },
  });
  await api.operator.POST('/v1/event-types', { body: { name: 'ticket.untyped', description: 'no schema published' } });
  webhook = (await acme.admin.POST('/v1/webhooks', { body: { name: 'Test Webhook', url: 'https://t.example.com' } })).data!.id;
  message1 = (await acme.admin.POST('/v1/schemas', { body: { name: 'Message 1', contentType: 'text/plain', body: '{\n  Hello\n}' } })).data!.id;
  theirWebhook = (await other.admin.POST('/v1/webhooks', { body: { name: 'theirs', url: 'https://o.example.com' } })).data!.id;
});
afterAll(() => api.close());

const seedRule = () => ({
  name: 'Ticket Event is equal to Priority Changed',
  match: 'all' as const,
  conditions: [{ field: 'type', op: 'equals' as const, value: 'ticket.priority_changed' }],
  actions: [{ webhook, schema: message1 }],
});

describe('rule groups (F4)', () => {
  it('saves the Norwegian seed\'s rule, giving the rule an id and the flags their defaults', async () => {
    const r = await acme.admin.POST('/v1/rule-groups', { body: { name: 'Tickets', position: 0, rules: [seedRule()] } });
    expect(r.response.status).toBe(201);
    expect(r.data).toMatchObject({ name: 'Tickets', position: 0, active: true, warnings: [] });
    expect(r.data!.rules[0]).toMatchObject({ ...seedRule(), stopRules: false, stopGroups: false, id: expect.stringMatching(/^rl_/) });
    const got = await acme.read.GET('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: r.data!.id } } });
    expect(got.data!.rules).toEqual(r.data!.rules);
  });

  it('refuses an unknown operator, a field the event type\'s schema lacks, and another account\'s webhook or schema, naming each field', async () => {
    const badOp = await acme.admin.POST('/v1/rule-groups', {
      body: { name: 'bad', rules: [{ ...seedRule(), conditions: [{ field: 'data.priority', op: 'sounds_like' as never, value: 'x' }] }] },
    });
    expect(badOp.response.status).toBe(400);
    expect((badOp.error as Problem).errors!.map((e) => e.field)).toContain('/rules/0/conditions/0/op');

    const bad = await acme.admin.POST('/v1/rule-groups', {
      body: {
        name: 'bad',
        rules: [{
          ...seedRule(),
          eventTypes: ['ticket.priority_changed'],
          conditions: [{ field: 'data.prio', op: 'equals', value: 'high' }],
          actions: [{ webhook: theirWebhook, schema: null }, { webhook, schema: 'sch_01M7W3EAD9KSN7H42EV56FYQF3' }],
        }],
      },
    });
    expect(bad.response.status).toBe(400);
    const fields = (bad.error as Problem).errors!.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['/rules/0/conditions/0/field', '/rules/0/actions/0/webhook', '/rules/0/actions/1/schema']));
    expect(JSON.stringify(bad.error)).not.toContain('theirs');
  });

  it('only warns about a field path of an event type that publishes no schema', async () => {
    const r = await acme.admin.POST('/v1/rule-groups', {
      body: { name: 'untyped', rules: [{ ...seedRule(), eventTypes: ['ticket.untyped'], conditions: [{ field: 'data.anything', op: 'exists' }] }] },
    });
    expect(r.response.status).toBe(201);
    expect(r.data!.warnings!.map((w) => w.field)).toContain('/rules/0/conditions/0/field');
  });

  it('lists the groups in evaluation order, replaces a group whole keeping its rules\' ids, and deletes it', async () => {
    const late = await acme.admin.POST('/v1/rule-groups', { body: { name: 'late', rules: [] } });
    const first = await acme.admin.POST('/v1/rule-groups', { body: { name: 'first', position: 0, rules: [seedRule()] } });
    const names = (await acme.read.GET('/v1/rule-groups')).data!.data.map((g) => g.name);
    expect(names.indexOf('first')).toBeLessThan(names.indexOf('late'));
    expect((await other.read.GET('/v1/rule-groups')).data!.data).toEqual([]);

    const ruleId = first.data!.rules[0]!.id!;
    const path = { params: { path: { ruleGroupId: first.data!.id } } };
    const replaced = await acme.admin.PUT('/v1/rule-groups/{ruleGroupId}', {
      ...path,
      body: { name: 'first', active: false, rules: [{ ...seedRule(), id: ruleId, stopGroups: true }, seedRule()] },
    });
    expect(replaced.data!.active).toBe(false);
    expect(replaced.data!.rules[0]).toMatchObject({ id: ruleId, stopGroups: true });
    expect(replaced.data!.rules[1]!.id).not.toBe(ruleId);
    expect(replaced.data!.createdAt).toBe(first.data!.createdAt);

    expect((await acme.admin.DELETE('/v1/rule-groups/{ruleGroupId}', path)).response.status).toBe(204);
    expect((await acme.read.GET('/v1/rule-groups/{ruleGroupId}', path)).response.status).toBe(404);
    expect((await acme.admin.DELETE('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: late.data!.id } } })).response.status).toBe(204);
  });

  it('tells the matchers on herald.config when a group changes', async () => {
    const before = api.published.length;
    const r = await acme.admin.POST('/v1/rule-groups', { body: { name: 'notify', rules: [] } });
    const changes = api.published.slice(before).map((m) => JSON.parse(m.value.toString()) as { kind: string; account: string; id: string });
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'rule-group', account: acme.id, id: r.data!.id }));
  });
});
