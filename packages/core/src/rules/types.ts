/**
 * Event rules (F4), as the Norwegian seed's "Lag hendelsesregel" screen: an account keeps
 * ordered groups of ordered rules; a rule's conditions are joined by `all` or `any`, and when
 * they hold the rule's actions fire, each a (webhook, schema) pair.
 *
 * The order in which groups and rules are evaluated, and what the flags do, is written once on
 * `evaluateRules` (`./engine.ts`).
 */

/**
 * The condition operators. What each one means (all of them total: a missing field or a type
 * mismatch makes a condition false, never an error — except the two negations, see below):
 *
 * - `equals` — the field's value is structurally equal to `value` (JSON equality: same type, same
 *   primitive, or arrays/objects with equal members). No coercion: `5` does not equal `"5"`.
 * - `not_equals` — exactly `!equals`; so a missing field is "not equal" (use `exists` to require it).
 * - `in` — `value` is an array; the field's value equals one of its members (as `equals`).
 * - `not_in` — exactly `!in` (a missing field is "not in"). An `in`/`not_in` whose `value` is not
 *   an array is invalid and always false.
 * - `contains` — a string field contains `value` (a string) as a substring, case-sensitive; or an
 *   array field has a member equal to `value`. Anything else is false.
 * - `exists` — `value` is `true` (the default when absent) or `false`: whether the field is present
 *   with a value other than `null`.
 * - `changed` — only for fields under `data`: `previous` holds the changed fields as they were
 *   before, keyed as in `data` (see DESIGN.md's envelope), so `data.<path>` is compared with
 *   `previous.<path>` (`data.priority` ↔ `previous.priority`, `data.ticket.status` ↔
 *   `previous.ticket.status`). The field changed when `previous.<path>` is present (a `null` there
 *   counts: "was empty") and is not equal to `data.<path>` (a field removed from `data` counts as
 *   changed). A field absent from `previous` did not change.
 * - `changed_to` — `changed`, and the field now equals `value`.
 * - `greater_than` / `less_than` — numbers compare as numbers; when `value` is an ISO 8601 date or
 *   date-time string (`2026-11-24`, `2026-11-24T10:55:27Z`, `…+01:00`; no zone = UTC), a field that
 *   is such a string too compares as an instant. Anything else (a numeric string, a non-date
 *   string, a date against a number) is false.
 */
export const CONDITION_OPERATORS = [
  'equals',
  'not_equals',
  'in',
  'not_in',
  'contains',
  'exists',
  'changed',
  'changed_to',
  'greater_than',
  'less_than',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** How a rule joins its conditions. `all` of none holds; `any` of none does not. */
export const RULE_MATCHES = ['all', 'any'] as const;
export type RuleMatch = (typeof RULE_MATCHES)[number];

/**
 * One test on the event. `field` is a dotted path into the envelope: `type`, `action`, `project`,
 * `account`, `id`, `occurredAt`, `entity`, `entity.type`, `entity.id`, or anything under `data`
 * and `previous` (`data.priority`, `data.ticket.status`, `data.tags.0` — a decimal segment
 * indexes an array). Keys that themselves contain a dot cannot be addressed.
 */
export interface Condition {
  field: string;
  op: ConditionOperator;
  /** The operand; its shape depends on the operator (see CONDITION_OPERATORS). Unused by `changed`. */
  value?: unknown;
}

/** What a rule does when it matches: send the event to a webhook with a schema. */
export interface RuleAction {
  webhook: string;
  /** The payload schema; null = the default payload (F5), not the webhook's default schema. */
  schema: string | null;
}

export interface Rule {
  id: string;
  name?: string;
  /**
   * Only events of these types are considered by the rule; absent or empty = every type. A rule
   * that does not consider an event neither matches it nor stops anything.
   */
  eventTypes?: string[];
  match: RuleMatch;
  conditions: Condition[];
  /** "Stop checking further rules if the conditions of this rule are met" (of this group). */
  stopRules: boolean;
  /** "Stop checking further groups if the conditions of this rule are met" (implies stopRules). */
  stopGroups: boolean;
  actions: RuleAction[];
}

/** An account's ordered group of rules (`/v1/rule-groups`). */
export interface RuleGroup {
  /** `rg_…` */
  id: string;
  account: string;
  name: string;
  /** Groups are evaluated by ascending position; groups without one come after those with one. */
  position?: number;
  /** An inactive group is skipped as if it did not exist. */
  active: boolean;
  rules: Rule[];
  createdAt: Date;
  updatedAt: Date;
}
