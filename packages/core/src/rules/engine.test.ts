import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../envelope.ts';
import { compileCondition, compileRules } from './compile.ts';
import { evaluateRules } from './engine.ts';
import type { Condition, Rule, RuleAction, RuleGroup } from './types.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  project: 'prj_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: {
    ref: 'T-1042',
    priority: 'high',
    count: 3,
    amount: 12.5,
    flag: false,
    tags: ['printer', 'urgent'],
    nums: [1, 2],
    obj: { a: 1, b: [1, 2] },
    ticket: { status: 'open', assignee: null },
    dueAt: '2026-12-01T09:00:00+01:00',
    was: null,
  },
  previous: { priority: 'low', count: 3, ticket: { status: 'new' }, removed: 'x', was: 'something', assignee: null },
};

const noProject: EventEnvelope = { ...event, project: undefined } as EventEnvelope;
delete (noProject as { project?: string }).project;
const noPrevious: EventEnvelope = { ...event };
delete noPrevious.previous;

function c(field: string, op: string, value?: unknown): Condition {
  return (value === undefined ? { field, op } : { field, op, value }) as Condition;
}

type Case = [string, Condition, boolean, EventEnvelope?];

const cases: Record<string, Case[]> = {
  equals: [
    ['type equals its type', c('type', 'equals', 'ticket.priority_changed'), true],
    ['type equals another type', c('type', 'equals', 'ticket.created'), false],
    ['a string field', c('data.priority', 'equals', 'high'), true],
    ['a different string', c('data.priority', 'equals', 'low'), false],
    ['a number', c('data.count', 'equals', 3), true],
    ['no coercion: 3 is not "3"', c('data.count', 'equals', '3'), false],
    ['no coercion: false is not 0', c('data.flag', 'equals', 0), false],
    ['an object, keys in any order', c('data.obj', 'equals', { b: [1, 2], a: 1 }), true],
    ['an object with fewer keys', c('data.obj', 'equals', { a: 1 }), false],
    ['an array in another order', c('data.nums', 'equals', [2, 1]), false],
    ['null equals null', c('data.ticket.assignee', 'equals', null), true],
    ['a missing field is not null', c('data.missing', 'equals', null), false],
    ['nested path', c('data.ticket.status', 'equals', 'open'), true],
    ['array index', c('data.tags.1', 'equals', 'urgent'), true],
    ['array index out of range', c('data.tags.5', 'equals', 'urgent'), false],
    ['arrays have no length field', c('data.tags.length', 'equals', 2), false],
    ['strings have no fields', c('data.ref.length', 'equals', 6), false],
    ['inherited properties are not fields', c('data.constructor', 'equals', {}), false],
    ['entity.type', c('entity.type', 'equals', 'ticket'), true],
    ['entity.id', c('entity.id', 'equals', '1042'), true],
    ['project', c('project', 'equals', 'prj_1'), true],
    ['project, on an event without one', c('project', 'equals', 'prj_1'), false, noProject],
    ['action', c('action', 'equals', 'update'), true],
    ['without a value: invalid, false', c('data.priority', 'equals'), false],
  ],
  not_equals: [
    ['a different value', c('data.priority', 'not_equals', 'low'), true],
    ['the same value', c('data.priority', 'not_equals', 'high'), false],
    ['a missing field is not equal', c('data.missing', 'not_equals', 'x'), true],
    ['type mismatch is not equal', c('data.count', 'not_equals', '3'), true],
    ['structured equal', c('data.obj', 'not_equals', { a: 1, b: [1, 2] }), false],
    ['without a value: invalid, false', c('data.priority', 'not_equals'), false],
  ],
  in: [
    ['one of the values', c('data.priority', 'in', ['low', 'high']), true],
    ['none of the values', c('data.priority', 'in', ['low', 'normal']), false],
    ['no coercion', c('data.count', 'in', ['3', 'three']), false],
    ['a number among mixed values', c('data.count', 'in', ['x', 3, null]), true],
    ['a structured value', c('data.obj', 'in', [1, { a: 1, b: [1, 2] }]), true],
    ['a structured value not listed', c('data.obj', 'in', [{ a: 2 }]), false],
    ['a missing field is not in [null]', c('data.missing', 'in', [null]), false],
    ['null in [null]', c('data.ticket.assignee', 'in', [null]), true],
    ['an empty list', c('data.priority', 'in', []), false],
    ['a value that is not an array: invalid, false', c('data.priority', 'in', 'high'), false],
    ['type in types', c('type', 'in', ['ticket.created', 'ticket.priority_changed']), true],
  ],
  not_in: [
    ['not among the values', c('data.priority', 'not_in', ['low']), true],
    ['among the values', c('data.priority', 'not_in', ['high', 'x']), false],
    ['a missing field is not in', c('data.missing', 'not_in', ['x']), true],
    ['no coercion', c('data.count', 'not_in', ['3']), true],
    ['an empty list', c('data.priority', 'not_in', []), true],
    ['a value that is not an array: invalid, false', c('data.priority', 'not_in', 'low'), false],
  ],
  contains: [
    ['substring', c('data.ref', 'contains', '1042'), true],
    ['not a substring', c('data.ref', 'contains', 'T-9'), false],
    ['case-sensitive', c('data.ref', 'contains', 't-1042'), false],
    ['array member', c('data.tags', 'contains', 'urgent'), true],
    ['array members are compared whole, not as substrings', c('data.tags', 'contains', 'urg'), false],
    ['number member', c('data.nums', 'contains', 2), true],
    ['no coercion in arrays', c('data.nums', 'contains', '2'), false],
    ['a number needle in a string', c('data.ref', 'contains', 1042), false],
    ['a number haystack', c('data.count', 'contains', 3), false],
    ['an object haystack', c('data.ticket', 'contains', 'open'), false],
    ['a missing haystack', c('data.missing', 'contains', 'x'), false],
    ['without a value: invalid, false', c('data.tags', 'contains'), false],
  ],
  exists: [
    ['present, value absent (= true)', c('data.priority', 'exists'), true],
    ['present, true', c('data.priority', 'exists', true), true],
    ['present, false', c('data.priority', 'exists', false), false],
    ['missing, true', c('data.missing', 'exists', true), false],
    ['missing, false', c('data.missing', 'exists', false), true],
    ['null does not exist', c('data.ticket.assignee', 'exists'), false],
    ['false exists', c('data.flag', 'exists'), true],
    ['project, on an event without one', c('project', 'exists'), false, noProject],
    ['data exists', c('data', 'exists'), true],
    ['a non-boolean value: invalid, false', c('data.missing', 'exists', 'no'), false],
  ],
  changed: [
    ['differs from previous', c('data.priority', 'changed'), true],
    ['absent from previous: unchanged', c('data.ref', 'changed'), false],
    ['in previous with the same value', c('data.count', 'changed'), false],
    ['nested', c('data.ticket.status', 'changed'), true],
    ['removed from data', c('data.removed', 'changed'), true],
    ['was a value, now null', c('data.was', 'changed'), true],
    ['no previous at all', c('data.priority', 'changed'), false, noPrevious],
    ['not under data: invalid, false', c('type', 'changed'), false],
    ['data itself: invalid, false', c('data', 'changed'), false],
    ['previous.x: invalid, false', c('previous.priority', 'changed'), false],
  ],
  changed_to: [
    ['changed to the value', c('data.priority', 'changed_to', 'high'), true],
    ['changed, to another value', c('data.priority', 'changed_to', 'urgent'), false],
    ['equal but unchanged', c('data.count', 'changed_to', 3), false],
    ['nested', c('data.ticket.status', 'changed_to', 'open'), true],
    ['no coercion', c('data.priority', 'changed_to', 1), false],
    ['without a value: invalid, false', c('data.priority', 'changed_to'), false],
  ],
  greater_than: [
    ['a greater number', c('data.count', 'greater_than', 2), true],
    ['an equal number', c('data.count', 'greater_than', 3), false],
    ['a decimal', c('data.amount', 'greater_than', 12.4), true],
    ['a string field against a number', c('data.priority', 'greater_than', 1), false],
    ['a numeric string operand is not a number', c('data.count', 'greater_than', '2'), false],
    ['a later date-time than a date (midnight UTC)', c('data.dueAt', 'greater_than', '2026-12-01'), true],
    ['the same instant in another zone', c('data.dueAt', 'greater_than', '2026-12-01T08:00:00Z'), false],
    ['occurredAt later than an offset date-time', c('occurredAt', 'greater_than', '2026-11-24T11:00:00+01:00'), true],
    ['a non-date string field', c('data.ref', 'greater_than', '2026-01-01'), false],
    ['a number field against a date', c('data.count', 'greater_than', '2026-01-01'), false],
    ['a missing field', c('data.missing', 'greater_than', 0), false],
    ['a non-date string operand: invalid, false', c('data.priority', 'greater_than', 'a'), false],
  ],
  less_than: [
    ['a lesser number', c('data.count', 'less_than', 4), true],
    ['an equal number', c('data.count', 'less_than', 3), false],
    ['an earlier instant', c('data.dueAt', 'less_than', '2026-12-01T08:00:01Z'), true],
    ['a later instant', c('data.dueAt', 'less_than', '2026-12-01T07:59:59Z'), false],
    ['a missing field', c('data.missing', 'less_than', 5), false],
    ['a boolean field', c('data.flag', 'less_than', 1), false],
    ['a non-date string operand: invalid, false', c('data.priority', 'less_than', 'z'), false],
  ],
};

