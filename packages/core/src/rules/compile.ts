/**
 * Rule groups compiled for fast evaluation: each condition becomes a closure over its pre-split
 * path and pre-computed operand (a Set for `in`, an instant for a date bound), each rule knows the
 * event types it can match, and the groups are put in evaluation order once. Per event type, the
 * list of rules that can consider it is computed on first use and kept.
 *
 * Compiling never throws on a stored record that the validator would have refused: a condition
 * that cannot be compiled (unknown operator, bad path, wrong operand) is always false, a rule with
 * an unknown join never matches, and a rule or action that is not an object (or an action without
 * a string `webhookId`) is left out.
 */
import { checkFieldPath, isDataPath, readPath } from './field-path.ts';
import type { Condition, Rule, RuleAction, RuleGroup } from './types.ts';
import { isoInstant, isPrimitive, jsonEqual } from './values.ts';

/** A compiled condition or rule: a pure test of an event (of any shape). */
export type EventTest = (event: unknown) => boolean;

const NEVER: EventTest = () => false;

/** A rule ready to run. Internal to the rule engine; exported for `engine.ts`. */
export interface CompiledRuleInternal {
  readonly groupId: string;
  readonly ruleId: string;
  /** The event types the rule can match; null = any. */
  readonly types: ReadonlySet<string> | null;
  readonly test: EventTest;
  readonly stopRules: boolean;
  readonly stopGroups: boolean;
  readonly actions: readonly RuleAction[];
}

/** The rules of one group that can consider events of one type, in order. */
export type GroupPlanInternal = readonly CompiledRuleInternal[];

/** How many event types get a cached plan; events of further types are planned each time. */
const MAX_CACHED_PLANS = 4096;

/** An account's rule groups, compiled (see `compileRules`). Evaluate with `evaluateRules`. */
export class CompiledRules {
  /** Active groups in evaluation order, each with all its rules. */
  readonly #groups: readonly GroupPlanInternal[];
  readonly #plans = new Map<string, readonly GroupPlanInternal[]>();
  #untypedPlan: readonly GroupPlanInternal[] | undefined;

  constructor(groups: readonly GroupPlanInternal[]) {
    this.#groups = groups;
  }

  /** How many rules were compiled (of active groups). */
  get ruleCount(): number {
    return this.#groups.reduce((n, g) => n + g.length, 0);
  }

  /** Every action of every compiled rule (the objects `visitFiredActionsInternal` passes on). Internal. */
  actionsInternal(): RuleAction[] {
    return this.#groups.flatMap((g) => g.flatMap((r) => r.actions));
  }

  /**
   * The groups (non-empty, in order) with the rules (in order) that consider events of this type.
   * Leaving out the rules that do not consider the type changes nothing: they can neither match
   * nor stop anything. Internal to the rule engine.
   */
  planForInternal(type: unknown): readonly GroupPlanInternal[] {
    if (typeof type !== 'string') {
      this.#untypedPlan ??= this.#plan(undefined);
      return this.#untypedPlan;
    }
    let plan = this.#plans.get(type);
    if (plan === undefined) {
      plan = this.#plan(type);
      if (this.#plans.size < MAX_CACHED_PLANS) this.#plans.set(type, plan);
    }
    return plan;
  }

  #plan(type: string | undefined): readonly GroupPlanInternal[] {
    const plan: GroupPlanInternal[] = [];
    for (const group of this.#groups) {
      const rules = group.filter((r) => r.types === null || (type !== undefined && r.types.has(type)));
      if (rules.length > 0) plan.push(rules);
    }
    return plan;
  }
}

/**
 * Compiles an account's rule groups. Inactive groups are left out; the rest are ordered by
 * `position` ascending (groups without a position last), then `createdAt`, then `id`.
 */
