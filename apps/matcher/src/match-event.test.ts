import { describe, expect, it } from 'vitest';
import { createMatchPlan, deliveryIdFor, type EventEnvelope, type RuleGroup, type Webhook } from '@herald/core';
import type { AccountPlan } from './account-plans.ts';
import { matchEvent } from './match-event.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  project: 'prj_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042' },
};

function webhook(id: string, extra: Partial<Webhook> = {}): Webhook {
  return {
    id, account: 'acc_1', name: id, url: 'https://example.invalid/h', method: 'POST', active: true,
    eventTypes: ['ticket.priority_changed'], auth: { type: 'none' }, headers: {}, secret: 'whsec_x',
    dedupWindowSeconds: 60, createdAt: new Date(0), updatedAt: new Date(0), ...extra,
  };
}

function planOf(webhooks: Webhook[], groups: RuleGroup[] = []): AccountPlan {
  return { known: true, plan: createMatchPlan(webhooks, groups), dedupWindowSeconds: new Map(webhooks.map((w) => [w.id, w.dedupWindowSeconds])) };
}

describe('matchEvent', () => {
  it('makes one job per subscribed webhook, with the derived delivery id', () => {
    const jobs = matchEvent(event, planOf([webhook('wh_a'), webhook('wh_b', { schema: 'sch_1', dedupWindowSeconds: 0 }), webhook('wh_c', { eventTypes: ['other'] })]), new Date('2026-11-24T10:55:28Z'));
    expect(jobs).toEqual([
      { deliveryId: deliveryIdFor('evt_1', 'wh_a', null), account: 'acc_1', webhookId: 'wh_a', schemaId: null, event, createdAt: '2026-11-24T10:55:28.000Z', dedupWindowSeconds: 60 },
      { deliveryId: deliveryIdFor('evt_1', 'wh_b', 'sch_1'), account: 'acc_1', webhookId: 'wh_b', schemaId: 'sch_1', event, createdAt: '2026-11-24T10:55:28.000Z', dedupWindowSeconds: 0 },
    ]);
  });

  it('gives the same jobs for the same event matched again', () => {
    const hooks = planOf([webhook('wh_a')]);
    expect(matchEvent(event, hooks).map((j) => j.deliveryId)).toEqual(matchEvent(event, hooks).map((j) => j.deliveryId));
  });

  it('skips inactive webhooks and those out of project scope', () => {
    expect(matchEvent(event, planOf([webhook('a', { active: false }), webhook('b', { projects: ['prj_2'] })]))).toEqual([]);
  });

  it('adds what the account\'s rules send, each pair once, with its webhook\'s window', () => {
    const now = new Date();
    const group: RuleGroup = {
      id: 'rg_1', account: 'acc_1', name: 'g', active: true, createdAt: now, updatedAt: now,
      rules: [{
        id: 'r1', match: 'all', stopRules: false, stopGroups: false,
        conditions: [{ field: 'type', op: 'equals', value: 'ticket.priority_changed' }],
        actions: [{ webhook: 'wh_rules', schema: 'sch_message_1' }, { webhook: 'wh_a', schema: null }],
      }],
    };
    const jobs = matchEvent(event, planOf([webhook('wh_a'), webhook('wh_rules', { eventTypes: [], dedupWindowSeconds: 120 })], [group]));
    expect(jobs.map((j) => [j.webhookId, j.schemaId, j.dedupWindowSeconds])).toEqual([
      ['wh_a', null, 60],
      ['wh_rules', 'sch_message_1', 120],
    ]);
  });
});