describe('condition operators', () => {
  for (const [operator, table] of Object.entries(cases)) {
    describe(operator, () => {
      it('has a true and a false case', () => {
        expect(table.some(([, , expected]) => expected)).toBe(true);
        expect(table.some(([, , expected]) => !expected)).toBe(true);
      });
      it.each(table)('%s', (_name, condition, expected, e = event) => {
        expect(compileCondition(condition)(e)).toBe(expected);
      });
    });
  }

  it('covers every operator', async () => {
    const { CONDITION_OPERATORS } = await import('./types.ts');
    expect(Object.keys(cases).sort()).toEqual([...CONDITION_OPERATORS].sort());
  });

  it('an unknown operator, a bad path or a non-object condition is false', () => {
    expect(compileCondition(c('data.priority', 'matches', 'high'))(event)).toBe(false);
    expect(compileCondition(c('foo.bar', 'exists'))(event)).toBe(false);
    expect(compileCondition(c('data..priority', 'exists'))(event)).toBe(false);
    expect(compileCondition(c('data.priority', 'not_equals', 'x'))(event)).toBe(true);
    expect(compileCondition(c('unknown', 'not_equals', 'x'))(event)).toBe(false);
    expect(compileCondition(null as unknown as Condition)(event)).toBe(false);
  });
});

