import { compareGroups, HeraldError, newId, validateRuleGroup, type FieldError, type Rule, type RuleGroup } from '@herald/core';
import type { OperationHandler } from '../openapi-router.ts';
import { presentRuleGroup } from '../presenters.ts';
import { enabledAccount, notFound, publishConfigChange, type ApiDeps } from './context.ts';

/** At most this many rule groups per account. */
export const MAX_RULE_GROUPS = 100;

type RuleInput = Omit<Rule, 'id' | 'stopRules' | 'stopGroups'> & { id?: string; stopRules?: boolean; stopGroups?: boolean };
interface RuleGroupInput {
  name: string;
  position?: number;
  active?: boolean;
  rules: RuleInput[];
}

export function ruleGroupHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  /** The save check (F4): what the spec cannot see — the account's webhooks and schemas, the catalog's schemas. */
  async function check(account: string, input: RuleGroupInput): Promise<FieldError[]> {
    const [webhooks, schemas] = await Promise.all([deps.store.webhooks.list(account), deps.store.schemas.list(account)]);
    const webhookIds = new Set(webhooks.map((w) => w.id));
    const schemaIds = new Set(schemas.map((s) => s.id));
    const eventTypes = new Map<string, Record<string, unknown> | undefined>();
    for (let after: string | undefined, guard = 0; guard < 100; guard++) {
      const page = await deps.store.eventTypes.list({ limit: 100, includeArchived: true, ...(after ? { after } : {}) });
      for (const t of page) eventTypes.set(t.name, t.schema);
      if (page.length < 100) break;
      after = page[page.length - 1]!.name;
    }
    const { errors, warnings } = validateRuleGroup(input, { webhookExists: (id) => webhookIds.has(id), schemaExists: (id) => schemaIds.has(id), eventTypes });
    if (errors.length > 0) throw HeraldError.validation('The rule group is invalid', errors);
    return warnings;
  }

  function build(account: string, input: RuleGroupInput, previous?: RuleGroup): RuleGroup {
    const now = new Date();
    return {
      id: previous?.id ?? newId('rg'), account, name: input.name, ...(input.position !== undefined ? { position: input.position } : {}),
      active: input.active ?? true,
      rules: input.rules.map((r) => ({ ...r, id: r.id ?? newId('rl'), stopRules: r.stopRules ?? false, stopGroups: r.stopGroups ?? false })),
      createdAt: previous?.createdAt ?? now, updatedAt: now,
    };
  }

  async function load(account: string, id: string): Promise<RuleGroup> {
    const g = await deps.store.ruleGroups.get(account, id);
    if (!g) throw notFound('rule group', id);
    return g;
  }

  return {
    async createRuleGroup({ principal, body }) {
      const account = await enabledAccount(deps, principal);
      const input = body as RuleGroupInput;
      const warnings = await check(account, input);
      const existing = await deps.store.ruleGroups.list(account);
      if (existing.length >= MAX_RULE_GROUPS) throw new HeraldError('HERALD_CONFLICT', `The account has ${MAX_RULE_GROUPS} rule groups, the most it may have; delete one first`);
      const group = build(account, input);
      await deps.store.ruleGroups.upsert(group);
      await publishConfigChange(deps, { kind: 'rule-group', account, id: group.id });
      return { status: 201, body: { ...presentRuleGroup(group), warnings }, headers: { location: `/v1/rule-groups/${group.id}` } };
    },
    async listRuleGroups({ principal }) {
      const account = await enabledAccount(deps, principal);
      const groups = (await deps.store.ruleGroups.list(account)).sort(compareGroups);
      return { status: 200, body: { data: groups.map(presentRuleGroup) } };
    },
    async getRuleGroup({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      return { status: 200, body: presentRuleGroup(await load(account, params.ruleGroupId!)) };
    },
    async replaceRuleGroup({ principal, params, body }) {
      const account = await enabledAccount(deps, principal);
      const previous = await load(account, params.ruleGroupId!);
      const input = body as RuleGroupInput;
      const warnings = await check(account, input);
      const group = build(account, input, previous);
      await deps.store.ruleGroups.upsert(group);
      await publishConfigChange(deps, { kind: 'rule-group', account, id: group.id });
      return { status: 200, body: { ...presentRuleGroup(group), warnings } };
    },
    async deleteRuleGroup({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      if (!(await deps.store.ruleGroups.delete(account, params.ruleGroupId!))) throw notFound('rule group', params.ruleGroupId!);
      await publishConfigChange(deps, { kind: 'rule-group', account, id: params.ruleGroupId! });
      return { status: 204 };
    },
  };
}
