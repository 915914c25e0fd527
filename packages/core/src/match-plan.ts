/**
 * The matching plan of an account: which (webhook, schema) pairs an event goes to, from plain
 * subscriptions and from event rules together, computed without scanning every webhook.
 */
import type { DeliveryJob } from './delivery.ts';
import type { EventEnvelope } from './envelope.ts';
import { deliveryIdFor } from './ids.ts';
import { compileRules, type CompiledRules } from './rules/compile.ts';
import { visitFiredActionsInternal } from './rules/engine.ts';
import type { RuleAction, RuleGroup } from './rules/types.ts';
import type { Webhook } from './webhook.ts';

/** What matching needs to know of a webhook. */
export type MatchWebhook = Pick<Webhook, 'id' | 'account' | 'active' | 'eventTypes' | 'projects' | 'schema'>;

/** One message to send: a webhook and the schema to render (null = the default payload, F5). */
export interface MatchTarget {
  readonly webhookId: string;
  readonly schemaId: string | null;
}

export interface MatchPlan {
  /**
   * The (webhook, schema) pairs the event goes to, each once; see `createMatchPlan` for the rules.
   * The target objects are frozen and shared between calls.
   */
  match(event: EventEnvelope): MatchTarget[];
}

/** A (webhook, schema) pair known when the matcher is built, numbered for per-event de-duplication. */
interface Pair {
  readonly n: number;
  readonly target: MatchTarget;
}

interface IndexedWebhook {
  readonly account: string;
  /** The subscription's pair: the webhook with its default schema. */
  readonly pair: Pair;
  /** null = all projects of the account. */
  readonly projects: ReadonlySet<string> | null;
}

function inScope(w: IndexedWebhook, event: EventEnvelope): boolean {
  return w.projects === null || (event.project !== undefined && w.projects.has(event.project));
}

/**
 * Builds the matcher of an account's configuration (its webhooks and rule groups; build it again
 * when they change). An event goes to:
 *
 * 1. **Subscriptions** — every active webhook of the event's account that subscribes to the
 *    event's type and whose project scope admits the event's project (a webhook without
 *    `projects` takes events with or without a project; one with a list only events of a listed
 *    project), with the webhook's default schema (`schema ?? null`). In the order of `webhooks`.
 * 2. **Rule actions** — each action of the rules that fire (`evaluateRules`, in its order) whose
 *    webhook is active, of the event's account, and admits the event's project. A rule action does
 *    **not** need the webhook to subscribe to the event's type: a webhook with no event types
 *    receives only what rules send it (the Norwegian seed's model). The action's `schemaId` is
 *    used as given (null = the default payload). An action naming an unknown or deleted webhook
 *    sends nothing.
 *
 * Each (webhook, schema) pair appears once per event, at its first place: a subscription and a
 * rule sending the same pair yield one message; the same webhook with two different schemas yields
 * two. The rule flags (`stopRules`, `stopGroups`) stop rules only, never subscriptions.
 *
 * Webhooks are indexed by account and event type, so an event costs the webhooks subscribed to its
 * type plus the rules that can see its type (the rule plans are cached per type), not a scan of
 * all of them; de-duplication uses pair numbers given at build time, so matching allocates only
 * the returned array. Webhooks and rule groups of another account than the event's never match it.
 * (If several webhooks share an id, rule actions go to the first active one.)
 */
