import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareGroups, compileCondition, compileRules } from './compile.ts';
import { evaluateRules } from './engine.ts';
import { CONDITION_OPERATORS, type Condition, type Rule, type RuleAction, type RuleGroup } from './types.ts';

// Arbitrary values of every kind JavaScript has (not only JSON), as a hostile producer could send.
const anything = fc.anything({
  maxDepth: 4,
  withBoxedValues: true,
  withNullPrototype: true,
  withSparseArray: true,
  withMap: true,
  withSet: true,
  withDate: true,
  withTypedArray: true,
  withBigInt: true,
});

const types = ['ticket.created', 'ticket.priority_changed', 'ticket.deleted'];
const fields = fc.oneof(
  fc.constantFrom(
    'type',
    'action',
    'project',
    'entity.type',
    'entity.id',
    'data',
    'data.priority',
    'data.a',
    'data.a.b',
    'data.tags.0',
    'previous.priority',
    'data.__proto__',
    'data.constructor',
    'occurredAt',
  ),
  fc.string(),
);
const values = fc.oneof(
  fc.constantFrom('high', 'low', 1, 2, true, null, '2026-11-24', '2026-11-24T10:00:00Z', ['high', 'low'], [1, 2], ...types),
  fc.jsonValue({ maxDepth: 2 }),
  anything,
);
const randomCondition: fc.Arbitrary<Condition> = fc.record(
  {
    field: fields,
    op: fc.oneof(fc.constantFrom(...CONDITION_OPERATORS), fc.string()) as fc.Arbitrary<Condition['op']>,
    value: values,
  },
  { requiredKeys: ['field', 'op'] },
);
// Conditions that often hold on the envelopes below, so that rules often fire and flags often act.
const likelyCondition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ field: fc.constant('type'), op: fc.constant('equals' as const), value: fc.constantFrom(...types) }),
  fc.record({ field: fc.constant('type'), op: fc.constant('in' as const), value: fc.subarray(types) }),
  fc.record({ field: fc.constant('data.priority'), op: fc.constantFrom('equals' as const, 'not_equals' as const, 'changed_to' as const), value: fc.constantFrom('high', 'low') }),
  fc.record({ field: fc.constantFrom('data.priority', 'project', 'data.a.b'), op: fc.constantFrom('exists' as const, 'changed' as const) }),
);
const condition: fc.Arbitrary<Condition> = fc.oneof({ arbitrary: likelyCondition, weight: 3 }, { arbitrary: randomCondition, weight: 1 });
const action: fc.Arbitrary<RuleAction> = fc.record({
  webhook: fc.constantFrom('wh_1', 'wh_2', 'wh_3'),
  schema: fc.constantFrom(null, 'sch_1', 'sch_2'),
});
const rule: fc.Arbitrary<Rule> = fc.record(
  {
    id: fc.string({ maxLength: 4 }),
    eventTypes: fc.array(fc.constantFrom(...types), { maxLength: 2 }),
    match: fc.constantFrom('all', 'any', 'all', 'any', 'none') as fc.Arbitrary<Rule['match']>,
    conditions: fc.array(condition, { maxLength: 3 }),
    stopRules: fc.boolean(),
    stopGroups: fc.boolean(),
    actions: fc.array(action, { maxLength: 3 }),
  },
  { requiredKeys: ['id', 'match', 'conditions', 'stopRules', 'stopGroups', 'actions'] },
);
const group: fc.Arbitrary<RuleGroup> = fc.record(
  {
    id: fc.string({ maxLength: 3 }),
    account: fc.constant('acc_1'),
    name: fc.constant('g'),
    position: fc.integer({ min: 0, max: 3 }),
    active: fc.boolean(),
    rules: fc.array(rule, { maxLength: 4 }),
    createdAt: fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2026-01-02T00:00:00Z') }),
    updatedAt: fc.constant(new Date('2026-01-02T00:00:00Z')),
  },
  { requiredKeys: ['id', 'account', 'name', 'active', 'rules', 'createdAt', 'updatedAt'] },
);
const groups = fc.array(group, { maxLength: 4 });

