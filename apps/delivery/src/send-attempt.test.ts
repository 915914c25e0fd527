import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { Delivery, Webhook } from '@herald/core';
import { HttpSender, newSigningSecret } from '@herald/transport';
import { sendAttempt, USER_AGENT } from './send-attempt.ts';
import { loadPlugins } from '@herald/runtime';
import { startReceiver } from '../../../test/receiver.ts';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const sender = new HttpSender();
const secret = newSigningSecret();

beforeAll(async () => {
  receiver = await startReceiver((r) => ({ status: r.path.startsWith('/fail') ? 503 : 200, body: 'thanks' }));
});
afterAll(async () => {
  await sender.close();
  await receiver.close();
});

const event = {
  id: 'evt_1', type: 'ticket.priority_changed', account: 'acc_1', entity: { type: 'ticket', id: '1042' },
  action: 'update' as const, occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-1042', priority: 'high' },
};
const delivery = (extra: Partial<Delivery> = {}): Delivery => ({
  id: 'dlv_1', account: 'acc_1', webhookId: 'wh_1', schemaId: null, eventId: 'evt_1', eventType: event.type,
  entity: event.entity, event, status: 'pending', attempts: 0, nextAttemptAt: new Date(), leaseUntil: null,
  createdAt: new Date(), updatedAt: new Date(), ...extra,
});
const webhook = (extra: Partial<Webhook> = {}): Webhook => ({
  id: 'wh_1', account: 'acc_1', name: 'w', url: `${receiver.url}/hooks`, method: 'POST', active: true,
  eventTypes: [event.type], auth: { type: 'basic', username: 'ops@example.com', password: 's3cret!' },
  headers: { 'X-Custom': 'yes', 'Content-Type': 'text/evil', 'webhook-signature': 'forged' }, secret,
  dedupWindowSeconds: 60, createdAt: new Date(), updatedAt: new Date(), ...extra,
});
const settings = { timeoutMs: 2_000, maxResponseBytes: 1024, retryPolicy: { schedule: [10, 20], jitter: 0 } };

describe('sendAttempt', () => {
  it('sends the default payload, signed, with Herald\'s headers, the webhook\'s headers and the plugin\'s auth', async () => {
    const plugins = await loadPlugins();
    const { attempt, outcome } = await sendAttempt(delivery(), webhook(), { sender, plugins, settings });
    const got = receiver.received.at(-1)!;
    expect(got.path).toBe('/hooks');
    expect(JSON.parse(got.body)).toEqual({
      event_id: 'evt_1', event_type: 'ticket.priority_changed', occurred_at: '2026-11-24T10:55:27Z',
      entity_id: '1042', entity_type: 'ticket', action_type: 'update', result: { ref: 'T-1042', priority: 'high' },
    });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe(USER_AGENT);
    expect(got.headers['triggered-at']).toBe('2026-11-24T10:55:27Z');
    expect(got.headers['x-custom']).toBe('yes');
    expect(got.headers['webhook-id']).toBe('dlv_1');
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('ops@example.com:s3cret!').toString('base64')}`);
    // verified with the public library, not with our own code
    expect(new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>)).toBeTruthy();

    expect(outcome).toEqual({ status: 'succeeded', attempts: 1, nextAttemptAt: null });
    expect(attempt).toMatchObject({ deliveryId: 'dlv_1', number: 1, success: true, response: { status: 200, body: 'thanks', truncated: false } });
    expect(attempt.request.headers.authorization).toBe('********');
    expect(JSON.stringify(attempt)).not.toContain('s3cret');
    expect(JSON.stringify(attempt)).not.toContain(Buffer.from('ops@example.com:s3cret!').toString('base64'));
  });

  it('schedules a retry after a failure, then fails when the schedule is used up', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const first = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/fail` }), { sender, plugins, settings, now: () => now });
    expect(first.attempt.error?.class).toBe('http_status');
    expect(first.attempt.response?.status).toBe(503);
    expect(first.outcome).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: new Date(now.getTime() + 10_000) });
    const third = await sendAttempt(delivery({ attempts: 2 }), webhook({ url: `${receiver.url}/fail` }), { sender, plugins, settings, now: () => now });
    expect(third.attempt.number).toBe(3);
    expect(third.outcome).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    expect(third.outcome.lastError).toContain('http_status');
  });

  it('uses the webhook\'s own retry schedule when it has one', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const r = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/fail`, retry: { schedule: [1] } }), { sender, plugins, settings, now: () => now });
    expect(r.outcome.nextAttemptAt).toEqual(new Date(now.getTime() + 1_000));
  });

  it('logs an unknown plugin as a plugin error without sending anything', async () => {
    const plugins = await loadPlugins();
    const before = receiver.received.length;
    const r = await sendAttempt(delivery(), webhook({ auth: { type: 'oauth2' } }), { sender, plugins, settings });
    expect(receiver.received.length).toBe(before);
    expect(r.attempt.error?.class).toBe('plugin');
    expect(r.outcome.status).toBe('pending');
  });
});