export function compileRules(groups: readonly RuleGroup[]): CompiledRules {
  const ordered = groups.filter((g) => isRecord(g) && g.active === true).sort(compareGroups);
  return new CompiledRules(
    ordered.map((g) => (Array.isArray(g.rules) ? g.rules : []).filter(isRecord).map((r) => compileRule(g.id, r))),
  );
}

function isRecord<T>(v: T): v is T & object {
  return typeof v === 'object' && v !== null;
}

/** A usable action: a webhook id, and a schema id or null (absent = null). */
function isAction(a: unknown): a is RuleAction {
  if (!isRecord(a)) return false;
  const { webhook: webhookId, schema: schemaId } = a as Partial<RuleAction>;
  return typeof webhookId === 'string' && (schemaId === undefined || schemaId === null || typeof schemaId === 'string');
}

function positionOf(g: RuleGroup): number {
  return typeof g.position === 'number' && !Number.isNaN(g.position) ? g.position : Infinity;
}

function instantOf(d: unknown): number {
  const t = d instanceof Date ? d.getTime() : typeof d === 'string' ? Date.parse(d) : NaN;
  return Number.isNaN(t) ? Infinity : t;
}

function compareKeys(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The evaluation order of groups: position, then creation time, then id. */
export function compareGroups(a: RuleGroup, b: RuleGroup): number {
  return (
    compareKeys(positionOf(a), positionOf(b)) ||
    compareKeys(instantOf(a.createdAt), instantOf(b.createdAt)) ||
    compareKeys(typeof a.id === 'string' ? a.id : '', typeof b.id === 'string' ? b.id : '')
  );
}

function compileRule(groupId: string, rule: Rule): CompiledRuleInternal {
  const conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
  const tests = conditions.map(compileCondition);
  return {
    groupId,
    ruleId: rule.id,
    types: typesOf(rule, conditions),
    test: rule.match === 'any' ? anyOf(tests) : rule.match === 'all' ? allOf(tests) : NEVER,
    stopRules: rule.stopRules === true,
    stopGroups: rule.stopGroups === true,
    actions: (Array.isArray(rule.actions) ? rule.actions : [])
      .filter(isAction)
      .map((a) => ({ webhook: a.webhook, schema: a.schema ?? null })),
  };
}

/**
 * The event types a rule can match: its `eventTypes` filter, narrowed by any `type equals X` /
 * `type in [...]` condition of an `all` rule (the Norwegian seed's "Ticket Event is equal to
 * Priority Changed" is such a condition). null = any type.
 */
function typesOf(rule: Rule, conditions: readonly Condition[]): ReadonlySet<string> | null {
  let types: Set<string> | null =
    Array.isArray(rule.eventTypes) && rule.eventTypes.length > 0 ? new Set(rule.eventTypes.filter((t) => typeof t === 'string')) : null;
  if (rule.match !== 'all') return types;
  for (const c of conditions) {
    if (c === null || typeof c !== 'object' || c.field !== 'type') continue;
    // Only string operands narrow: an event of any shape may carry a type that is not a string.
    let named: ReadonlySet<string> | null = null;
    if (c.op === 'equals' && typeof c.value === 'string') named = new Set([c.value]);
    else if (c.op === 'in' && Array.isArray(c.value) && c.value.every((v) => typeof v === 'string')) named = new Set(c.value as string[]);
    if (named === null) continue;
    const admitted = named;
    types = types === null ? new Set(admitted) : new Set([...types].filter((t) => admitted.has(t)));
  }
  return types;
}

function allOf(tests: readonly EventTest[]): EventTest {
  switch (tests.length) {
    case 0:
      return () => true;
    case 1:
      return tests[0]!;
    case 2: {
      const [a, b] = tests as [EventTest, EventTest];
      return (e) => a(e) && b(e);
    }
    default:
      return (e) => {
        for (let i = 0; i < tests.length; i++) if (!tests[i]!(e)) return false;
        return true;
      };
  }
}

function anyOf(tests: readonly EventTest[]): EventTest {
  switch (tests.length) {
    case 0:
      return NEVER;
    case 1:
      return tests[0]!;
    default:
      return (e) => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(e)) return true;
        return false;
      };
  }
}