// ---- rules, groups, flags, order ----

let seq = 0;
function rule(id: string, conditions: Condition[], extra: Partial<Rule> = {}): Rule {
  return { id, match: 'all', conditions, stopRules: false, stopGroups: false, actions: [{ webhook: `wh_${id}`, schema: null }], ...extra };
}
function group(id: string, rules: Rule[], extra: Partial<RuleGroup> = {}): RuleGroup {
  seq++;
  return {
    id,
    account: 'acc_1',
    name: id,
    active: true,
    rules,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    updatedAt: new Date(Date.UTC(2026, 0, 1)),
    ...extra,
  };
}
const yes = c('data.priority', 'equals', 'high');
const no = c('data.priority', 'equals', 'low');
function fired(groups: RuleGroup[], e: unknown = event): string[] {
  return evaluateRules(compileRules(groups), e).map((a) => a.webhook.replace(/^wh_/, ''));
}

describe('joins', () => {
  it.each([
    ['all', [yes, yes], true],
    ['all', [yes, no], false],
    ['all', [no, no], false],
    ['all', [], true],
    ['any', [no, yes], true],
    ['any', [yes, yes], true],
    ['any', [no, no], false],
    ['any', [], false],
  ] as const)('%s of %j', (match, conditions, expected) => {
    expect(fired([group('g', [rule('r', [...conditions], { match })])])).toEqual(expected ? ['r'] : []);
  });

  it('a rule with an unknown join never matches', () => {
    expect(fired([group('g', [rule('r', [], { match: 'most' as 'all' })])])).toEqual([]);
  });
});

