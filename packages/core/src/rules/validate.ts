/**
 * The checks of a rule group when it is saved (`POST`/`PUT /v1/rule-groups`): its structure, each
 * condition's operator, field path and operand, and each action's webhook and schema. Pure: what
 * it needs to know about the account (its webhooks and schemas, the event type catalog) is passed
 * in, pre-loaded.
 */
import type { FieldError } from '../errors.ts';
import { checkFieldPath, isDataPath } from './field-path.ts';
import { schemaPath } from './schema-path.ts';
import { CONDITION_OPERATORS, RULE_MATCHES, type ConditionOperator } from './types.ts';
import { isoInstant } from './values.ts';

export interface RuleValidationContext {
  /** Whether the account has this webhook (another account's webhook is as unknown as a missing one). */
  webhookExists(id: string): boolean;
  /** Whether the account has this payload schema. */
  schemaExists(id: string): boolean;
  /**
   * The event type catalog (F16): type name → the JSON Schema of its events' `data`, or undefined
   * when the type publishes none. Absent = no catalog: field paths are checked for their syntax only.
   */
  eventTypes?: ReadonlyMap<string, Record<string, unknown> | undefined>;
}

/** `errors` refuse the save (a 400 naming each field); `warnings` are worth showing but do not. */
export interface RuleGroupValidation {
  errors: FieldError[];
  warnings: FieldError[];
}

export const RULE_GROUP_LIMITS = {
  nameLength: 200,
  rules: 200,
  conditions: 50,
  actions: 50,
  inValues: 1000,
} as const;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

const OPERATORS: ReadonlySet<string> = new Set(CONDITION_OPERATORS);

/**
 * Checks a rule group as the API receives it: `{ name, position?, active?, rules: [{ id?, name?,
 * eventTypes?, match, conditions: [{ field, operator, value? }], stopRules?, stopGroups?, actions:
 * [{ webhook, schema }] }] }`. Server-owned fields (`id`, `account`, `createdAt`, `updatedAt`)
 * and unknown fields are not looked at (the API's request schema refuses unknown ones).
 *
 * Field paths are checked against the catalog's JSON Schema of each event type the rule can see —
 * its `eventTypes`, or, for an `all` rule without them, the types named by a `type equals`/`type
 * in` condition. A path under `data`/`previous` that none of those schemas has is an error; when
 * one of those types has no schema (or is not in the catalog), or the rule names no type, it is a
 * warning that the path could not be checked.
 */
