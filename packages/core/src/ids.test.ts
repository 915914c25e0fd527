import { describe, expect, it } from 'vitest';
import { deliveryIdFor, newId } from './ids.ts';
import { entityKey } from './entity-key.ts';
import { subscribedWebhooks } from './subscriptions.ts';

describe('ids', () => {
  it('makes prefixed, unique, time-sortable ids', () => {
    const a = newId('wh', 1_000);
    const b = newId('wh', 2_000);
    expect(a).toMatch(/^wh_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newId('evt'))).size).toBe(1000);
  });

  it('derives the same delivery id from the same (event, webhook, schema), and another otherwise', () => {
    const id = deliveryIdFor('evt_1', 'wh_1', null);
    expect(id).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(deliveryIdFor('evt_1', 'wh_1', null)).toBe(id);
    expect(deliveryIdFor('evt_1', 'wh_1', 'sch_1')).not.toBe(id);
    expect(deliveryIdFor('evt_1', 'wh_2', null)).not.toBe(id);
    expect(deliveryIdFor('evt_2', 'wh_1', null)).not.toBe(id);
    // no ambiguity from concatenation
    expect(deliveryIdFor('evt_1w', 'h_1', null)).not.toBe(deliveryIdFor('evt_1', 'wh_1', null));
  });

  it('keeps the delivery ids that are already stored: the derivation never changes', () => {
    // Values computed by the first implementation (createHash); stored deliveries carry them.
    expect(deliveryIdFor('evt_1', 'wh_1', null)).toBe('dlv_SF7CB27RTFMMHR5YFDFWF73WR1');
    expect(deliveryIdFor('evt_01JD0000000000000000000000', 'wh_01M7W3NW42V6DGZHBKVHF8WXKM', 'sch_01M7W3EAD9KSN7H42EV56FYQF3')).toBe('dlv_M9HAA5E02A8E2H4A4ZVK2DHYY4');
  });

  it('keys an event by account, entity type and entity id', () => {
    expect(entityKey({ account: 'acc_1', entity: { type: 'ticket', id: '1042' } })).toBe('acc_1:ticket:1042');
  });
});

describe('subscriptions', () => {
  const w = (id: string, extra: object = {}) => ({ id, active: true, eventTypes: ['ticket.created'], ...extra });
  it('picks active webhooks subscribed to the type, in project scope', () => {
    const hooks = [
      w('all'),
      w('inactive', { active: false }),
      w('other-type', { eventTypes: ['ticket.deleted'] }),
      w('scoped', { projects: ['p1'] }),
      w('scoped-other', { projects: ['p2'] }),
      w('none', { eventTypes: [] }),
    ];
    expect(subscribedWebhooks({ type: 'ticket.created', project: 'p1' }, hooks).map((h) => h.id)).toEqual(['all', 'scoped']);
    expect(subscribedWebhooks({ type: 'ticket.created' }, hooks).map((h) => h.id)).toEqual(['all']);
  });
});
