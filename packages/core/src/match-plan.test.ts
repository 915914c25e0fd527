import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from './envelope.ts';
import { deliveryIdFor } from './ids.ts';
import { createMatchPlan, deliveryJobsFor, type MatchWebhook } from './match-plan.ts';
import { compileRules } from './rules/compile.ts';
import { evaluateRules } from './rules/engine.ts';
import type { Rule, RuleGroup } from './rules/types.ts';
import { inProjectScope, subscribedWebhooks } from './subscriptions.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  project: 'prj_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', priority: 'high' },
  previous: { priority: 'low' },
};

function webhook(id: string, extra: Partial<MatchWebhook> = {}): MatchWebhook {
  return { id, account: 'acc_1', active: true, eventTypes: [], ...extra };
}

function group(id: string, rules: Rule[], extra: Partial<RuleGroup> = {}): RuleGroup {
  const t = new Date('2026-01-01T00:00:00Z');
  return { id, account: 'acc_1', name: id, active: true, rules, createdAt: t, updatedAt: t, ...extra };
}

function sendTo(id: string, actions: Rule['actions'], extra: Partial<Rule> = {}): Rule {
  return { id, match: 'all', conditions: [], stopRules: false, stopGroups: false, actions, ...extra };
}

describe('createMatchPlan: subscriptions', () => {
  it('sends to active webhooks subscribed to the type, with their default schema', () => {
    const m = createMatchPlan(
      [
        webhook('wh_a', { eventTypes: ['ticket.priority_changed'], schema: 'sch_1' }),
        webhook('wh_b', { eventTypes: ['ticket.created', 'ticket.priority_changed'] }),
        webhook('wh_c', { eventTypes: ['ticket.created'] }),
        webhook('wh_d', { eventTypes: ['ticket.priority_changed'], active: false }),
        webhook('wh_e', { eventTypes: [] }),
      ],
      [],
    );
    expect(m.match(event)).toEqual([
      { webhookId: 'wh_a', schemaId: 'sch_1' },
      { webhookId: 'wh_b', schemaId: null },
    ]);
  });

  it('honours the project scope: all projects take events with or without one; a list only its own', () => {
    const m = createMatchPlan(
      [
        webhook('wh_all', { eventTypes: ['ticket.priority_changed'] }),
        webhook('wh_p1', { eventTypes: ['ticket.priority_changed'], projects: ['prj_1', 'prj_3'] }),
        webhook('wh_p2', { eventTypes: ['ticket.priority_changed'], projects: ['prj_2'] }),
        webhook('wh_none', { eventTypes: ['ticket.priority_changed'], projects: [] }),
      ],
      [],
    );
    expect(m.match(event).map((t) => t.webhookId)).toEqual(['wh_all', 'wh_p1']);
    const { project: _p, ...withoutProject } = event;
    expect(m.match(withoutProject).map((t) => t.webhookId)).toEqual(['wh_all']);
  });

  it('never sends to another account’s webhook', () => {
    const m = createMatchPlan([webhook('wh_x', { account: 'acc_2', eventTypes: ['ticket.priority_changed'] })], [
      group('g', [sendTo('r', [{ webhook: 'wh_x', schema: null }])], { account: 'acc_2' }),
    ]);
    expect(m.match(event)).toEqual([]);
    expect(m.match({ ...event, account: 'acc_2' })).toEqual([
      { webhookId: 'wh_x', schemaId: null },
    ]);
  });
});

