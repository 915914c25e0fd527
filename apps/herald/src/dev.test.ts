import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { parseEnv, silentLogger } from '@herald/runtime';
import { devBanner, devEnvSchema, DEFAULT_DEV_SEED_FILE, startEmbedded, type Embedded } from './dev.ts';
import { readSeedFile } from './seed-file.ts';
import type { ReceivedRequest } from './demo-receiver.ts';
import { eventually } from '../../../test/receiver.ts';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEMO_WEBHOOK = 'wh_01JDEM0DEM0000000000000000';
const DEMO_SECRET = 'whsec_ZGV2LW9ubHktc2lnbmluZy1zZWNyZXQtMDEyMzQ1Njc=';

let herald: Embedded;
const received: ReceivedRequest[] = [];

// The shipped seed file, with the demo receiver on a free port (not 8090): the seeded webhook
// must follow it.
beforeAll(async () => {
  herald = await startEmbedded(parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '0', LOG_LEVEL: 'silent' }), {
    logger: silentLogger(),
    memory: true,
    onReceived: (r) => received.push(r),
  });
});
afterAll(async () => {
  await herald?.stop();
});

const asDemo = () => ({ authorization: `Bearer ${herald.demo!.apiKey}` });

describe('herald dev (embedded mode) with the shipped seed', () => {
  it('creates the demo account with an admin key, and the banner prints it', async () => {
    expect(herald.demo).toMatchObject({ account: 'acc_demo', webhooks: [DEMO_WEBHOOK] });
    const me = await fetch(`${herald.apiUrl}/v1/me`, { headers: asDemo() });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'account', accountId: 'acc_demo', role: 'admin', webhooksEnabled: true });
    const banner = devBanner(herald);
    expect(banner).toContain(herald.demo!.apiKey);
    expect(banner).toContain(`${herald.receiverUrl}/hooks   (webhook ${DEMO_WEBHOOK})`);
  });

  it('seeds a webhook the API lists and reads, pointing at the demo receiver\'s actual port', async () => {
    const list = await fetch(`${herald.apiUrl}/v1/webhooks`, { headers: asDemo() });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { data: { id: string; url: string }[] };
    expect(body.data.map((w) => w.id)).toEqual([DEMO_WEBHOOK]);
    const one = await fetch(`${herald.apiUrl}/v1/webhooks/${DEMO_WEBHOOK}`, { headers: asDemo() });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { url: string }).url).toBe(`${herald.receiverUrl}/hooks`);
    expect(new URL(herald.receiverUrl!).port).not.toBe('8090');
  });

  it('seeds the event types with schema and example', async () => {
    const res = await fetch(`${herald.apiUrl}/v1/event-types/ticket.priority_changed`, { headers: asDemo() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'ticket.priority_changed', example: { ref: 'T-1042', priority: 'high' } });
    expect(((await (await fetch(`${herald.apiUrl}/v1/event-types/ticket.created`, { headers: asDemo() })).json()) as { schema?: unknown }).schema).toBeTruthy();
  });

  it('delivers the banner\'s event to the demo receiver, signed, and logs it as succeeded', async () => {
    const res = await fetch(`${herald.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${herald.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'evt_dev_1', type: 'ticket.created', account: 'acc_demo', entity: { type: 'ticket', id: '9' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-9', title: 'Leak' } }),
    });
    expect(res.status).toBe(202);
    await eventually(() => received.length === 1, 'the webhook at the demo receiver');
    const r = received[0]!;
    expect(JSON.parse(r.body)).toMatchObject({ event_id: 'evt_dev_1', entity_id: '9', entity_type: 'ticket', action_type: 'new', result: { ref: 'T-9' } });
    expect(new StandardWebhook(DEMO_SECRET).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();
    let deliveries: { status: string; eventId: string }[] = [];
    await eventually(async () => {
      const log = await fetch(`${herald.apiUrl}/v1/webhooks/${DEMO_WEBHOOK}/deliveries`, { headers: asDemo() });
      deliveries = ((await log.json()) as { data: { status: string; eventId: string }[] }).data;
      return deliveries[0]?.status === 'succeeded';
    }, 'the delivery logged as succeeded');
    expect(deliveries[0]).toMatchObject({ eventId: 'evt_dev_1', status: 'succeeded' });
  });

  it('answers the Test button for the seeded webhook with the demo receiver\'s response', async () => {
    const res = await fetch(`${herald.apiUrl}/v1/webhooks/${DEMO_WEBHOOK}/test`, { method: 'POST', headers: { ...asDemo(), 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ delivery: { status: 'succeeded', test: true, attempts: [{ request: { url: `${herald.receiverUrl}/hooks` }, response: { status: 200, body: '{"received":true}' } }] } });
  });
});

describe('herald dev seed files', () => {
  it('leaves out the demo receiver\'s webhook when the receiver is off, and still creates the account', async () => {
    const off = await startEmbedded(parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '-1', LOG_LEVEL: 'silent' }), { logger: silentLogger(), memory: true });
    try {
      expect(off.demo).toMatchObject({ account: 'acc_demo', webhooks: [] });
      const list = await fetch(`${off.apiUrl}/v1/webhooks`, { headers: { authorization: `Bearer ${off.demo!.apiKey}` } });
      expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
    } finally {
      await off.stop();
    }
  });

  it('substitutes ${HERALD_DEV_RECEIVER_URL} and refuses a variable that is not set, naming the field', async () => {
    const seed = await readSeedFile(DEFAULT_DEV_SEED_FILE, { HERALD_DEV_RECEIVER_URL: 'http://127.0.0.1:4567' });
    expect(seed.webhooks.map((h) => [h.id, h.url])).toEqual([[DEMO_WEBHOOK, 'http://127.0.0.1:4567/hooks']]);
    expect(seed.accounts.map((a) => a.id)).toEqual(['acc_demo']);
    expect(seed.eventTypes.map((t) => t.name).sort()).toEqual(['ticket.created', 'ticket.priority_changed']);
    await expect(readSeedFile(DEFAULT_DEV_SEED_FILE)).rejects.toThrow(/\/webhooks\/0\/url uses \$\{HERALD_DEV_RECEIVER_URL\}, which is not set here/);
  });

  it('refuses a bad seed naming the field: a webhook id that is not wh_ and a ULID, a URL that is not http', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-seed-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ webhooks: [{ id: 'wh_demo', account: 'a', name: 'n', url: 'ftp://x' }] }));
    await expect(readSeedFile(bad)).rejects.toThrow(/\/webhooks\/0\/id must be a webhook id: wh_ and a ULID.*\/webhooks\/0\/url must be an http or https URL/);
    await writeFile(bad, JSON.stringify({ accounts: [{ id: '-x', name: 'n' }] }));
    await expect(readSeedFile(bad)).rejects.toThrow(/\/accounts\/0\/id must be an account id/);
  });

  it('takes a webhook\'s limits from the seed file, within the config API\'s bounds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-seed-'));
    const file = join(dir, 'limits.json');
    const hook = { id: DEMO_WEBHOOK, account: 'a', name: 'n', url: 'http://127.0.0.1:1/h', timeoutMs: 5_000, maxConcurrency: 4, rateLimitPerSecond: 20 };
    await writeFile(file, JSON.stringify({ webhooks: [hook] }));
    expect((await readSeedFile(file)).webhooks[0]).toMatchObject({ timeoutMs: 5_000, maxConcurrency: 4, rateLimitPerSecond: 20 });
    await writeFile(file, JSON.stringify({ webhooks: [{ ...hook, maxConcurrency: 101, timeoutMs: 10 }] }));
    await expect(readSeedFile(file)).rejects.toThrow(/\/webhooks\/0\/timeoutMs Too small.*\/webhooks\/0\/maxConcurrency Too big/i);
  });
});
