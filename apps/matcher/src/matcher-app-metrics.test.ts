import { afterEach, describe, expect, it } from 'vitest';
import { topicNames, type Webhook } from '@herald/core';
import { createMemoryBus, encodeJson, type Bus } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { silentLogger } from '@herald/runtime';
import { createMatcher, type Matcher } from './matcher-service.ts';
import { createMatcherAppMetrics } from './matcher-app-metrics.ts';
import { eventually } from '../../../test/receiver.ts';
import { parseExposition, samplesOf, valueOf } from '../../../test/prometheus-text.ts';

const topics = topicNames('m.');
const hook: Webhook = {
  id: 'wh_1', account: 'acc_1', name: 'one', url: 'https://example.invalid/h', method: 'POST', active: true,
  eventTypes: ['ticket.created'], auth: { type: 'none' }, headers: {}, secret: 'whsec_x', dedupWindowSeconds: 0,
  createdAt: new Date(0), updatedAt: new Date(0),
};
const event = (id: string, type = 'ticket.created') => ({
  id, type, account: 'acc_1', entity: { type: 'ticket', id: '7' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-7' },
});

let bus: Bus;
let store: Store;
let matcher: Matcher;
afterEach(async () => {
  await matcher?.stop();
  await bus?.close();
  await store?.close();
});

describe('the matcher app metrics', () => {
  it('counts each event by result (matched, no_match, dlq for a bad message or an undeclared type), the jobs made, and the lag of its group (memory bus)', async () => {
    bus = createMemoryBus();
    store = createMemoryStore();
    await store.init();
    await store.accounts.create({ id: 'acc_1', name: 'Acme', webhooksEnabled: true, createdAt: new Date(0), updatedAt: new Date(0) });
    for (const name of ['ticket.created', 'ticket.closed']) {
      await store.eventTypes.create({ name, description: name, archived: false, createdAt: new Date(0), updatedAt: new Date(0) });
    }
    await store.webhooks.upsert(hook);
    const metrics = createMatcherAppMetrics({ bus, groupId: 'g-matcher', eventsTopic: topics.events, accountLabel: true });
    await bus.publish(topics.events, [
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_1')) },
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_2', 'ticket.closed')) },
      { key: 'x', value: Buffer.from('{not json') },
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_3', 'ticket.undeclared')) },
    ]);
    // Before the matcher ran: the group is behind by every event.
    let m = parseExposition(await metrics.app.registry.metrics());
    expect(samplesOf(m, 'herald_consumer_lag_messages', { group: 'g-matcher', topic: topics.events })).toEqual([
      { name: 'herald_consumer_lag_messages', labels: { group: 'g-matcher', topic: topics.events, partition: '0', app: 'matcher' }, value: 4 },
    ]);
    matcher = createMatcher({ bus, store, logger: silentLogger(), topics, groupId: 'g-matcher', metrics: metrics.matcher });
    await matcher.start();
    await eventually(async () => valueOf(parseExposition(await metrics.app.registry.metrics()), 'herald_matcher_events_total') === 4, 'four events counted');
    m = parseExposition(await metrics.app.registry.metrics());
    expect(m.types.get('herald_matcher_events_total')).toBe('counter');
    expect(valueOf(m, 'herald_matcher_events_total', { result: 'matched', account: 'acc_1' })).toBe(1);
    expect(valueOf(m, 'herald_matcher_events_total', { result: 'no_match', account: 'acc_1' })).toBe(1);
    // An invalid event, or one of a type not in the catalog, is sent to the DLQ; it names no account.
    expect(valueOf(m, 'herald_matcher_events_total', { result: 'dlq', account: '' })).toBe(2);
    expect(valueOf(m, 'herald_matcher_jobs_total')).toBe(1);
  });
});