describe('createMatchPlan: rules with subscriptions', () => {
  it('sends rule actions to webhooks that do not subscribe to the type (empty eventTypes)', () => {
    const m = createMatchPlan([webhook('wh_rules_only')], [group('g', [sendTo('r', [{ webhook: 'wh_rules_only', schema: 'sch_9' }])])]);
    expect(m.match(event)).toEqual([{ webhookId: 'wh_rules_only', schemaId: 'sch_9' }]);
  });

  it('drops rule actions to inactive, unknown or out-of-scope webhooks', () => {
    const m = createMatchPlan(
      [webhook('wh_off', { active: false }), webhook('wh_p2', { projects: ['prj_2'] }), webhook('wh_ok')],
      [
        group('g', [
          sendTo('r', [
            { webhook: 'wh_off', schema: null },
            { webhook: 'wh_deleted', schema: null },
            { webhook: 'wh_p2', schema: null },
            { webhook: 'wh_ok', schema: null },
          ]),
        ]),
      ],
    );
    expect(m.match(event)).toEqual([{ webhookId: 'wh_ok', schemaId: null }]);
    expect(m.match({ ...event, project: 'prj_2' })).toEqual([
      { webhookId: 'wh_p2', schemaId: null },
      { webhookId: 'wh_ok', schemaId: null },
    ]);
  });

  it('sends a (webhook, schema) pair once when a subscription and rules both name it; another schema is another message', () => {
    const m = createMatchPlan(
      [webhook('wh_a', { eventTypes: ['ticket.priority_changed'], schema: 'sch_1' })],
      [
        group('g1', [sendTo('r1', [{ webhook: 'wh_a', schema: 'sch_1' }, { webhook: 'wh_a', schema: 'sch_2' }])], { position: 0 }),
        group('g2', [sendTo('r2', [{ webhook: 'wh_a', schema: 'sch_2' }, { webhook: 'wh_a', schema: null }])], { position: 1 }),
      ],
    );
    expect(m.match(event)).toEqual([
      { webhookId: 'wh_a', schemaId: 'sch_1' },
      { webhookId: 'wh_a', schemaId: 'sch_2' },
      { webhookId: 'wh_a', schemaId: null },
    ]);
  });

  it('stop flags stop rules, never subscriptions', () => {
    const m = createMatchPlan(
      [webhook('wh_sub', { eventTypes: ['ticket.priority_changed'] }), webhook('wh_r')],
      [
        group('g1', [sendTo('stop', [], { stopGroups: true })], { position: 0 }),
        group('g2', [sendTo('r', [{ webhook: 'wh_r', schema: null }])], { position: 1 }),
      ],
    );
    expect(m.match(event)).toEqual([{ webhookId: 'wh_sub', schemaId: null }]);
  });

  it("the Norwegian seed's rule: Ticket Event is equal to Priority Changed → Test Webhook + Message 1", () => {
    const m = createMatchPlan(
      [webhook('wh_test_webhook')],
      [
        group('rg_seed', [
          sendTo('r_seed', [{ webhook: 'wh_test_webhook', schema: 'sch_message_1' }], {
            conditions: [{ field: 'type', op: 'equals', value: 'ticket.priority_changed' }],
          }),
        ]),
      ],
    );
    expect(m.match(event)).toEqual([{ webhookId: 'wh_test_webhook', schemaId: 'sch_message_1' }]);
    expect(m.match({ ...event, type: 'ticket.status_changed', data: { ref: 'T-1042', status: 'closed' }, previous: { status: 'open' } })).toEqual([]);
  });
});

describe('deliveryJobsFor', () => {
  it('makes one job per target with the derived delivery id, in the matcher app’s shape', () => {
    const now = new Date('2026-11-24T10:55:28.000Z');
    const jobs = deliveryJobsFor(
      event,
      [
        { webhookId: 'wh_a', schemaId: 'sch_1' },
        { webhookId: 'wh_a', schemaId: null },
        { webhookId: 'wh_a', schemaId: 'sch_1' },
      ],
      now,
    );
    expect(jobs).toEqual([
      { deliveryId: deliveryIdFor('evt_1', 'wh_a', 'sch_1'), account: 'acc_1', webhookId: 'wh_a', schemaId: 'sch_1', event, createdAt: '2026-11-24T10:55:28.000Z' },
      { deliveryId: deliveryIdFor('evt_1', 'wh_a', null), account: 'acc_1', webhookId: 'wh_a', schemaId: null, event, createdAt: '2026-11-24T10:55:28.000Z' },
    ]);
    expect(deliveryJobsFor(event, [{ webhookId: 'wh_a', schemaId: 'sch_1' }], now)[0]!.deliveryId).toBe(jobs[0]!.deliveryId);
  });
});

// ---- properties ----

const types = ['t.a', 't.b', 't.c'];
const projects = ['prj_1', 'prj_2'];
const ids = ['wh_1', 'wh_2', 'wh_3', 'wh_4'];
const schemas = [null, 'sch_1', 'sch_2'];

