import type { CompiledRules } from './compile.ts';
import type { RuleAction } from './types.ts';

function typeOf(event: unknown): unknown {
  return typeof event === 'object' && event !== null && Object.hasOwn(event, 'type') ? (event as { type: unknown }).type : undefined;
}

/**
 * Calls `fire` for each action of each rule that matches, in evaluation order (see
 * `evaluateRules`), duplicates included. Internal: the matcher uses it to merge rule actions with
 * subscriptions without an intermediate list.
 */
export function visitFiredActionsInternal(compiled: CompiledRules, event: unknown, fire: (action: RuleAction) => void): void {
  const plan = compiled.planForInternal(typeOf(event));
  for (let g = 0; g < plan.length; g++) {
    const rules = plan[g]!;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      if (!rule.test(event)) continue;
      for (let a = 0; a < rule.actions.length; a++) fire(rule.actions[a]!);
      if (rule.stopGroups) return;
      if (rule.stopRules) break;
    }
  }
}

/**
 * The actions that fire for an event, in order, each (webhook, schema) pair once (at its first
 * firing). Never throws, whatever the event holds.
 *
 * **Evaluation order** (tested exactly in `engine.test.ts`):
 * 1. Groups run by `position` ascending (groups without a position after all that have one), ties
 *    broken by `createdAt`, then `id`. Inactive groups are skipped as if absent.
 * 2. Within a group, rules run in their array order.
 * 3. A rule whose `eventTypes` filter (absent or empty = every type) leaves out the event's type is
 *    not considered: it neither matches nor stops anything.
 * 4. A considered rule matches when its conditions hold: `all` — every condition (so `all` with no
 *    conditions always matches); `any` — at least one (so `any` with no conditions never matches).
 * 5. When a rule matches, its actions fire, in their order. Then:
 *    - `stopGroups`: evaluation ends — no further rule of this group, no further group (it implies
 *      `stopRules`);
 *    - `stopRules` (alone): the remaining rules of this group are skipped; the next group runs;
 *    - neither: the next rule runs.
 *    A rule that does not match never stops anything, whatever its flags.
 *
 * The flags stop rules only: plain webhook subscriptions are not rules, and an event still goes to
 * the webhooks subscribed to its type (see `createMatcher`).
 */
export function evaluateRules(compiled: CompiledRules, event: unknown): RuleAction[] {
  const fired: RuleAction[] = [];
  const seen = new PairSetInternal();
  visitFiredActionsInternal(compiled, event, (action) => {
    if (seen.add(action.webhook, action.schema)) fired.push({ webhook: action.webhook, schema: action.schema });
  });
  return fired;
}

/** A set of (webhook, schema) pairs, exact for any strings. Internal. */
export class PairSetInternal {
  readonly #schemasByWebhook = new Map<string, Set<string | null>>();

  /** Adds the pair; false when it was already there. */
  add(webhookId: string, schemaId: string | null): boolean {
    let schemas = this.#schemasByWebhook.get(webhookId);
    if (schemas === undefined) {
      schemas = new Set();
      this.#schemasByWebhook.set(webhookId, schemas);
    } else if (schemas.has(schemaId)) {
      return false;
    }
    schemas.add(schemaId);
    return true;
  }
}
