/**
 * Prometheus metrics (issue 12), as an operator scrapes them: the three apps run as their own
 * processes (`herald config-api | matcher | delivery`, from the sources) against Kafka and the
 * test MongoDB server; an event goes through to a loopback receiver (one webhook answering 200,
 * one answering 500 with one retry), and each app's /metrics then shows what happened — the
 * succeeded and the failed delivery, the attempts by error class and their durations, the
 * end-to-end latency, the matcher's event counted `matched`, the API request counted under its
 * operationId with its status, and the consumer lag of each group per partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHeraldClient } from '@herald/api-spec';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';
import { startApp, type AppProcess } from '../../../test/app-process.ts';
import { parseExposition, samplesOf, valueOf, type Exposition } from '../../../test/prometheus-text.ts';

const OPERATOR = 'metrics-operator-token-0123456789';
const SCRAPER = 'metrics-scrape-token-0123456789';
const name = uniqueName('metrics').replace(/[^a-zA-Z0-9-]/g, '-');
const prefix = `${name}.`;
const env: Record<string, string> = {
  KAFKA_BROKERS: kafkaBrokers().join(','),
  MONGODB_URI: `${mongoUri().replace(/\/+$/, '')}/${name.replace(/-/g, '_')}`,
  HERALD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  HERALD_ADMIN_TOKEN: OPERATOR,
  HERALD_METRICS_TOKEN: SCRAPER,
  HERALD_TOPIC_PREFIX: prefix,
  HERALD_TOPIC_PARTITIONS: '2',
  HERALD_MATCHER_GROUP: `${name}-matcher`,
  HERALD_DELIVERY_GROUP: `${name}-delivery`,
  HERALD_RETRY_POLL_MS: '200',
  HERALD_ALLOWED_TARGETS: '127.0.0.1/32',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
};

const SAMPLES = fileURLToPath(new URL('../../../.cache/metrics-samples/', import.meta.url));

let api: AppProcess;
let matcher: AppProcess;
let delivery: AppProcess;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

async function scrape(app: AppProcess, token?: string): Promise<Exposition> {
  const res = await fetch(`http://127.0.0.1:${app.healthPort}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  // The last scrape of each app is kept for a reader (the operations guide's samples come from here).
  const app_ = app === api ? 'config-api' : app === matcher ? 'matcher' : 'delivery';
  await mkdir(SAMPLES, { recursive: true });
  await writeFile(join(SAMPLES, `${app_}.txt`), text);
  return parseExposition(text);
}

beforeAll(async () => {
  receiver = await startReceiver((r) => ({ status: r.path === '/fail' ? 500 : 200 }));
  [api, matcher, delivery] = await Promise.all([startApp('config-api', env), startApp('matcher', env), startApp('delivery', env)]);
}, 120_000);
afterAll(async () => {
  await Promise.all([api?.kill('SIGTERM'), matcher?.kill('SIGTERM'), delivery?.kill('SIGTERM')]);
  await receiver?.close();
});

describe('/metrics on each app, after an event went through', () => {
  let eventAt = 0;

  it('delivers an event posted to the API to both webhooks (one succeeds, one fails after its retry)', async () => {
    const baseUrl = `http://127.0.0.1:${api.healthPort}`;
    const operator = createHeraldClient({ baseUrl, apiKey: OPERATOR });
    const account = (await operator.POST('/v1/accounts', { body: { name: 'Metrics' } })).data!;
    const key = (await operator.POST('/v1/api-keys', { body: { account: account.id, role: 'admin', name: 'm' } })).data!;
    await operator.POST('/v1/event-types', { body: { name: 'ticket.created', description: 'A ticket was created' } });
    const admin = createHeraldClient({ baseUrl, apiKey: key.key });
    expect((await admin.POST('/v1/webhooks', { body: { name: 'ok', url: `${receiver.url}/ok`, eventTypes: ['ticket.created'] } })).response.status).toBe(201);
    expect((await admin.POST('/v1/webhooks', { body: { name: 'failing', url: `${receiver.url}/fail`, eventTypes: ['ticket.created'], retry: { schedule: [1] } } })).response.status).toBe(201);
    eventAt = Date.now();
    const posted = await admin.POST('/v1/events', {
      body: { id: 'evt_metrics_1', type: 'ticket.created', account: account.id, entity: { type: 'ticket', id: '7' }, action: 'new', occurredAt: new Date(eventAt).toISOString(), data: { ref: 'T-7' } },
    });
    expect(posted.response.status).toBe(202);
    // The 200 once, the 500 twice (the first attempt and its one retry, a second later).
    await eventually(() => receiver.received.filter((r) => r.path === '/ok').length === 1 && receiver.received.filter((r) => r.path === '/fail').length === 2, 'both webhooks at the receiver', 60_000);
  }, 90_000);

  it('the delivery app counts the outcomes, the attempts by error class, their durations and the end-to-end latency', async () => {
    let m!: Exposition;
    // The failed delivery's outcome is recorded just after its last answer.
    await eventually(async () => valueOf((m = await scrape(delivery)), 'herald_deliveries_total', { outcome: 'failed' }) === 1, 'the failed delivery counted', 15_000);
    expect(m.types.get('herald_deliveries_total')).toBe('counter');
    expect(valueOf(m, 'herald_deliveries_total', { outcome: 'succeeded', app: 'delivery' })).toBe(1);
    expect(m.types.get('herald_delivery_attempts_total')).toBe('counter');
    expect(valueOf(m, 'herald_delivery_attempts_total', { error_class: 'none' })).toBe(1);
    expect(valueOf(m, 'herald_delivery_attempts_total', { error_class: 'http_status' })).toBe(2);
    // No account label unless HERALD_METRICS_ACCOUNT_LABEL says so.
    expect(samplesOf(m, 'herald_delivery_attempts_total').every((s) => !('account' in s.labels))).toBe(true);

    expect(m.types.get('herald_delivery_attempt_duration_seconds')).toBe('histogram');
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_count', { result: 'success' })).toBe(1);
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_count', { result: 'failure' })).toBe(2);
    const took = valueOf(m, 'herald_delivery_attempt_duration_seconds_sum', { result: 'success' });
    expect(took).toBeGreaterThan(0);
    expect(took).toBeLessThan(5);
    expect(valueOf(m, 'herald_delivery_attempt_duration_seconds_bucket', { result: 'success', le: '+Inf' })).toBe(1);

    expect(m.types.get('herald_delivery_e2e_latency_seconds')).toBe('histogram');
    expect(valueOf(m, 'herald_delivery_e2e_latency_seconds_count')).toBe(1);
    const e2e = valueOf(m, 'herald_delivery_e2e_latency_seconds_sum');
    expect(e2e).toBeGreaterThan(0);
    expect(e2e).toBeLessThan((Date.now() - eventAt) / 1000 + 1);

    expect(m.types.get('herald_delivery_store_batch_records')).toBe('histogram');
    expect(valueOf(m, 'herald_delivery_store_batch_records_count')).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'herald_delivery_store_batch_records_sum')).toBeGreaterThanOrEqual(2);

    expect(m.types.get('herald_delivery_retry_backlog')).toBe('gauge');
    expect(samplesOf(m, 'herald_delivery_retry_backlog').map((s) => s.labels.state).sort()).toEqual(['due', 'scheduled']);
    expect(valueOf(m, 'herald_delivery_retry_backlog', { state: 'scheduled' })).toBe(0);

    expect(m.types.get('herald_store_commands_total')).toBe('counter');
    expect(valueOf(m, 'herald_store_commands_total')).toBeGreaterThan(0);
    expect(m.types.get('herald_process_cpu_seconds_total')).toBe('counter');
  });

  it('each consumer group reports its lag on every partition of its topic, down to 0 once committed', async () => {
    for (const [app, group, topic] of [
      [delivery, `${name}-delivery`, `${prefix}herald.deliveries`],
      [matcher, `${name}-matcher`, `${prefix}herald.events`],
    ] as const) {
      let m!: Exposition;
      // Read at scrape time and cached a few seconds: it reaches 0 once the batch is committed.
      await eventually(async () => {
        m = await scrape(app);
        const lag = samplesOf(m, 'herald_consumer_lag_messages', { group, topic });
        return lag.length === 2 && lag.every((s) => s.value === 0);
      }, `the lag of ${group} on ${topic}`, 20_000, 500);
      expect(m.types.get('herald_consumer_lag_messages')).toBe('gauge');
      expect(samplesOf(m, 'herald_consumer_lag_messages', { group, topic }).map((s) => s.labels.partition).sort()).toEqual(['0', '1']);
    }
  });

  it('the matcher counts the event matched, and the jobs it made', async () => {
    const m = await scrape(matcher);
    expect(m.types.get('herald_matcher_events_total')).toBe('counter');
    expect(valueOf(m, 'herald_matcher_events_total', { result: 'matched', app: 'matcher' })).toBe(1);
    expect(valueOf(m, 'herald_matcher_events_total', { result: 'dlq' })).toBe(0);
    expect(valueOf(m, 'herald_matcher_jobs_total')).toBe(2);
  });

  it('the config-api counts requests by operationId and status, and serves /metrics only to the operator or the scrape token', async () => {
    const m = await scrape(api, SCRAPER);
    expect(m.types.get('herald_api_requests_total')).toBe('counter');
    expect(valueOf(m, 'herald_api_requests_total', { operation: 'postEvent', status: '202', app: 'config-api' })).toBe(1);
    expect(valueOf(m, 'herald_api_requests_total', { operation: 'createWebhook', status: '201' })).toBe(2);
    // By operation, never by raw path.
    expect(samplesOf(m, 'herald_api_requests_total').some((s) => s.labels.operation!.startsWith('/'))).toBe(false);
    expect(m.types.get('herald_api_request_duration_seconds')).toBe('histogram');
    expect(valueOf(m, 'herald_api_request_duration_seconds_count', { operation: 'postEvent' })).toBe(1);
    expect(valueOf(m, 'herald_api_request_duration_seconds_sum', { operation: 'postEvent' })).toBeGreaterThan(0);
    expect((await scrape(api, OPERATOR)).types.get('herald_api_requests_total')).toBe('counter');

    const anonymous = await fetch(`http://127.0.0.1:${api.healthPort}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await fetch(`http://127.0.0.1:${api.healthPort}/metrics`, { headers: { authorization: 'Bearer not-the-operator-token-000' } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { detail: string }).detail).toMatch(/operator token or HERALD_METRICS_TOKEN/);
    // A request that matches no operation is counted as `none`, by status.
    await fetch(`http://127.0.0.1:${api.healthPort}/no/such/path`);
    await eventually(async () => valueOf(await scrape(api, SCRAPER), 'herald_api_requests_total', { operation: 'none', status: '404' }) >= 1, 'the 404 counted', 5_000);
  });
});
