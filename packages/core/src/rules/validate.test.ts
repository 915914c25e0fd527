import { describe, expect, it } from 'vitest';
import { validateRuleGroup, type RuleValidationContext } from './validate.ts';

const ticketSchema = {
  type: 'object',
  required: ['ref', 'priority'],
  properties: {
    ref: { type: 'string' },
    priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
    ticket: { $ref: '#/$defs/ticket' },
    tags: { type: 'array', items: { type: 'string' } },
    extra: { type: 'object', additionalProperties: true },
  },
  $defs: { ticket: { type: 'object', allOf: [{ properties: { status: { type: 'string' } } }] } },
};

const ctx: RuleValidationContext = {
  webhookExists: (id) => ['wh_test', 'wh_other'].includes(id),
  schemaExists: (id) => ['sch_message_1'].includes(id),
  eventTypes: new Map<string, Record<string, unknown> | undefined>([
    ['ticket.priority_changed', ticketSchema],
    ['ticket.created', ticketSchema],
    ['user.deleted', undefined],
  ]),
};

function seedGroup(): Record<string, unknown> {
  return {
    name: 'Ticket routing',
    position: 0,
    active: true,
    rules: [
      {
        name: 'Priority changed',
        match: 'all',
        conditions: [{ field: 'type', op: 'equals', value: 'ticket.priority_changed' }],
        stopRules: false,
        stopGroups: false,
        actions: [{ webhook: 'wh_test', schema: 'sch_message_1' }],
      },
    ],
  };
}

function withRule(rule: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'g',
    rules: [{ match: 'all', conditions: [], stopRules: false, stopGroups: false, actions: [{ webhook: 'wh_test', schema: null }], ...rule }],
  };
}

function withCondition(condition: unknown, rule: Record<string, unknown> = { eventTypes: ['ticket.priority_changed'] }): Record<string, unknown> {
  return withRule({ ...rule, conditions: [condition] });
}

