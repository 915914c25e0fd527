import type { components } from '@herald/api-spec';
import type { HeraldClient } from '@herald/api-spec/client';
import { call } from '../../api.ts';
import { schemaFields, type EventType } from '../schemas/model.ts';

export type RuleGroup = components['schemas']['RuleGroup'];
export type RuleGroupInput = components['schemas']['RuleGroupInput'];
export type Rule = components['schemas']['Rule'];
export type Condition = components['schemas']['RuleCondition'];
export type Operator = Condition['op'];
export type Action = components['schemas']['RuleAction'];

/** The spec's operators (RuleCondition.op), in the order the form offers them. */
export const OPERATORS: Operator[] = ['equals', 'not_equals', 'in', 'not_in', 'contains', 'exists', 'changed', 'changed_to', 'greater_than', 'less_than'];

/** The event's own fields a condition can test (RuleCondition.field), beside `data.…`. */
export const ENVELOPE_FIELDS = ['type', 'action', 'project', 'entity.type', 'entity.id'];

export interface FieldOption {
  path: string;
  type?: string;
}

/** The fields a condition can test for these event types: the envelope's and each type's `data.…`. */
export function fieldOptions(eventTypes: EventType[]): FieldOption[] {
  const out: FieldOption[] = ENVELOPE_FIELDS.map((path) => ({ path, type: 'string' }));
  const seen = new Set(ENVELOPE_FIELDS);
  for (const et of eventTypes) {
    for (const f of schemaFields(et.schema)) {
      const path = `data.${f.path}`;
      if (seen.has(path)) continue;
      seen.add(path);
      out.push({ path, ...(f.type ? { type: f.type } : {}) });
    }
  }
  return out;
}

/** A condition as the form holds it: the value as typed. */
export interface ConditionForm {
  key: number;
  field: string;
  op: Operator;
  value: string;
}

export interface ActionForm {
  key: number;
  webhook: string;
  /** A schema id, or '' for the default payload (null). */
  schema: string;
  /** Whether the user picked the schema (else it follows the webhook's default). */
  schemaTouched: boolean;
}

export interface RuleForm {
  id?: string;
  name: string;
  eventType: string;
  /** Event types beyond the first, kept as they were. */
  otherEventTypes: string[];
  match: 'all' | 'any';
  conditions: ConditionForm[];
  stopRules: boolean;
  stopGroups: boolean;
  actions: ActionForm[];
}

let nextKey = 1;
export const newKey = () => nextKey++;

/** A value as the Value input shows it. */
export function valueToText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  return JSON.stringify(v);
}

function scalar(text: string, type: string | undefined): unknown {
  const s = text.trim();
  const types = (type ?? '').split('|');
  if (types.includes('string') && types.length === 1) return text;
  if ((types.includes('number') || types.includes('integer')) && s !== '' && Number.isFinite(Number(s))) return Number(s);
  if (types.includes('boolean') && (s === 'true' || s === 'false')) return s === 'true';
  if (types.includes('null') && s === 'null') return null;
  if (type === undefined) {
    // Unknown type: a JSON number, boolean or null is taken as such, anything else as text.
    if (s !== '' && /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(s)) return JSON.parse(s);
  }
  return text;
}

/** The JSON value of a condition from what was typed, as its operator needs it (`undefined` = no value). */
export function textToValue(op: Operator, text: string, type: string | undefined): unknown {
  switch (op) {
    case 'changed':
      return undefined;
    case 'exists':
      return text.trim() === '' ? undefined : text.trim() !== 'false';
    case 'in':
    case 'not_in': {
      const s = text.trim();
      if (s.startsWith('[')) {
        try {
          const v: unknown = JSON.parse(s);
          if (Array.isArray(v)) return v;
        } catch {
          // not JSON: split on commas
        }
      }
      return s === '' ? [] : s.split(',').map((p) => scalar(p.trim(), type));
    }
    default:
      return scalar(text, type);
  }
}

export function ruleToForm(r: Rule): RuleForm {
  return {
    ...(r.id ? { id: r.id } : {}),
    name: r.name ?? '',
    eventType: r.eventTypes?.[0] ?? '',
    otherEventTypes: r.eventTypes?.slice(1) ?? [],
    match: r.match,
    conditions: r.conditions.map((c) => ({ key: newKey(), field: c.field, op: c.op, value: valueToText(c.value) })),
    stopRules: r.stopRules ?? false,
    stopGroups: r.stopGroups ?? false,
    actions: r.actions.map((a) => ({ key: newKey(), webhook: a.webhook, schema: a.schema ?? '', schemaTouched: true })),
  };
}

export function emptyRule(): RuleForm {
  return { name: '', eventType: '', otherEventTypes: [], match: 'all', conditions: [], stopRules: false, stopGroups: false, actions: [] };
}

export function formToRule(f: RuleForm, fields: FieldOption[]): Rule {
  const types = f.eventType ? [f.eventType, ...f.otherEventTypes.filter((x) => x !== f.eventType)] : f.otherEventTypes;
  return {
    ...(f.id ? { id: f.id } : {}),
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    ...(types.length > 0 ? { eventTypes: types } : {}),
    match: f.match,
    conditions: f.conditions.map((c) => {
      const value = textToValue(c.op, c.value, fields.find((o) => o.path === c.field)?.type);
      return { field: c.field, op: c.op, ...(value !== undefined ? { value } : {}) };
    }),
    stopRules: f.stopRules,
    stopGroups: f.stopGroups,
    actions: f.actions.map((a) => ({ webhook: a.webhook, schema: a.schema === '' ? null : a.schema })),
  };
}

/** What PUT takes back of a group as the API answered it (no server-owned fields). */
export function groupInput(g: RuleGroup, change: Partial<RuleGroupInput> = {}): RuleGroupInput {
  return {
    name: g.name,
    ...(g.position !== undefined ? { position: g.position } : {}),
    active: g.active,
    rules: g.rules.map(cleanRule),
    ...change,
  };
}

function cleanRule(r: Rule): Rule {
  return {
    ...(r.id ? { id: r.id } : {}),
    ...(r.name !== undefined ? { name: r.name } : {}),
    ...(r.eventTypes !== undefined ? { eventTypes: r.eventTypes } : {}),
    match: r.match,
    conditions: r.conditions,
    stopRules: r.stopRules ?? false,
    stopGroups: r.stopGroups ?? false,
    actions: r.actions,
  };
}

export function moved<T>(list: T[], index: number, by: -1 | 1): T[] {
  const to = index + by;
  if (to < 0 || to >= list.length) return list;
  const out = [...list];
  [out[index], out[to]] = [out[to]!, out[index]!];
  return out;
}

/** Puts the groups in this order: positions 0, 1, 2, … written to each group whose position differs. */
export async function reorderGroups(client: HeraldClient, ordered: RuleGroup[]): Promise<void> {
  for (const [i, g] of ordered.entries()) {
    if (g.position === i) continue;
    await call(client.PUT('/v1/rule-groups/{ruleGroupId}', { params: { path: { ruleGroupId: g.id } }, body: groupInput(g, { position: i }) }));
  }
}

/** The position a new group takes: after every group. */
export function nextPosition(groups: RuleGroup[]): number {
  return groups.reduce((max, g) => Math.max(max, (g.position ?? -1) + 1, 0), groups.length === 0 ? 0 : groups.length);
}
