import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { parseEnv, silentLogger } from '@herald/runtime';
import { devEnvSchema, startEmbedded, type Embedded } from './dev.ts';
import { readSeedFile } from './seed-file.ts';
import type { ReceivedRequest } from './demo-receiver.ts';
import { eventually } from '../../../test/receiver.ts';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let herald: Embedded;
const received: ReceivedRequest[] = [];
let secret: string;

beforeAll(async () => {
  // The demo receiver on a free port, and a seed that points at it.
  const dir = await mkdtemp(join(tmpdir(), 'herald-dev-'));
  const seed = join(dir, 'seed.json');
  const probe = await startEmbedded(parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '0', LOG_LEVEL: 'silent' }), { logger: silentLogger() });
  const receiverPort = new URL(probe.receiverUrl!).port;
  await probe.stop();
  secret = 'whsec_ZGV2LW9ubHktc2lnbmluZy1zZWNyZXQtMDEyMzQ1Njc=';
  await writeFile(seed, JSON.stringify({ webhooks: [{ id: 'wh_demo', account: 'acc_demo', name: 'demo', url: `http://127.0.0.1:${receiverPort}/hooks`, eventTypes: ['ticket.created'], secret }] }));
  herald = await startEmbedded(
    parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: receiverPort, HERALD_SEED_FILE: seed, LOG_LEVEL: 'silent' }),
    { logger: silentLogger(), onReceived: (r) => received.push(r) },
  );
});
afterAll(async () => {
  await herald?.stop();
});

describe('herald dev (embedded mode)', () => {
  it('delivers a posted event to the demo receiver with the default payload, signed', async () => {
    const res = await fetch(`${herald.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${herald.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'evt_dev_1', type: 'ticket.created', account: 'acc_demo', entity: { type: 'ticket', id: '9' }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-9' } }),
    });
    expect(res.status).toBe(202);
    await eventually(() => received.length === 1, 'the webhook at the demo receiver');
    const r = received[0]!;
    expect(JSON.parse(r.body)).toMatchObject({ event_id: 'evt_dev_1', entity_id: '9', entity_type: 'ticket', action_type: 'new', result: { ref: 'T-9' } });
    expect(new StandardWebhook(secret).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();
  });

  it('ships a seed file that parses, and refuses a bad one naming the field', async () => {
    const hooks = await readSeedFile(new URL('../../../fixtures/dev-webhooks.json', import.meta.url).pathname);
    expect(hooks.map((h) => h.id)).toEqual(['wh_demo']);
    const dir = await mkdtemp(join(tmpdir(), 'herald-seed-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ webhooks: [{ id: 'w', account: 'a', name: 'n', url: 'ftp://x' }] }));
    await expect(readSeedFile(bad)).rejects.toThrow(/\/webhooks\/0\/url must be an http or https URL/);
  });

  it('takes a webhook\'s limits from the seed file, within the config API\'s bounds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-seed-'));
    const file = join(dir, 'limits.json');
    const hook = { id: 'w', account: 'a', name: 'n', url: 'http://127.0.0.1:1/h', timeoutMs: 5_000, maxConcurrency: 4, rateLimitPerSecond: 20 };
    await writeFile(file, JSON.stringify({ webhooks: [hook] }));
    expect((await readSeedFile(file))[0]).toMatchObject({ timeoutMs: 5_000, maxConcurrency: 4, rateLimitPerSecond: 20 });
    await writeFile(file, JSON.stringify({ webhooks: [{ ...hook, maxConcurrency: 101, timeoutMs: 10 }] }));
    await expect(readSeedFile(file)).rejects.toThrow(/\/webhooks\/0\/timeoutMs Too small.*\/webhooks\/0\/maxConcurrency Too big/i);
  });
});
