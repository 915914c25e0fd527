import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, type AppProcess } from '../../../test/app-process.ts';
import { startReceiver } from '../../../test/receiver.ts';

/**
 * Client generators the project did not write take openapi.yaml (issue 13): openapi-generator-cli
 * (pinned in scripts/client-generators.sh) generates a Python and a Go client with no error, the Go
 * client compiles and decodes every form of a webhook's `auth`, @hey-api/openapi-ts (pinned in the
 * pnpm catalog) generates a TypeScript client that type-checks with a file using it, and the
 * Python client runs a user's first steps against `herald dev`, which validates its answers
 * against the spec (generators/python_scenario.py).
 *
 * The first run fetches the openapi-generator-cli jar (Maven Central) and the Go client's one
 * module (the Go module proxy), and makes a venv for the Python client; they are kept in
 * .cache/client-generators.
 */

const SCRIPT = fileURLToPath(new URL('../scripts/client-generators.sh', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../generators/python_scenario.py', import.meta.url));
const DEV_ADMIN_TOKEN = 'herald-dev-admin-token';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a step of client-generators.sh; fails with the script's own account of what went wrong. */
async function generators(...args: string[]): Promise<Run> {
  const r = await run('bash', [SCRIPT, ...args], {}, FIRST_RUN_MS - 10_000);
  expect(r.code, `client-generators.sh ${args.join(' ')} failed:\n${r.stderr.slice(-6000)}`).toBe(0);
  return r;
}

let out: string;
/** A first run fetches the jar and Go's module and makes the venv: room for a slow network. */
const FIRST_RUN_MS = 300_000;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'herald-clients-'));
});
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('client generators take openapi.yaml', () => {
  it('openapi-generator-cli generates a Python client with no error, and it imports', { timeout: FIRST_RUN_MS }, async () => {
    const r = await generators('python', join(out, 'python'));
    expect(r.stderr).not.toMatch(/\] ERROR /);
    const models = await readFile(join(out, 'python/herald_client/models/__init__.py'), 'utf8');
    // The models every answer of the scenario below goes through, each under its own name.
    for (const m of ['Webhook', 'WebhookList', 'WebhookAuthMasked', 'WebhookAuthBearerMasked', 'WebhookAuthPlugin', 'Delivery', 'AttemptList', 'DeliveryResult']) {
      expect(models, m).toMatch(new RegExp(`^from herald_client\\.models\\.\\w+ import ${m}$`, 'm'));
    }
  });

  it('openapi-generator-cli generates a Go client that compiles (go build ./...) and decodes each auth form, a test delivery and an attempt list', { timeout: FIRST_RUN_MS }, async () => {
    const r = await generators('go', join(out, 'go'));
    expect(r.stdout).toContain('go decode check: 6 webhooks, a test delivery and an attempt list decoded');
  });

  it('@hey-api/openapi-ts generates a TypeScript client that type-checks, with code that uses it', async () => {
    await generators('typescript', join(out, 'typescript'));
    const types = await readFile(join(out, 'typescript/client/types.gen.ts'), 'utf8');
    expect(types).toMatch(/export type WebhookAuthMasked = /);
  });

  describe('the Python client against herald dev', () => {
    let dev: AppProcess | undefined;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    beforeAll(async () => {
      receiver = await startReceiver();
      // NODE_ENV other than production: the config-api validates every answer against the spec
      // (a mismatch is a 500, which the client reports).
      dev = await startApp('dev', { HERALD_DEV_RECEIVER_PORT: '-1', NODE_ENV: 'test', LOG_LEVEL: 'warn' }, 'sources', ['--memory']);
    });
    afterAll(async () => {
      await dev?.kill('SIGTERM');
      await receiver?.close();
    });

    it('creates an account, a key, an event type and a webhook, posts an event, reads the log, presses Test and deletes the webhook', { timeout: FIRST_RUN_MS }, async () => {
      const python = (await generators('python-env', join(out, 'python'))).stdout.trim().split('\n').pop()!;
      const token = 'python-scenario-token-0123456789';
      const runId = Date.now().toString(36);
      const r = await run(python, [SCENARIO], {
        PYTHONPATH: join(out, 'python'),
        PYTHONDONTWRITEBYTECODE: '1',
        HERALD_URL: `http://127.0.0.1:${dev!.healthPort}`,
        HERALD_ADMIN_TOKEN: DEV_ADMIN_TOKEN,
        HERALD_RECEIVER_URL: `${receiver.url}/hooks/python`,
        HERALD_RECEIVER_TOKEN: token,
        HERALD_RUN: runId,
      }, 60_000);
      expect(r.code, `the Python scenario failed:\n${r.stderr.slice(-4000)}\nherald dev:\n${dev!.stdout().slice(-4000)}`).toBe(0);
      const seen = JSON.parse(r.stdout.trim()) as {
        webhook: string;
        eventDelivery: { id: string; status: string; attempts: number };
        testDelivery: { id: string; status: string; test: boolean };
        deletedWebhookStatus: number;
      };
      expect(seen).toMatchObject({
        webhook: expect.stringMatching(/^wh_/),
        eventDelivery: { status: 'succeeded', attempts: 1 },
        testDelivery: { status: 'succeeded', test: true },
        deletedWebhookStatus: 404,
      });
      // What the receiver got: the event, then the test, each with the webhook's bearer token.
      expect(receiver.received.map((x) => x.path)).toEqual(['/hooks/python', '/hooks/python']);
      for (const x of receiver.received) expect(x.headers['authorization']).toBe(`Bearer ${token}`);
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
        event_id: `evt_python_${runId}`, event_type: `ticket.python_${runId}`, action_type: 'update', result: { ref: 'T-1042', priority: 'high' },
      });
      expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ event_type: `ticket.python_${runId}`, action_type: 'test' });
    });
  });
});