export function validateRuleGroup(input: unknown, ctx: RuleValidationContext): RuleGroupValidation {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const error = (field: string, message: string): void => void errors.push({ field, message });
  const warn = (field: string, message: string): void => void warnings.push({ field, message });

  if (!isObject(input)) {
    error('', 'the rule group must be a JSON object');
    return { errors, warnings };
  }
  if (!isNonEmptyString(input['name']) || input['name'].trim().length === 0) error('/name', 'is required: a non-empty string');
  else if (input['name'].length > RULE_GROUP_LIMITS.nameLength) error('/name', `must be at most ${RULE_GROUP_LIMITS.nameLength} characters`);
  const position = input['position'];
  if (position !== undefined && !(Number.isSafeInteger(position) && (position as number) >= 0)) {
    error('/position', 'must be an integer of 0 or more');
  }
  if (input['active'] !== undefined && typeof input['active'] !== 'boolean') error('/active', 'must be a boolean');

  const rules = input['rules'];
  if (!Array.isArray(rules)) {
    error('/rules', 'is required: an array of rules');
    return { errors, warnings };
  }
  if (rules.length > RULE_GROUP_LIMITS.rules) error('/rules', `must have at most ${RULE_GROUP_LIMITS.rules} rules`);
  const ruleIds = new Set<string>();
  rules.forEach((rule, i) => {
    const at = `/rules/${i}`;
    if (!isObject(rule)) {
      error(at, 'must be a JSON object');
      return;
    }
    if (rule['id'] !== undefined) {
      if (!isNonEmptyString(rule['id'])) error(`${at}/id`, 'must be a non-empty string');
      else if (ruleIds.has(rule['id'])) error(`${at}/id`, 'is used by another rule of the group');
      else ruleIds.add(rule['id']);
    }
    if (rule['name'] !== undefined && typeof rule['name'] !== 'string') error(`${at}/name`, 'must be a string');
    checkEventTypes(rule['eventTypes'], `${at}/eventTypes`);
    const match = rule['match'];
    if (!RULE_MATCHES.includes(match as never)) error(`${at}/match`, `must be one of ${RULE_MATCHES.join(', ')}`);
    for (const flag of ['stopRules', 'stopGroups'] as const) {
      if (rule[flag] !== undefined && typeof rule[flag] !== 'boolean') error(`${at}/${flag}`, 'must be a boolean');
    }
    const types = typesOfRule(rule);
    if (types !== null && types.length === 0) warn(at, 'its eventTypes and "type" conditions admit no event type: the rule never matches');
    const conditions = rule['conditions'];
    if (!Array.isArray(conditions)) error(`${at}/conditions`, 'is required: an array of conditions (empty: `all` always matches, `any` never)');
    else {
      if (conditions.length > RULE_GROUP_LIMITS.conditions) error(`${at}/conditions`, `must have at most ${RULE_GROUP_LIMITS.conditions} conditions`);
      conditions.forEach((c, j) => checkCondition(c, `${at}/conditions/${j}`, types));
    }
    checkActions(rule, at);
  });
  return { errors, warnings };

  function checkEventTypes(value: unknown, at: string): void {
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      error(at, 'must be an array of event type names');
      return;
    }
    value.forEach((t, k) => {
      if (!isNonEmptyString(t)) error(`${at}/${k}`, 'must be a non-empty string');
      else if (ctx.eventTypes !== undefined && !ctx.eventTypes.has(t)) warn(`${at}/${k}`, `${t} is not in the event type catalog`);
    });
  }

  function checkActions(rule: Obj, at: string): void {
    const actions = rule['actions'];
    if (!Array.isArray(actions)) {
      error(`${at}/actions`, 'is required: an array of { webhook, schema } pairs');
      return;
    }
    if (actions.length === 0 && rule['stopRules'] !== true && rule['stopGroups'] !== true) {
      error(`${at}/actions`, 'must name at least one (webhook, schema) pair, unless the rule only stops further rules or groups');
    }
    if (actions.length > RULE_GROUP_LIMITS.actions) error(`${at}/actions`, `must have at most ${RULE_GROUP_LIMITS.actions} actions`);
    const pairs = new Set<string>();
    actions.forEach((a, k) => {
      const aAt = `${at}/actions/${k}`;
      if (!isObject(a)) {
        error(aAt, 'must be a JSON object: { webhook, schema }');
        return;
      }
      const webhookId = a['webhook'];
      const schemaId = a['schema'];
      if (!isNonEmptyString(webhookId)) error(`${aAt}/webhook`, 'is required: the id of a webhook');
      else if (!ctx.webhookExists(webhookId)) error(`${aAt}/webhook`, `no webhook ${webhookId} in this account`);
      if (schemaId !== null && !isNonEmptyString(schemaId)) {
        error(`${aAt}/schema`, 'is required: the id of a payload schema, or null for the default payload');
      } else if (schemaId !== null && !ctx.schemaExists(schemaId)) error(`${aAt}/schema`, `no schema ${schemaId} in this account`);
      if (isNonEmptyString(webhookId) && (schemaId === null || isNonEmptyString(schemaId))) {
        const key = JSON.stringify([webhookId, schemaId]);
        if (pairs.has(key)) warn(aAt, 'repeats an earlier action of this rule; it is sent once');
        pairs.add(key);
      }
    });
  }

  function checkCondition(c: unknown, at: string, types: string[] | null): void {
    if (!isObject(c)) {
      error(at, 'must be a JSON object: { field, op, value }');
      return;
    }
    const operator = c['op'];
    const knownOperator = typeof operator === 'string' && OPERATORS.has(operator);
    if (!knownOperator) error(`${at}/op`, `must be one of ${CONDITION_OPERATORS.join(', ')}`);
    const path = checkFieldPath(c['field']);
    if (!path.ok) error(`${at}/field`, path.message);
    else {
      if ((operator === 'changed' || operator === 'changed_to') && !isDataPath(path.segments)) {
        error(`${at}/field`, `${operator} compares data.<path> with previous.<path>: the field must be under data, such as data.priority`);
      }
      checkAgainstSchemas(path.segments, `${at}/field`, types);
    }
    if (knownOperator) checkOperand(operator as ConditionOperator, c, `${at}/value`);
  }

  function checkOperand(operator: ConditionOperator, c: Obj, at: string): void {
    const has = Object.hasOwn(c, 'value') && c['value'] !== undefined;
    const value = c['value'];
    switch (operator) {
      case 'equals':
      case 'not_equals':
      case 'contains':
      case 'changed_to':
        if (!has) error(at, `is required by ${operator}`);
        return;
      case 'in':
      case 'not_in':
        if (!Array.isArray(value)) error(at, `must be an array of values for ${operator}`);
        else if (value.length > RULE_GROUP_LIMITS.inValues) error(at, `must have at most ${RULE_GROUP_LIMITS.inValues} values`);
        else if (value.length === 0) warn(at, operator === 'in' ? 'is empty: the condition never holds' : 'is empty: the condition always holds');
        return;
      case 'exists':
        if (has && typeof value !== 'boolean') error(at, 'must be true or false (absent = true)');
        return;
      case 'changed':
        if (has && value !== null) error(at, 'is not used by changed (use changed_to to name the new value)');
        return;
      case 'greater_than':
      case 'less_than':
        if (typeof value === 'number' ? Number.isNaN(value) || !Number.isFinite(value) : isoInstant(value) === undefined) {
          error(at, `must be a number or an ISO 8601 date or date-time for ${operator}`);
        }
        return;
    }
  }

  function checkAgainstSchemas(segments: string[], at: string, types: string[] | null): void {
    const catalog = ctx.eventTypes;
    if (catalog === undefined) return;
    if (segments[0] !== 'data' && segments[0] !== 'previous') return;
    const path = segments.join('.');
    if (types === null) {
      warn(at, `${path} could not be checked: the rule names no event type (eventTypes, or a "type equals" condition)`);
      return;
    }
    if (segments.length === 1) return;
    const rest = segments.slice(1);
    const unchecked: string[] = [];
    let checked = false;
    for (const type of types) {
      const schema = catalog.get(type);
      if (schema === undefined) {
        unchecked.push(type);
        continue;
      }
      const found = schemaPath(schema, rest);
      if (found !== 'absent') return;
      checked = true;
    }
    if (unchecked.length > 0) {
      warn(at, `${path} could not be checked: ${unchecked.join(', ')} ${unchecked.length === 1 ? 'has' : 'have'} no JSON Schema in the catalog`);
    } else if (checked) {
      error(at, `${path} is not a field of ${types.join(', ')} events (not in the event type's JSON Schema)`);
    }
  }
}

/**
 * The event types a rule can see, as far as can be told when saving: its `eventTypes`, narrowed by
 * the `type equals`/`type in` conditions of an `all` rule. null = not known (any type).
 */
function typesOfRule(rule: Obj): string[] | null {
  const filter = rule['eventTypes'];
  let types: string[] | null = Array.isArray(filter) && filter.length > 0 ? filter.filter(isNonEmptyString) : null;
  const conditions = rule['conditions'];
  if (rule['match'] !== 'all' || !Array.isArray(conditions)) return types;
  for (const c of conditions) {
    if (!isObject(c) || c['field'] !== 'type') continue;
    const value = c['value'];
    const named =
      c['op'] === 'equals' && typeof value === 'string'
        ? [value]
        : c['op'] === 'in' && Array.isArray(value)
          ? value.filter(isNonEmptyString)
          : null;
    if (named === null) continue;
    types = types === null ? named : types.filter((t) => named.includes(t));
  }
  return types;
}