export function createMatchPlan(webhooks: readonly MatchWebhook[], ruleGroups: readonly RuleGroup[]): MatchPlan {
  const pairs = new Map<string, Map<string | null, Pair>>();
  let pairCount = 0;
  const pairOf = (webhookId: string, schemaId: string | null): Pair => {
    let bySchema = pairs.get(webhookId);
    if (bySchema === undefined) pairs.set(webhookId, (bySchema = new Map()));
    let pair = bySchema.get(schemaId);
    if (pair === undefined) bySchema.set(schemaId, (pair = { n: pairCount++, target: Object.freeze({ webhookId, schemaId }) }));
    return pair;
  };

  /** account → event type → subscribed webhooks, in input order. */
  const subscriptions = new Map<string, Map<string, IndexedWebhook[]>>();
  const byId = new Map<string, MatchWebhook>();
  for (const w of webhooks) {
    if (!w.active) continue;
    if (!byId.has(w.id)) byId.set(w.id, w);
    const indexed: IndexedWebhook = {
      account: w.account,
      pair: pairOf(w.id, w.schema ?? null),
      projects: w.projects === undefined ? null : new Set(w.projects),
    };
    let byType = subscriptions.get(w.account);
    if (byType === undefined) subscriptions.set(w.account, (byType = new Map()));
    for (const type of new Set(w.eventTypes)) {
      let list = byType.get(type);
      if (list === undefined) byType.set(type, (list = []));
      list.push(indexed);
    }
  }

  const groupsByAccount = new Map<string, RuleGroup[]>();
  for (const g of ruleGroups) {
    let list = groupsByAccount.get(g.account);
    if (list === undefined) groupsByAccount.set(g.account, (list = []));
    list.push(g);
  }
  const rulesByAccount = new Map<string, CompiledRules>();
  /** Each compiled action whose webhook exists and is active, with its webhook and pair. */
  const actionTargets = new Map<RuleAction, IndexedWebhook>();
  for (const [account, groups] of groupsByAccount) {
    const compiled = compileRules(groups);
    if (compiled.ruleCount === 0) continue;
    rulesByAccount.set(account, compiled);
    for (const action of compiled.actionsInternal()) {
      const w = byId.get(action.webhook);
      if (w === undefined || w.account !== account) continue;
      actionTargets.set(action, {
        account: w.account,
        pair: pairOf(action.webhook, action.schema),
        projects: w.projects === undefined ? null : new Set(w.projects),
      });
    }
  }

  // `stamps[pair.n] === epoch`: the pair was already sent for the current event.
  let stamps = new Uint32Array(pairCount);
  let epoch = 0;

  return {
    match(event: EventEnvelope): MatchTarget[] {
      if (++epoch === 0xffffffff) {
        stamps = new Uint32Array(pairCount);
        epoch = 1;
      }
      const current = epoch;
      const marks = stamps;
      const targets: MatchTarget[] = [];
      const subscribed = subscriptions.get(event.account)?.get(event.type);
      if (subscribed !== undefined) {
        for (let i = 0; i < subscribed.length; i++) {
          const w = subscribed[i]!;
          if (marks[w.pair.n] !== current && inScope(w, event)) {
            marks[w.pair.n] = current;
            targets.push(w.pair.target);
          }
        }
      }
      const rules = rulesByAccount.get(event.account);
      if (rules !== undefined) {
        visitFiredActionsInternal(rules, event, (action) => {
          const w = actionTargets.get(action);
          if (w === undefined || marks[w.pair.n] === current || !inScope(w, event)) return;
          marks[w.pair.n] = current;
          targets.push(w.pair.target);
        });
      }
      return targets;
    },
  };
}

/**
 * The delivery jobs of an event's targets, one per (event, webhook, schema), each with its derived
 * delivery id (so matching the same event twice yields the same jobs) — the shape the matcher
 * produces to `herald.deliveries`.
 */
export function deliveryJobsFor(event: EventEnvelope, targets: readonly MatchTarget[], now: Date = new Date()): DeliveryJob[] {
  const createdAt = now.toISOString();
  const jobs = new Map<string, DeliveryJob>();
  for (const t of targets) {
    const deliveryId = deliveryIdFor(event.id, t.webhookId, t.schemaId);
    if (!jobs.has(deliveryId)) {
      jobs.set(deliveryId, { deliveryId, account: event.account, webhookId: t.webhookId, schemaId: t.schemaId, event, createdAt });
    }
  }
  return [...jobs.values()];
}