describe('evaluation order', () => {
  it('runs groups by position, then those without one by creation time, then by id', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    const groups = [
      group('late', [rule('late', [])], { createdAt: new Date('2026-03-01T00:00:00Z') }),
      group('p1', [rule('p1', [])], { position: 1 }),
      group('early', [rule('early', [])], { createdAt: new Date('2026-02-01T00:00:00Z') }),
      group('p0', [rule('p0', [])], { position: 0 }),
      group('tie-b', [rule('tie-b', [])], { position: 5, createdAt: t }),
      group('tie-a', [rule('tie-a', [])], { position: 5, createdAt: t }),
      group('p2-old', [rule('p2-old', [])], { position: 2, createdAt: new Date('2025-01-01T00:00:00Z') }),
      group('p2-new', [rule('p2-new', [])], { position: 2, createdAt: new Date('2025-06-01T00:00:00Z') }),
    ];
    expect(fired(groups)).toEqual(['p0', 'p1', 'p2-old', 'p2-new', 'tie-a', 'tie-b', 'early', 'late']);
  });

  it('runs rules in their order within a group, and actions in their order within a rule', () => {
    const r2 = rule('r2', [], {
      actions: [
        { webhook: 'wh_r2b', schema: null },
        { webhook: 'wh_r2a', schema: null },
      ],
    });
    expect(fired([group('g', [rule('r3', []), r2, rule('r1', [])])])).toEqual(['r3', 'r2b', 'r2a', 'r1']);
  });

  it('skips inactive groups, flags included', () => {
    const groups = [
      group('a', [rule('a', [], { stopGroups: true })], { position: 0, active: false }),
      group('b', [rule('b', [])], { position: 1 }),
    ];
    expect(fired(groups)).toEqual(['b']);
  });

  it('stopRules skips the rest of the group and goes on with the next group', () => {
    const groups = [
      group('g1', [rule('r1', []), rule('r2', [], { stopRules: true }), rule('r3', [])], { position: 0 }),
      group('g2', [rule('r4', []), rule('r5', [])], { position: 1 }),
    ];
    expect(fired(groups)).toEqual(['r1', 'r2', 'r4', 'r5']);
  });

  it('stopGroups ends everything after the rule, the rest of its own group included', () => {
    const groups = [
      group('g1', [rule('r1', []), rule('r2', [], { stopGroups: true }), rule('r3', [])], { position: 0 }),
      group('g2', [rule('r4', [])], { position: 1 }),
    ];
    expect(fired(groups)).toEqual(['r1', 'r2']);
    const both = [
      group('g1', [rule('r1', [], { stopGroups: true, stopRules: true }), rule('r2', [])], { position: 0 }),
      group('g2', [rule('r3', [])], { position: 1 }),
    ];
    expect(fired(both)).toEqual(['r1']);
  });

  it('a flag on a rule that does not match stops nothing', () => {
    const groups = [
      group('g1', [rule('r1', [no], { stopRules: true, stopGroups: true }), rule('r2', [])], { position: 0 }),
      group('g2', [rule('r3', [])], { position: 1 }),
    ];
    expect(fired(groups)).toEqual(['r2', 'r3']);
  });

  it('a rule whose eventTypes leave the event out is not considered: no actions, no stop', () => {
    const groups = [
      group('g1', [rule('r1', [], { eventTypes: ['ticket.created'], stopGroups: true }), rule('r2', [], { eventTypes: [] })], { position: 0 }),
      group('g2', [rule('r3', [], { eventTypes: ['ticket.created', 'ticket.priority_changed'] })], { position: 1 }),
    ];
    expect(fired(groups)).toEqual(['r2', 'r3']);
    expect(fired(groups, { ...event, type: 'ticket.created' })).toEqual(['r1']);
  });

  it('a "type equals" condition works the same as an eventTypes filter', () => {
    const groups = [group('g', [rule('r1', [c('type', 'equals', 'ticket.created')], { stopGroups: true }), rule('r2', [])])];
    expect(fired(groups)).toEqual(['r2']);
    expect(fired(groups, { ...event, type: 'ticket.created' })).toEqual(['r1']);
    const any = [group('g', [rule('r1', [c('type', 'equals', 'ticket.created'), yes], { match: 'any' })])];
    expect(fired(any)).toEqual(['r1']);
  });

  it('fires each (webhook, schema) pair once, at its first place', () => {
    const a: RuleAction = { webhook: 'wh_x', schema: 'sch_1' };
    const groups = [
      group('g1', [rule('r1', [], { actions: [a, { webhook: 'wh_x', schema: null }] }), rule('r2', [], { actions: [{ webhook: 'wh_y', schema: null }, a] })], {
        position: 0,
      }),
      group('g2', [rule('r3', [], { actions: [a, { webhook: 'wh_x', schema: 'sch_2' }] })], { position: 1 }),
    ];
    expect(evaluateRules(compileRules(groups), event)).toEqual([
      { webhook: 'wh_x', schema: 'sch_1' },
      { webhook: 'wh_x', schema: null },
      { webhook: 'wh_y', schema: null },
      { webhook: 'wh_x', schema: 'sch_2' },
    ]);
  });

  it('a compiled rule set gives the same answer for every event type over time (plans are cached per type)', () => {
    const compiled = compileRules([group('g', [rule('r1', [], { eventTypes: ['a'] }), rule('r2', [c('type', 'in', ['b', 'c'])])])]);
    const run = (type: unknown): string[] => evaluateRules(compiled, { ...event, type }).map((x) => x.webhook);
    for (let i = 0; i < 2; i++) {
      expect(run('a')).toEqual(['wh_r1']);
      expect(run('b')).toEqual(['wh_r2']);
      expect(run('c')).toEqual(['wh_r2']);
      expect(run('d')).toEqual([]);
      expect(run(42)).toEqual([]);
    }
  });
});

describe("the Norwegian seed's rule", () => {
  // "If all of the following conditions are met: Ticket Event is equal to Priority Changed";
  // neither stop box ticked; Webhooks: Test Webhook — Message 1.
  const seedGroup = group('rg_seed', [
    {
      id: 'r_seed',
      name: 'Priority changed',
      match: 'all',
      conditions: [{ field: 'type', op: 'equals', value: 'ticket.priority_changed' }],
      stopRules: false,
      stopGroups: false,
      actions: [{ webhook: 'wh_test_webhook', schema: 'sch_message_1' }],
    },
  ]);

  it('"Ticket Event is equal to Priority Changed" → Test Webhook + Message 1', () => {
    const compiled = compileRules([seedGroup]);
    expect(evaluateRules(compiled, event)).toEqual([{ webhook: 'wh_test_webhook', schema: 'sch_message_1' }]);
    expect(evaluateRules(compiled, { ...event, type: 'ticket.status_changed' })).toEqual([]);
  });
});
