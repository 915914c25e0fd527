import { afterEach, describe, expect, it } from 'vitest';
import { topicNames, type DeliveryJob, type Webhook } from '@herald/core';
import { createMemoryBus, decodeJson, encodeJson, type Bus, type ConsumedMessage } from '@herald/bus';
import { createMemoryStore, type EventType, type Store } from '@herald/store';
import { silentLogger } from '@herald/runtime';
import { createMatcher, DLQ_ERROR_HEADER, type Matcher } from './matcher-service.ts';
import { eventually } from '../../../test/receiver.ts';

const topics = topicNames('t.');
const hook: Webhook = {
  id: 'wh_1', account: 'acc_1', name: 'one', url: 'https://example.invalid/h', method: 'POST', active: true,
  eventTypes: ['ticket.created'], auth: { type: 'none' }, headers: {}, secret: 'whsec_x', dedupWindowSeconds: 60,
  createdAt: new Date(0), updatedAt: new Date(0),
};
const event = (id: string, extra: object = {}) => ({
  id, type: 'ticket.created', account: 'acc_1', entity: { type: 'ticket', id: '7' }, action: 'new',
  occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-7' }, ...extra,
});

let bus: Bus;
let store: Store;
let matcher: Matcher;

/** The catalog entry of a type with no schema, as an operator declares it. */
const declared = (name: string, extra: Partial<EventType> = {}): EventType => ({ name, description: name, archived: false, createdAt: new Date(0), updatedAt: new Date(0), ...extra });

/** A matcher over account acc_1 with its webhook; `types` are declared in the catalog first. */
async function setup(types: string[] = ['ticket.created', 'ticket.deleted']) {
  bus = createMemoryBus();
  store = createMemoryStore();
  await store.init();
  await store.accounts.create({ id: 'acc_1', name: 'Acme', webhooksEnabled: true, createdAt: new Date(0), updatedAt: new Date(0) });
  for (const type of types) await store.eventTypes.create(declared(type));
  await store.webhooks.upsert(hook);
  matcher = createMatcher({ bus, store, logger: silentLogger(), topics, cacheTtlMs: 60_000 });
  await matcher.start();
  const jobs: DeliveryJob[] = [];
  const dead: ConsumedMessage[] = [];
  await bus.subscribe({ groupId: 'probe', topics: [topics.deliveries], handleBatch: async (b) => void jobs.push(...b.messages.map((m) => decodeJson(m.value) as DeliveryJob)) });
  await bus.subscribe({ groupId: 'probe-dlq', topics: [topics.eventsDlq], handleBatch: async (b) => void dead.push(...b.messages) });
  return { jobs, dead };
}

afterEach(async () => {
  await matcher?.stop();
  await bus?.close();
  await store?.close();
});

