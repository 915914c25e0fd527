import type { EventEnvelope } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { buildTemplateContext } from './template-context.ts';

const event: EventEnvelope = {
  id: 'evt_1',
  type: 'ticket.priority_changed',
  account: 'acc_1',
  project: 'prj_1',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', priority: 'high' },
  previous: { priority: 'low' },
};

describe('template context', () => {
  it('has event, account, action_type and the record under its entity type', () => {
    const ctx = buildTemplateContext(event);
    expect(ctx.event).toEqual({
      id: 'evt_1',
      type: 'ticket.priority_changed',
      action: 'update',
      occurredAt: '2026-11-24T10:55:27Z',
      project: 'prj_1',
      entity: { type: 'ticket', id: '1042' },
      data: { ref: 'T-1042', priority: 'high' },
      previous: { priority: 'low' },
    });
    expect(ctx.account).toEqual({ id: 'acc_1' });
    expect(ctx.action_type).toBe('update');
    expect(ctx['ticket']).toEqual({ id: '1042', ref: 'T-1042', priority: 'high' });
    expect('webhook' in ctx).toBe(false);
  });

  it('says test for the Test button', () => {
    expect(buildTemplateContext(event, { test: true }).action_type).toBe('test');
  });

  it('uses the account summary given, and only safe fields of the webhook', () => {
    const ctx = buildTemplateContext(event, {
      account: { id: 'acc_1', name: 'Acme' },
      webhook: { id: 'wh_1', name: 'Test Webhook', url: 'https://example.com/h', method: 'POST', secret: 'whsec_x', auth: { type: 'basic', password: 'p' }, headers: { 'x-k': 'v' } },
    });
    expect(ctx.account).toEqual({ id: 'acc_1', name: 'Acme' });
    expect(ctx.webhook).toEqual({ id: 'wh_1', name: 'Test Webhook', url: 'https://example.com/h', method: 'POST' });
  });

  it('keeps the data id, and gives a delete only the entity id', () => {
    expect(buildTemplateContext({ ...event, data: { id: 'own', ref: 'x' } })['ticket']).toEqual({ id: 'own', ref: 'x' });
    const { data: _d, ...rest } = event;
    const ctx = buildTemplateContext({ ...rest, action: 'delete' });
    expect(ctx['ticket']).toEqual({ id: '1042' });
    expect('data' in ctx.event).toBe(false);
  });

  it('offers the record under the lower-cased entity type too', () => {
    const ctx = buildTemplateContext({ ...event, entity: { type: 'SupportTicket', id: '9' } });
    expect(ctx['SupportTicket']).toBe(ctx['supportticket']);
  });

  it('never lets an entity type shadow a reserved name', () => {
    const ctx = buildTemplateContext({ ...event, entity: { type: 'Event', id: '9' } }, { webhook: { id: 'wh_1' } });
    expect(ctx.event.type).toBe('ticket.priority_changed');
    expect(ctx['Event']).toEqual({ id: '9', ref: 'T-1042', priority: 'high' });
    const w = buildTemplateContext({ ...event, entity: { type: 'webhook', id: '9' } });
    expect('webhook' in w).toBe(false);
  });

  it('does not share or change the event data', () => {
    const ctx = buildTemplateContext(event);
    (ctx['ticket'] as Record<string, unknown>)['ref'] = 'changed';
    expect(event.data?.['ref']).toBe('T-1042');
  });
});