type Getter = (event: unknown) => unknown;

function getterFor(segments: readonly string[]): Getter {
  return (event) => readPath(event, segments);
}

/** `equals` against a fixed operand, as a predicate on the field's value. */
function equalTo(expected: unknown): (v: unknown) => boolean {
  if (isPrimitive(expected) && !(typeof expected === 'number' && Number.isNaN(expected))) return (v) => v === expected;
  return (v) => jsonEqual(v, expected);
}

/** `in` a fixed array, as a predicate: primitives through a Set, the rest by JSON equality. */
function memberOf(list: readonly unknown[]): (v: unknown) => boolean {
  const primitives = new Set<unknown>();
  const structured: unknown[] = [];
  for (const item of list) {
    if (isPrimitive(item)) primitives.add(item);
    else structured.push(item);
  }
  if (structured.length === 0) return (v) => isPrimitive(v) && primitives.has(v);
  return (v) => (isPrimitive(v) ? primitives.has(v) : structured.some((s) => jsonEqual(v, s)));
}

/** Compiles one condition to a test of the event; an invalid condition is always false. */
export function compileCondition(condition: Condition): EventTest {
  if (condition === null || typeof condition !== 'object') return NEVER;
  const path = checkFieldPath(condition.field);
  if (!path.ok) return NEVER;
  const get = getterFor(path.segments);
  const value = condition.value;
  switch (condition.op) {
    case 'equals': {
      if (value === undefined) return NEVER;
      const eq = equalTo(value);
      return (e) => eq(get(e));
    }
    case 'not_equals': {
      if (value === undefined) return NEVER;
      const eq = equalTo(value);
      return (e) => !eq(get(e));
    }
    case 'in': {
      if (!Array.isArray(value)) return NEVER;
      const has = memberOf(value);
      return (e) => has(get(e));
    }
    case 'not_in': {
      if (!Array.isArray(value)) return NEVER;
      const has = memberOf(value);
      return (e) => !has(get(e));
    }
    case 'contains': {
      if (value === undefined) return NEVER;
      const eq = equalTo(value);
      const needle = typeof value === 'string' ? value : undefined;
      return (e) => {
        const v = get(e);
        if (typeof v === 'string') return needle !== undefined && v.includes(needle);
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (eq(v[i])) return true;
        return false;
      };
    }
    case 'exists': {
      const wanted = value === undefined ? true : value;
      if (typeof wanted !== 'boolean') return NEVER;
      return (e) => {
        const v = get(e);
        return (v !== undefined && v !== null) === wanted;
      };
    }
    case 'changed':
    case 'changed_to': {
      if (!isDataPath(path.segments)) return NEVER;
      const before = getterFor(['previous', ...path.segments.slice(1)]);
      const changed = (e: unknown): boolean => {
        const was = before(e);
        return was !== undefined && !jsonEqual(get(e), was);
      };
      if (condition.op === 'changed') return changed;
      if (value === undefined) return NEVER;
      const eq = equalTo(value);
      return (e) => eq(get(e)) && changed(e);
    }
    case 'greater_than':
    case 'less_than': {
      const greater = condition.op === 'greater_than';
      if (typeof value === 'number') {
        if (Number.isNaN(value)) return NEVER;
        return greater
          ? (e) => {
              const v = get(e);
              return typeof v === 'number' && v > value;
            }
          : (e) => {
              const v = get(e);
              return typeof v === 'number' && v < value;
            };
      }
      const bound = isoInstant(value);
      if (bound === undefined) return NEVER;
      return (e) => {
        const t = isoInstant(get(e));
        return t !== undefined && (greater ? t > bound : t < bound);
      };
    }
    default:
      return NEVER;
  }
}
