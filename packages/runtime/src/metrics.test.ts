import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv, metricsAccountLabel } from './env.ts';
import { createAppMetrics } from './metrics.ts';
import { createDeliveryMetrics } from './delivery-metrics.ts';
import { createApiMetrics } from './api-metrics.ts';
import { cachedReading, registerConsumerLag, registerRetryBacklog } from './scrape-gauges.ts';
import { parseExposition, samplesOf, valueOf } from '../../../test/prometheus-text.ts';

const scrape = async (m: ReturnType<typeof createAppMetrics>) => parseExposition(await m.registry.metrics());

describe('HERALD_METRICS_ACCOUNT_LABEL', () => {
  const schema = z.object({ HERALD_METRICS_ACCOUNT_LABEL: metricsAccountLabel() });
  it('is off by default, on for true/1/yes, and a bad value names the variable', () => {
    expect(parseEnv(schema, {}).HERALD_METRICS_ACCOUNT_LABEL).toBe(false);
    expect(parseEnv(schema, { HERALD_METRICS_ACCOUNT_LABEL: 'TRUE' }).HERALD_METRICS_ACCOUNT_LABEL).toBe(true);
    expect(parseEnv(schema, { HERALD_METRICS_ACCOUNT_LABEL: '1' }).HERALD_METRICS_ACCOUNT_LABEL).toBe(true);
    expect(parseEnv(schema, { HERALD_METRICS_ACCOUNT_LABEL: 'no' }).HERALD_METRICS_ACCOUNT_LABEL).toBe(false);
    expect(() => parseEnv(schema, { HERALD_METRICS_ACCOUNT_LABEL: 'maybe' })).toThrow(/HERALD_METRICS_ACCOUNT_LABEL: must be true or false, not "maybe"/);
  });
});

describe('delivery metrics', () => {
  it('labels deliveries and attempts with the account only when the operator opted in', async () => {
    const plain = createAppMetrics('delivery');
    const d = createDeliveryMetrics(plain);
    d.deliveryEnded('succeeded', 'acc_1');
    d.attemptMade(undefined, 120, 'acc_1');
    d.attemptMade('timeout', 15_000, 'acc_2');
    let m = await scrape(plain);
    expect(samplesOf(m, 'herald_deliveries_total')).toEqual([{ name: 'herald_deliveries_total', labels: { outcome: 'succeeded', app: 'delivery' }, value: 1 }]);
    expect(valueOf(m, 'herald_delivery_attempts_total', { error_class: 'none' })).toBe(1);
    expect(valueOf(m, 'herald_delivery_attempts_total', { error_class: 'timeout' })).toBe(1);
    // Durations in seconds (base unit), by result.
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_sum', { result: 'success' })).toBeCloseTo(0.12);
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_bucket', { result: 'failure', le: '10' })).toBe(0);
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_bucket', { result: 'failure', le: '15' })).toBe(1);

    const labelled = createAppMetrics('delivery', { accountLabel: true });
    const l = createDeliveryMetrics(labelled);
    l.deliveryEnded('failed', 'acc_1');
    l.attemptMade('connection_refused', 3, 'acc_1');
    m = await scrape(labelled);
    expect(samplesOf(m, 'herald_deliveries_total')[0]!.labels).toEqual({ outcome: 'failed', account: 'acc_1', app: 'delivery' });
    expect(samplesOf(m, 'herald_delivery_attempts_total')[0]!.labels).toEqual({ error_class: 'connection_refused', account: 'acc_1', app: 'delivery' });
    // Histograms never take the account: buckets times accounts would be too many series.
    expect(samplesOf(m, 'herald_delivery_attempt_duration_seconds_count')[0]!.labels).toEqual({ result: 'failure', app: 'delivery' });
  });

  it('observes the end-to-end latency from the event occurredAt, in seconds, and skips a bad timestamp', async () => {
    const app = createAppMetrics('delivery');
    const d = createDeliveryMetrics(app);
    const now = Date.parse('2026-12-07T10:00:00.250Z');
    d.delivered('2026-12-07T10:00:00Z', now);
    d.delivered('not a date', now);
    d.storeBatch(37);
    const m = await scrape(app);
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_count')).toBe(1);
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_sum')).toBeCloseTo(0.25);
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_bucket', { le: '0.1' })).toBe(0);
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_bucket', { le: '0.25' })).toBe(1);
    expect(valueOf(m, 'herald_delivery_store_batch_records_bucket', { le: '25' })).toBe(0);
    expect(valueOf(m, 'herald_delivery_store_batch_records_bucket', { le: '50' })).toBe(1);
  });
});