// Events: entirely arbitrary values, and envelopes whose every part is arbitrary.
const envelope = fc.record(
  {
    id: fc.string(),
    type: fc.oneof(fc.constantFrom(...types), anything),
    account: fc.constant('acc_1'),
    project: fc.oneof(fc.constantFrom('prj_1', 'prj_2'), anything),
    entity: fc.oneof(fc.record({ type: fc.constantFrom('ticket', 'user'), id: fc.string() }), anything),
    action: fc.constantFrom('new', 'update', 'delete'),
    occurredAt: fc.oneof(fc.constant('2026-11-24T10:55:27Z'), fc.string()),
    data: fc.oneof(
      fc.record(
        { priority: fc.oneof(fc.constantFrom('high', 'low'), values), a: fc.oneof(fc.record({ b: values }), anything), tags: fc.oneof(fc.array(values), anything) },
        { requiredKeys: [] },
      ),
      anything,
    ),
    previous: fc.oneof(fc.record({ priority: fc.oneof(fc.constantFrom('high', 'low'), values), a: anything }, { requiredKeys: [] }), anything),
  },
  { requiredKeys: ['id', 'type', 'account', 'entity', 'action', 'occurredAt'] },
);
const events = fc.oneof({ arbitrary: envelope, weight: 4 }, { arbitrary: anything, weight: 1 });

/**
 * The documented evaluation order, written as plainly as possible: no compiled plans, no
 * type narrowing, no caches. The compiled engine must agree with it on every input.
 */
function reference(gs: readonly RuleGroup[], event: unknown): RuleAction[] {
  const type = typeof event === 'object' && event !== null && Object.hasOwn(event, 'type') ? (event as { type: unknown }).type : undefined;
  const out: RuleAction[] = [];
  const add = (a: RuleAction): void => {
    if (!out.some((o) => o.webhook === a.webhook && o.schema === a.schema)) out.push({ webhook: a.webhook, schema: a.schema });
  };
  for (const g of [...gs].filter((x) => x.active).sort(compareGroups)) {
    for (const r of g.rules) {
      if (r.eventTypes !== undefined && r.eventTypes.length > 0 && !r.eventTypes.includes(type as string)) continue;
      const results = r.conditions.map((cond) => compileCondition(cond)(event));
      const matched = r.match === 'all' ? results.every(Boolean) : r.match === 'any' ? results.some(Boolean) : false;
      if (!matched) continue;
      r.actions.forEach(add);
      if (r.stopGroups) return out;
      if (r.stopRules) break;
    }
  }
  return out;
}

describe('rule evaluation, on arbitrary rules and events', () => {
  it('never throws, and fires each (webhook, schema) pair at most once', () => {
    fc.assert(
      fc.property(groups, fc.array(events, { minLength: 1, maxLength: 5 }), (gs, evs) => {
        const compiled = compileRules(gs);
        for (const e of evs) {
          const fired = evaluateRules(compiled, e);
          const keys = fired.map((a) => JSON.stringify([a.webhook, a.schema]));
          expect(new Set(keys).size).toBe(keys.length);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary conditions of any shape', () => {
    fc.assert(
      fc.property(fc.oneof(condition, anything), events, (cond, e) => {
        expect(typeof compileCondition(cond as Condition)(e)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with a plain reading of the documented order (plans, type narrowing and caches change nothing)', () => {
    fc.assert(
      fc.property(groups, fc.array(events, { minLength: 1, maxLength: 5 }), (gs, evs) => {
        const compiled = compileRules(gs);
        for (const e of evs) expect(evaluateRules(compiled, e)).toEqual(reference(gs, e));
      }),
      { numRuns: 1000 },
    );
  });

  it('compiles and evaluates stored records of any shape without throwing (a bad part never fires)', () => {
    const mangledRule = fc.oneof(rule, anything, fc.record({ id: fc.string(), match: fc.constant('all'), conditions: fc.array(anything), actions: fc.array(anything) }));
    const mangledGroup = fc.oneof(
      fc.record({ id: fc.string(), account: fc.constant('acc_1'), name: fc.constant('g'), active: fc.constant(true), rules: fc.oneof(fc.array(mangledRule), anything), createdAt: anything, position: anything }),
      anything,
    );
    fc.assert(
      fc.property(fc.array(mangledGroup, { maxLength: 3 }), events, (gs, e) => {
        const fired = evaluateRules(compileRules(gs as RuleGroup[]), e);
        for (const a of fired) {
          expect(typeof a.webhook).toBe('string');
          expect(a.schema === null || typeof a.schema === 'string').toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('fires nothing when every group is inactive', () => {
    fc.assert(
      fc.property(groups, events, (gs, e) => {
        expect(evaluateRules(compileRules(gs.map((g) => ({ ...g, active: false }))), e)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
