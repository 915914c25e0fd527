import { describe, expect, it } from 'vitest';
import { deliveryIdFor, type EventEnvelope, type Webhook } from '@herald/core';
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

describe('matchEvent', () => {
  it('makes one job per subscribed webhook, with the derived delivery id', () => {
    const jobs = matchEvent(event, [webhook('wh_a'), webhook('wh_b', { schema: 'sch_1' }), webhook('wh_c', { eventTypes: ['other'] })], new Date('2026-11-24T10:55:28Z'));
    expect(jobs).toEqual([
      { deliveryId: deliveryIdFor('evt_1', 'wh_a', null), account: 'acc_1', webhookId: 'wh_a', schemaId: null, event, createdAt: '2026-11-24T10:55:28.000Z' },
      { deliveryId: deliveryIdFor('evt_1', 'wh_b', 'sch_1'), account: 'acc_1', webhookId: 'wh_b', schemaId: 'sch_1', event, createdAt: '2026-11-24T10:55:28.000Z' },
    ]);
  });

  it('gives the same jobs for the same event matched again', () => {
    const hooks = [webhook('wh_a')];
    expect(matchEvent(event, hooks).map((j) => j.deliveryId)).toEqual(matchEvent(event, hooks).map((j) => j.deliveryId));
  });

  it('skips inactive webhooks and those out of project scope', () => {
    expect(matchEvent(event, [webhook('a', { active: false }), webhook('b', { projects: ['prj_2'] })])).toEqual([]);
  });
});