describe('matcher service', () => {
  it('turns an event into a job keyed by entity, and moves past bad envelopes to the DLQ', async () => {
    const { jobs, dead } = await setup();
    await bus.publish(topics.events, [
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_bad', { action: 'created' })) },
      { key: 'x', value: Buffer.from('{not json') },
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_ok')) },
    ]);
    await eventually(() => jobs.length === 1 && dead.length === 2, 'one job and two dead letters');
    expect(jobs[0]).toMatchObject({ account: 'acc_1', webhookId: 'wh_1', schemaId: null, event: { id: 'evt_ok' } });
    expect(JSON.parse(dead[0]!.headers[DLQ_ERROR_HEADER]!)).toEqual([{ field: '/action', message: 'must be one of new, update, delete' }]);
    expect(dead[0]!.value.toString()).toContain('evt_bad');
    expect(JSON.parse(dead[1]!.headers[DLQ_ERROR_HEADER]!)[0].message).toMatch(/not valid JSON/);
    expect(dead[1]!.headers['herald-source']).toMatch(/^t\.herald\.events\/0\/\d+$/);
  });

  it('sends an event of an unknown account or of a type not in the catalog to the DLQ with the reason, in flag mode too', async () => {
    const { jobs, dead } = await setup();
    await bus.publish(topics.events, [
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_unknown_type', { type: 'ticket.reopened' })) },
      { key: 'acc_nobody:ticket:7', value: encodeJson(event('evt_unknown_account', { account: 'acc_nobody' })) },
      { key: 'acc_nobody:ticket:7', value: encodeJson(event('evt_unknown_both', { account: 'acc_nobody', type: 'ticket.reopened', action: 'delete', data: undefined })) },
      { key: 'acc_1:ticket:7', value: encodeJson(event('evt_known')) },
    ]);
    await eventually(() => jobs.length === 1 && dead.length === 3, 'one job and three dead letters');
    expect(jobs.map((j) => j.event.id)).toEqual(['evt_known']);
    const reasons = Object.fromEntries(dead.map((m) => [(decodeJson(m.value) as { id: string }).id, JSON.parse(m.headers[DLQ_ERROR_HEADER]!)]));
    expect(reasons).toEqual({
      evt_unknown_type: [{ field: '/type', message: 'is not in the event type catalog' }],
      evt_unknown_account: [{ field: '/account', message: 'is not a known account' }],
      evt_unknown_both: [{ field: '/account', message: 'is not a known account' }, { field: '/type', message: 'is not in the event type catalog' }],
    });
    for (const m of dead) expect(m.headers['herald-source']).toMatch(/^t\.herald\.events\/0\/\d+$/);

    // Flag mode lets data that fails its schema through, not an event Herald cannot place.
    const flagging = createMatcher({ bus, store, logger: silentLogger(), topics, groupId: 'flagging', cacheTtlMs: 0, eventValidation: 'flag' });
    await flagging.start();
    try {
      await eventually(() => jobs.length === 2 && dead.length === 6, 'the flagging matcher\'s job and three more dead letters');
    } finally {
      await flagging.stop();
    }
    expect(jobs.map((j) => j.event.id)).toEqual(['evt_known', 'evt_known']);
    expect(dead.slice(3).map((m) => (decodeJson(m.value) as { id: string }).id)).toEqual(['evt_unknown_type', 'evt_unknown_account', 'evt_unknown_both']);
  });

  it('matches events of an account and a type created after the matcher saw them unknown, once herald.config says so', async () => {
    const { jobs, dead } = await setup();
    await bus.publish(topics.events, [
      { key: 'k', value: encodeJson(event('evt_early_type', { type: 'ticket.reopened' })) },
      { key: 'k', value: encodeJson(event('evt_early_account', { account: 'acc_2' })) },
    ]);
    await eventually(() => dead.length === 2, 'both in the dead-letter topic (and cached as unknown)');
    // Made as the config-api makes them: the store, then a change on herald.config.
    await store.eventTypes.create(declared('ticket.reopened'));
    await store.webhooks.upsert({ ...hook, eventTypes: ['ticket.created', 'ticket.reopened'] });
    await store.accounts.create({ id: 'acc_2', name: 'Beta', webhooksEnabled: true, createdAt: new Date(), updatedAt: new Date() });
    await store.webhooks.upsert({ ...hook, id: 'wh_2', account: 'acc_2' });
    const at = new Date().toISOString();
    await bus.publish(topics.config, [
      { key: 'ticket.reopened', value: encodeJson({ kind: 'event-type', id: 'ticket.reopened', at }) },
      { key: 'acc_1', value: encodeJson({ kind: 'webhook', account: 'acc_1', id: 'wh_1', at }) },
      { key: 'acc_2', value: encodeJson({ kind: 'account', account: 'acc_2', id: 'acc_2', at }) },
    ]);
    let n = 0;
    await eventually(async () => {
      if (jobs.some((j) => j.webhookId === 'wh_1') && jobs.some((j) => j.webhookId === 'wh_2')) return true;
      n++;
      await bus.publish(topics.events, [
        { key: 'k', value: encodeJson(event(`evt_type_${n}`, { type: 'ticket.reopened' })) },
        { key: 'k', value: encodeJson(event(`evt_account_${n}`, { account: 'acc_2' })) },
      ]);
      return false;
    }, 'jobs for both once the changes reached the matcher', 15_000, 200);
    expect(jobs.find((j) => j.webhookId === 'wh_1')).toMatchObject({ account: 'acc_1', event: { type: 'ticket.reopened' } });
    expect(jobs.find((j) => j.webhookId === 'wh_2')).toMatchObject({ account: 'acc_2', event: { account: 'acc_2' } });
  });

  it('sends nothing for an event no webhook subscribes to, and follows cache invalidation', async () => {
    const { jobs } = await setup();
    const deleted = (id: string) => encodeJson(event(id, { type: 'ticket.deleted', action: 'delete', data: undefined }));
    await bus.publish(topics.events, [{ key: 'k', value: deleted('evt_0') }, { key: 'k', value: encodeJson(event('evt_1')) }]);
    await eventually(() => jobs.length === 1, 'the job of evt_1');
    await store.webhooks.upsert({ ...hook, eventTypes: ['ticket.deleted'] });
    // Still cached: the old subscription holds until the cache is invalidated.
    await bus.publish(topics.events, [{ key: 'k', value: deleted('evt_2') }, { key: 'k', value: encodeJson(event('evt_3')) }]);
    await eventually(() => jobs.length === 2, 'the job of evt_3');
    matcher.invalidate('acc_1');
    await bus.publish(topics.events, [{ key: 'k', value: encodeJson(event('evt_4')) }, { key: 'k', value: deleted('evt_5') }]);
    await eventually(() => jobs.length === 3, 'the job of evt_5');
    expect(jobs.map((j) => j.event.id)).toEqual(['evt_1', 'evt_3', 'evt_5']);
  });

  it('checks data against the event type\'s schema on the Kafka path: bad data goes to the DLQ, flag mode matches it', async () => {
    const { jobs, dead } = await setup([]);
    await store.eventTypes.create(declared('ticket.created', { schema: { type: 'object', required: ['ref'], properties: { ref: { type: 'string', pattern: '^T-' } } } }));
    await bus.publish(topics.events, [
      { key: 'k', value: encodeJson(event('evt_bad_data', { data: { ref: 42 } })) },
      { key: 'k', value: encodeJson(event('evt_no_ref', { data: {} })) },
      { key: 'k', value: encodeJson(event('evt_good_data')) },
    ]);
    await eventually(() => jobs.length === 1 && dead.length === 2, 'one job and two dead letters');
    expect(jobs[0]!.event.id).toBe('evt_good_data');
    expect(JSON.parse(dead[0]!.headers[DLQ_ERROR_HEADER]!)).toEqual([{ field: '/data/ref', message: 'must be string' }]);
    expect(JSON.parse(dead[1]!.headers[DLQ_ERROR_HEADER]!)).toEqual([{ field: '/data/ref', message: 'is required' }]);

    const flagging = createMatcher({ bus, store, logger: silentLogger(), topics, groupId: 'flagging', cacheTtlMs: 0, eventValidation: 'flag' });
    const flagged: DeliveryJob[] = [];
    await bus.subscribe({ groupId: 'probe-flag', topics: [topics.deliveries], fromBeginning: false, handleBatch: async (b) => void flagged.push(...b.messages.map((m) => decodeJson(m.value) as DeliveryJob)) });
    await flagging.start();
    try {
      await eventually(() => flagged.some((j) => j.event.id === 'evt_bad_data'), 'the flagging matcher matching bad data');
    } finally {
      await flagging.stop();
    }
  });

  it('sends nothing for an event of an archived type (the type is switched off), and again once it is restored', async () => {
    const { jobs, dead } = await setup([]);
    await store.eventTypes.create(declared('ticket.created', { archived: true }));
    // A bad message after it, on the same key: once it is in the DLQ, the archived type's event was handled.
    await bus.publish(topics.events, [{ key: 'k', value: encodeJson(event('evt_archived')) }, { key: 'k', value: Buffer.from('not json') }]);
    await eventually(() => dead.length === 1, 'the marker in the dead-letter topic');
    expect(jobs).toEqual([]);
    // Restored, as the config-api does it: the store, then a change on herald.config.
    await store.eventTypes.update('ticket.created', { archived: false });
    await bus.publish(topics.config, [{ key: 'ticket.created', value: encodeJson({ kind: 'event-type', id: 'ticket.created', at: new Date().toISOString() }) }]);
    let n = 0;
    await eventually(async () => {
      if (jobs.length > 0) return true;
      await bus.publish(topics.events, [{ key: 'k', value: encodeJson(event(`evt_restored_${n++}`)) }]);
      return false;
    }, 'a job once the change reached the matcher', 15_000, 200);
    expect(jobs[0]!.event.id).toMatch(/^evt_restored_/);
    expect(jobs.map((j) => j.event.id)).not.toContain('evt_archived');
  });
});