describe('validateRuleGroup', () => {
  it("accepts the Norwegian seed's rule without errors or warnings", () => {
    expect(validateRuleGroup(seedGroup(), ctx)).toEqual({ errors: [], warnings: [] });
  });

  it('names an unknown operator by its JSON pointer', () => {
    const g = withRule({
      eventTypes: ['ticket.priority_changed'],
      conditions: [
        { field: 'data.priority', op: 'equals', value: 'high' },
        { field: 'data.priority', op: 'matches', value: 'h.*' },
      ],
    });
    expect(validateRuleGroup(g, ctx).errors).toEqual([{ field: '/rules/0/conditions/1/op', message: expect.stringContaining('must be one of equals') }]);
  });

  it('refuses an unknown webhook or schema (another account’s ids are unknown too), and accepts schemaId null', () => {
    const g = withRule({
      actions: [
        { webhook: 'wh_nope', schema: 'sch_message_1' },
        { webhook: 'wh_test', schema: 'sch_nope' },
        { webhook: 'wh_other', schema: null },
      ],
    });
    expect(validateRuleGroup(g, ctx).errors).toEqual([
      { field: '/rules/0/actions/0/webhook', message: 'no webhook wh_nope in this account' },
      { field: '/rules/0/actions/1/schema', message: 'no schema sch_nope in this account' },
    ]);
  });

  it('refuses a data path that the event type’s JSON Schema does not have', () => {
    const r = validateRuleGroup(withCondition({ field: 'data.priorty', op: 'equals', value: 'high' }), ctx);
    expect(r.errors).toEqual([{ field: '/rules/0/conditions/0/field', message: expect.stringContaining('data.priorty is not a field of ticket.priority_changed') }]);
    expect(validateRuleGroup(withCondition({ field: 'previous.priorty', op: 'exists' }), ctx).errors).toHaveLength(1);
  });

  it('accepts paths through $ref, allOf, items and open objects', () => {
    for (const field of ['data.priority', 'data.ticket.status', 'data.tags.0', 'data.extra.anything.below', 'previous.priority', 'data']) {
      expect(validateRuleGroup(withCondition({ field, op: 'exists' }), ctx), field).toEqual({ errors: [], warnings: [] });
    }
    for (const field of ['data.ticket.state', 'data.ref.length', 'data.tags.x']) {
      expect(validateRuleGroup(withCondition({ field, op: 'exists' }), ctx).errors, field).toHaveLength(1);
    }
  });

  it('takes the event types from a "type equals/in" condition of an all rule', () => {
    const typed = withRule({
      conditions: [
        { field: 'type', op: 'in', value: ['ticket.priority_changed', 'ticket.created'] },
        { field: 'data.priorty', op: 'exists' },
      ],
    });
    expect(validateRuleGroup(typed, ctx).errors).toEqual([{ field: '/rules/0/conditions/1/field', message: expect.stringContaining('ticket.priority_changed, ticket.created') }]);
  });

  it('warns, not refuses, when the type has no schema, or the rule names no type', () => {
    const noSchema = validateRuleGroup(withCondition({ field: 'data.whatever', op: 'exists' }, { eventTypes: ['user.deleted'] }), ctx);
    expect(noSchema.errors).toEqual([]);
    expect(noSchema.warnings).toEqual([{ field: '/rules/0/conditions/0/field', message: 'data.whatever could not be checked: user.deleted has no JSON Schema in the catalog' }]);

    const mixed = validateRuleGroup(withCondition({ field: 'data.whatever', op: 'exists' }, { eventTypes: ['ticket.created', 'user.deleted'] }), ctx);
    expect(mixed.errors).toEqual([]);
    expect(mixed.warnings).toHaveLength(1);

    const untyped = validateRuleGroup(withCondition({ field: 'data.whatever', op: 'exists' }, {}), ctx);
    expect(untyped.errors).toEqual([]);
    expect(untyped.warnings).toEqual([{ field: '/rules/0/conditions/0/field', message: expect.stringContaining('the rule names no event type') }]);

    const anyJoin = validateRuleGroup(
      withRule({ match: 'any', conditions: [{ field: 'type', op: 'equals', value: 'ticket.created' }, { field: 'data.x', op: 'exists' }] }),
      ctx,
    );
    expect(anyJoin.errors).toEqual([]);
    expect(anyJoin.warnings).toHaveLength(1);
  });

  it('checks only the syntax of paths when there is no catalog', () => {
    const noCatalog = { webhookExists: ctx.webhookExists, schemaExists: ctx.schemaExists };
    expect(validateRuleGroup(withCondition({ field: 'data.priorty', op: 'exists' }), noCatalog)).toEqual({ errors: [], warnings: [] });
    expect(validateRuleGroup(withCondition({ field: 'dta.priority', op: 'exists' }), noCatalog).errors).toHaveLength(1);
  });

  it('warns about event types that are not in the catalog, and rules that can never match', () => {
    expect(validateRuleGroup(withRule({ eventTypes: ['nope.type'] }), ctx).warnings).toEqual([
      { field: '/rules/0/eventTypes/0', message: 'nope.type is not in the event type catalog' },
    ]);
    const never = withRule({ eventTypes: ['ticket.created'], conditions: [{ field: 'type', op: 'equals', value: 'ticket.priority_changed' }] });
    expect(validateRuleGroup(never, ctx).warnings).toEqual([{ field: '/rules/0', message: expect.stringContaining('never matches') }]);
  });

  it.each([
    ['foo.bar', 'must start with one of'],
    ['data..priority', 'dot-separated'],
    ['', 'non-empty'],
    [42, 'non-empty'],
    ['type.x', 'has no fields below it'],
    ['entity.name', 'entity.type and entity.id'],
    ['data.a b', 'dot-separated'],
  ])('refuses the field path %j', (field, message) => {
    expect(validateRuleGroup(withCondition({ field, op: 'exists' }), ctx).errors).toEqual([
      { field: '/rules/0/conditions/0/field', message: expect.stringContaining(message) },
    ]);
  });

  it.each([
    [{ field: 'data.priority', op: 'equals' }, '/value', 'is required by equals'],
    [{ field: 'data.priority', op: 'contains' }, '/value', 'is required by contains'],
    [{ field: 'data.priority', op: 'changed_to' }, '/value', 'is required by changed_to'],
    [{ field: 'data.priority', op: 'in', value: 'high' }, '/value', 'must be an array'],
    [{ field: 'data.priority', op: 'not_in' }, '/value', 'must be an array'],
    [{ field: 'data.priority', op: 'exists', value: 'yes' }, '/value', 'true or false'],
    [{ field: 'data.priority', op: 'changed', value: 'high' }, '/value', 'changed_to'],
    [{ field: 'type', op: 'changed' }, '/field', 'must be under data'],
    [{ field: 'previous.priority', op: 'changed_to', value: 'x' }, '/field', 'must be under data'],
    [{ field: 'data.ref', op: 'greater_than', value: 'abc' }, '/value', 'a number or an ISO 8601'],
    [{ field: 'data.ref', op: 'less_than', value: '2026-02-30' }, '/value', 'a number or an ISO 8601'],
    [{ field: 'data.ref', op: 'less_than' }, '/value', 'a number or an ISO 8601'],
  ])('refuses the condition %j', (condition, at, message) => {
    expect(validateRuleGroup(withCondition(condition), ctx).errors).toEqual([{ field: `/rules/0/conditions/0${at}`, message: expect.stringContaining(message) }]);
  });

  it.each([
    { field: 'data.priority', op: 'equals', value: null },
    { field: 'data.priority', op: 'in', value: ['low', 'high'] },
    { field: 'data.priority', op: 'exists' },
    { field: 'data.priority', op: 'exists', value: false },
    { field: 'data.priority', op: 'changed' },
    { field: 'data.priority', op: 'changed', value: null },
    { field: 'data.priority', op: 'changed_to', value: 'high' },
    { field: 'data.tags', op: 'contains', value: 'vip' },
    { field: 'occurredAt', op: 'greater_than', value: '2026-11-24T10:55:27+01:00' },
    { field: 'data.ref', op: 'less_than', value: 10 },
    { field: 'entity.type', op: 'not_equals', value: 'user' },
    { field: 'project', op: 'not_in', value: ['prj_1'] },
  ])('accepts the condition %j', (condition) => {
    expect(validateRuleGroup(withCondition(condition), ctx)).toEqual({ errors: [], warnings: [] });
  });

  it('warns about an empty in/not_in list and a repeated action', () => {
    expect(validateRuleGroup(withCondition({ field: 'data.priority', op: 'in', value: [] }), ctx).warnings).toEqual([
      { field: '/rules/0/conditions/0/value', message: 'is empty: the condition never holds' },
    ]);
    const repeated = withRule({
      actions: [
        { webhook: 'wh_test', schema: null },
        { webhook: 'wh_test', schema: null },
      ],
    });
    expect(validateRuleGroup(repeated, ctx)).toEqual({ errors: [], warnings: [{ field: '/rules/0/actions/1', message: expect.stringContaining('repeats') }] });
  });

  it('checks the structure of the group and its rules', () => {
    expect(validateRuleGroup([], ctx).errors).toEqual([{ field: '', message: 'the rule group must be a JSON object' }]);
    expect(validateRuleGroup({ rules: [] }, ctx).errors).toEqual([{ field: '/name', message: expect.stringContaining('required') }]);
    expect(validateRuleGroup({ name: 'g' }, ctx).errors).toEqual([{ field: '/rules', message: expect.stringContaining('required') }]);
    expect(validateRuleGroup({ name: 'g', rules: [], position: -1, active: 'yes' }, ctx).errors.map((e) => e.field)).toEqual(['/position', '/active']);
    expect(validateRuleGroup({ name: 'g', rules: [] }, ctx)).toEqual({ errors: [], warnings: [] });
    const bad = {
      name: 'g',
      rules: [
        'not a rule',
        { id: 'r', match: 'some', conditions: 'x', stopRules: 1, stopGroups: 'no', actions: [] },
        { id: 'r', match: 'all', conditions: [null], eventTypes: 'ticket.created', actions: [{ webhook: '', schema: 5 }, 'x'] },
      ],
    };
    expect(validateRuleGroup(bad, ctx).errors.map((e) => e.field)).toEqual([
      '/rules/0',
      '/rules/1/match',
      '/rules/1/stopRules',
      '/rules/1/stopGroups',
      '/rules/1/conditions',
      '/rules/1/actions',
      '/rules/2/id',
      '/rules/2/eventTypes',
      '/rules/2/conditions/0',
      '/rules/2/actions/0/webhook',
      '/rules/2/actions/0/schema',
      '/rules/2/actions/1',
    ]);
  });

  it('accepts a rule without actions only when it stops something', () => {
    expect(validateRuleGroup(withRule({ actions: [] }), ctx).errors).toEqual([{ field: '/rules/0/actions', message: expect.stringContaining('at least one') }]);
    expect(validateRuleGroup(withRule({ actions: [], stopGroups: true }), ctx)).toEqual({ errors: [], warnings: [] });
  });
});