describe('API metrics', () => {
  it('counts by operation and status (as a string), with the caller account only when opted in', async () => {
    const app = createAppMetrics('config-api', { accountLabel: true });
    const api = createApiMetrics(app);
    api.request('postEvent', 202, 0.004, 'acc_1');
    api.request('createAccount', 201, 0.01, undefined);
    const m = await scrape(app);
    expect(samplesOf(m, 'herald_api_requests_total', { operation: 'postEvent' })[0]!.labels).toEqual({ operation: 'postEvent', status: '202', account: 'acc_1', app: 'config-api' });
    // The operator's calls have no account: an empty label, which Prometheus reads as none.
    expect(samplesOf(m, 'herald_api_requests_total', { operation: 'createAccount' })[0]!.labels.account).toBe('');
    expect(valueOf(m, 'herald_api_request_duration_seconds_count', { operation: 'postEvent' })).toBe(1);
  });
});

describe('scrape-time gauges', () => {
  it('reads at most once per cacheMs, shares a reading under way, and does not cache a failure', async () => {
    let calls = 0;
    let fail = false;
    const read = cachedReading(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      if (fail) throw new Error('down');
      return calls;
    }, { cacheMs: 100, timeoutMs: 1_000 });
    expect(await Promise.all([read(), read()])).toEqual([1, 1]);
    expect(await read()).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    fail = true;
    await expect(read()).rejects.toThrow('down');
    fail = false;
    expect(await read()).toBe(3);
  });

  it('gives up on a reading after timeoutMs', async () => {
    const read = cachedReading(() => new Promise<number>(() => undefined), { timeoutMs: 30 });
    await expect(read()).rejects.toThrow('no answer within 30 ms');
  });

  it('reports lag per group, topic and partition, and leaves a failed reading out of the scrape, with herald_metrics_reading_up 0', async () => {
    const app = createAppMetrics('matcher');
    let down = false;
    registerConsumerLag(app, [{
      groupId: 'herald-matcher',
      topics: ['herald.events'],
      read: async (groupId, topics) => {
        if (down) throw new Error('kafka down');
        expect([groupId, topics]).toEqual(['herald-matcher', ['herald.events']]);
        return [{ topic: 'herald.events', partition: 0, lag: 0 }, { topic: 'herald.events', partition: 1, lag: 42 }];
      },
    }], { cacheMs: 0 });
    registerRetryBacklog(app, async () => {
      if (down) throw new Error('mongo down');
      return { due: 3, scheduled: 7 };
    }, { cacheMs: 0 });
    let m = await scrape(app);
    expect(m.types.get('herald_consumer_lag_messages')).toBe('gauge');
    expect(samplesOf(m, 'herald_consumer_lag_messages', { partition: '1' })).toEqual([
      { name: 'herald_consumer_lag_messages', labels: { group: 'herald-matcher', topic: 'herald.events', partition: '1', app: 'matcher' }, value: 42 },
    ]);
    expect(valueOf(m, 'herald_delivery_retry_backlog', { state: 'due' })).toBe(3);
    expect(valueOf(m, 'herald_delivery_retry_backlog', { state: 'scheduled' })).toBe(7);
    down = true;
    m = await scrape(app);
    expect(samplesOf(m, 'herald_consumer_lag_messages')).toEqual([]);
    expect(samplesOf(m, 'herald_delivery_retry_backlog')).toEqual([]);
    expect(samplesOf(m, 'herald_metrics_reading_up').map((x) => [x.labels.reading, x.value]).sort()).toEqual([['consumer_lag', 0], ['retry_backlog', 0]]);
    down = false;
    m = await scrape(app);
    expect(samplesOf(m, 'herald_metrics_reading_up').map((x) => [x.labels.reading, x.value]).sort()).toEqual([['consumer_lag', 1], ['retry_backlog', 1]]);
    expect(valueOf(m, 'herald_consumer_lag_messages')).toBe(42);
    expect(valueOf(m, 'herald_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