const webhooks = fc.array(
  fc.record(
    {
      id: fc.constantFrom(...ids),
      account: fc.constantFrom('acc_1', 'acc_1', 'acc_2'),
      active: fc.boolean(),
      eventTypes: fc.array(fc.constantFrom(...types), { maxLength: 3 }),
      projects: fc.array(fc.constantFrom(...projects), { maxLength: 2 }),
      schema: fc.constantFrom('sch_1', 'sch_2'),
    },
    { requiredKeys: ['id', 'account', 'active', 'eventTypes'] },
  ),
  { maxLength: 6 },
);
const rules = fc.array(
  fc.record({
    id: fc.string({ maxLength: 2 }),
    match: fc.constantFrom('all' as const, 'any' as const),
    conditions: fc.array(
      fc.oneof(
        fc.record({ field: fc.constant('type'), op: fc.constant('equals' as const), value: fc.constantFrom(...types) }),
        fc.record({ field: fc.constant('project'), op: fc.constantFrom('equals' as const, 'not_equals' as const), value: fc.constantFrom(...projects) }),
        fc.record({ field: fc.constant('data.priority'), op: fc.constantFrom('changed' as const, 'exists' as const) }),
      ),
      { maxLength: 2 },
    ),
    stopRules: fc.boolean(),
    stopGroups: fc.boolean(),
    actions: fc.array(fc.record({ webhook: fc.constantFrom(...ids, 'wh_gone'), schema: fc.constantFrom(...schemas) }), { maxLength: 3 }),
  }),
  { maxLength: 4 },
);
const ruleGroups = fc.array(
  fc.record({
    id: fc.string({ maxLength: 2 }),
    account: fc.constantFrom('acc_1', 'acc_2'),
    name: fc.constant('g'),
    position: fc.integer({ min: 0, max: 2 }),
    active: fc.boolean(),
    rules,
    createdAt: fc.constant(new Date('2026-01-01T00:00:00Z')),
    updatedAt: fc.constant(new Date('2026-01-01T00:00:00Z')),
  }),
  { maxLength: 3 },
);
const events: fc.Arbitrary<EventEnvelope> = fc.record(
  {
    id: fc.constant('evt_1'),
    type: fc.constantFrom(...types),
    account: fc.constantFrom('acc_1', 'acc_2'),
    project: fc.constantFrom(...projects),
    entity: fc.constant({ type: 't', id: '1' }),
    action: fc.constant('update' as const),
    occurredAt: fc.constant('2026-11-24T10:55:27Z'),
    data: fc.oneof(fc.constant({ priority: 'high' }), fc.anything()) as fc.Arbitrary<Record<string, unknown>>,
    previous: fc.oneof(fc.constant({ priority: 'low' }), fc.anything()) as fc.Arbitrary<Record<string, unknown>>,
  },
  { requiredKeys: ['id', 'type', 'account', 'entity', 'action', 'occurredAt'] },
);

describe('createMatchPlan, on arbitrary configurations', () => {
  it('equals the plain composition: subscriptions, then the admitted rule actions, each pair once', () => {
    fc.assert(
      fc.property(webhooks, ruleGroups, events, (whs, gs, e) => {
        const expected: { webhookId: string; schemaId: string | null }[] = [];
        const add = (webhookId: string, schemaId: string | null): void => {
          if (!expected.some((x) => x.webhookId === webhookId && x.schemaId === schemaId)) expected.push({ webhookId, schemaId });
        };
        const own = whs.filter((w) => w.account === e.account);
        for (const w of subscribedWebhooks(e, own)) add(w.id, w.schema ?? null);
        for (const a of evaluateRules(compileRules(gs.filter((g) => g.account === e.account)), e)) {
          // The first active webhook with that id (ids are unique in a real account).
          const w = whs.find((x) => x.id === a.webhook && x.active);
          if (w !== undefined && w.account === e.account && inProjectScope(w, e)) add(a.webhook, a.schema);
        }
        const got = createMatchPlan(whs, gs).match(e);
        expect(got).toEqual(expected);
        expect(new Set(got.map((t) => JSON.stringify(t))).size).toBe(got.length);
      }),
      { numRuns: 1000 },
    );
  });
});
