import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { topicNames } from '@herald/core';
import { createMemoryBus, createSqliteBus, type Bus } from '@herald/bus';
import { createMemoryStore, createSqliteStore, type Store } from '@herald/store';
import { allowedTargets, createLogger, encryptionKey, envVars, loadPlugins, parseEnv, type Logger } from '@herald/runtime';
import { HttpSender, TargetGuard } from '@herald/transport';
import { createConfigApi } from '@herald/config-api';
import { createMatcher } from '@herald/matcher';
import { createDeliveryService } from '@herald/delivery';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleDistDir } from '@herald/console';
import { applySeed, readSeedFile } from './seed-file.ts';
import { startDemoReceiver, type ReceivedRequest } from './demo-receiver.ts';
import { openDataDir, type DataDir } from './data-dir.ts';

export const DEFAULT_DEV_SEED_FILE = fileURLToPath(new URL('../../../fixtures/dev-webhooks.json', import.meta.url));
export const DEV_ADMIN_TOKEN = 'herald-dev-admin-token';
/** What `herald dev` allows past the SSRF guard by default: this machine. */
export const DEV_ALLOWED_TARGETS = '127.0.0.0/8,::1,localhost';

/** `herald dev` settings (the README's table lists them). */
export const devEnvSchema = z.object({
  PORT: envVars.port(8080),
  HOST: envVars.host('127.0.0.1'),
  /** In dev mode the operator token has a well-known default; never use it elsewhere. */
  HERALD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').default(DEV_ADMIN_TOKEN),
  HERALD_SEED_FILE: z.string().default(DEFAULT_DEV_SEED_FILE),
  /** Where embedded mode keeps its data across restarts (unless `herald dev --memory`). */
  HERALD_DATA_DIR: z.string().min(1, 'must be a directory path').default('.herald'),
  /** Encrypts webhook secrets at rest; by default a key made at the first start and kept in HERALD_DATA_DIR. */
  HERALD_ENCRYPTION_KEY: encryptionKey().optional(),
  /** Port of the demo receiver; 0 picks a free one, -1 turns it off. */
  HERALD_DEV_RECEIVER_PORT: z.coerce.number().int().min(-1).max(65535).default(8090),
  HERALD_DELIVERY_TIMEOUT_MS: envVars.positiveInt(15_000),
  /** The SSRF guard's exceptions; in dev mode loopback is allowed, for the demo receiver and local tools. */
  HERALD_ALLOWED_TARGETS: allowedTargets(DEV_ALLOWED_TARGETS),
  HERALD_RETRY_POLL_MS: envVars.positiveInt(1_000),
  /** Per-webhook concurrency and endpoint health, as the delivery app has them (README). */
  HERALD_WEBHOOK_CONCURRENCY: envVars.positiveInt(16),
  HERALD_DISABLE_AFTER_FAILURES: envVars.nonNegativeInt(10),
  HERALD_DISABLE_AFTER_MS: envVars.nonNegativeInt(86_400_000),
  /** Extra transport plugins (package names or paths), as for the apps. */
  HERALD_PLUGINS: envVars.plugins(),
  /** The web console's built files, served at /console; by default the workspace's build of apps/console. */
  HERALD_CONSOLE_DIR: z.string().default(consoleDistDir),
  LOG_LEVEL: envVars.logLevel(),
});
export type DevEnv = z.infer<typeof devEnvSchema>;

export interface Embedded {
  apiUrl: string;
  /** The data directory, or undefined in memory (`--memory`): nothing is kept. */
  dataDir?: string;
  receiverUrl?: string;
  adminToken: string;
  /** The seed's first account and an admin API key minted for it at this start. */
  demo?: { account: string; apiKey: string; webhooks: string[] };
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  logger?: Logger;
  onReceived?: (r: ReceivedRequest) => void;
  /** Keep everything in memory (`herald dev --memory`): nothing survives a stop. Default false. */
  memory?: boolean;
}

/**
 * Embedded mode (F21): the config-api, the matcher and the delivery engine in one process. No
 * Kafka, no MongoDB: the bus and the store are SQLite files in HERALD_DATA_DIR (see data-dir.ts),
 * so accounts, keys, webhooks, the log, pending retries and de-duplication claims survive a
 * restart, and an event answered 202 survives a kill; or, with `memory`, in memory.
 */
export async function startEmbedded(env: DevEnv = parseEnv(devEnvSchema), hooks: EmbeddedOptions = {}): Promise<Embedded> {
  const logger = hooks.logger ?? createLogger('herald.dev', env.LOG_LEVEL);
  const topics = topicNames();
  let dataDir: DataDir | undefined;
  let bus: Bus;
  let store: Store;
  if (hooks.memory) {
    bus = createMemoryBus();
    store = createMemoryStore();
  } else {
    dataDir = openDataDir(env.HERALD_DATA_DIR, env.HERALD_ENCRYPTION_KEY);
    store = createSqliteStore({ path: dataDir.storePath, encryptionKey: dataDir.encryptionKey });
    try {
      bus = createSqliteBus({ path: dataDir.busPath });
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  await store.init();
  await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 1 })));

  const receiver =
    env.HERALD_DEV_RECEIVER_PORT >= 0
      ? await startDemoReceiver({
          port: env.HERALD_DEV_RECEIVER_PORT,
          host: '127.0.0.1',
          onRequest: (r) => {
            hooks.onReceived?.(r);
            logger.info({ receiver: { method: r.method, path: r.path, webhookId: r.headers['webhook-id'], body: r.body } }, 'demo receiver got a webhook');
          },
        })
      : undefined;

  // The seed's webhook URLs can name the demo receiver as ${HERALD_DEV_RECEIVER_URL}; with the
  // receiver off, those webhooks are left out.
  const seed = await readSeedFile(env.HERALD_SEED_FILE, { HERALD_DEV_RECEIVER_URL: receiver?.url }, { omitUnset: true });
  // A data directory is seeded at its first start only: later starts keep what was changed.
  if (!dataDir || dataDir.fresh) {
    if (seed.omitted.length > 0) logger.warn({ webhooks: seed.omitted }, 'seed webhooks left out: they point at the demo receiver, which is off (HERALD_DEV_RECEIVER_PORT=-1)');
    await applySeed(store, seed);
  }

  const sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: env.HERALD_ALLOWED_TARGETS }) });
  const plugins = await loadPlugins(env.HERALD_PLUGINS);
  const matcher = createMatcher({ bus, store, logger: logger.child({ app: 'matcher' }), topics, cacheTtlMs: 0 });
  const delivery = createDeliveryService({
    bus,
    store,
    logger: logger.child({ app: 'delivery' }),
    sender,
    plugins,
    topics,
    pollIntervalMs: env.HERALD_RETRY_POLL_MS,
    settings: { timeoutMs: env.HERALD_DELIVERY_TIMEOUT_MS },
    webhookConcurrency: env.HERALD_WEBHOOK_CONCURRENCY,
    health: { disableAfterFailures: env.HERALD_DISABLE_AFTER_FAILURES, disableAfterMs: env.HERALD_DISABLE_AFTER_MS },
  });
  await matcher.start();
  await delivery.start();

  // The Test button sends through the delivery engine's guarded sender (same allow-list).
  const app = createConfigApi({
    bus, store, logger: logger.child({ app: 'config-api' }), topics, plugins, adminToken: env.HERALD_ADMIN_TOKEN,
    sender, testSettings: { timeoutMs: env.HERALD_DELIVERY_TIMEOUT_MS },
    ...(existsSync(join(env.HERALD_CONSOLE_DIR, 'index.html')) ? { consoleDir: env.HERALD_CONSOLE_DIR } : {}),
  });
  if (!existsSync(join(env.HERALD_CONSOLE_DIR, 'index.html'))) {
    logger.warn({ dir: env.HERALD_CONSOLE_DIR }, 'the console is not built (pnpm --filter @herald/console build): /console answers 404');
  }
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(env.PORT, env.HOST, () => resolve(s));
    s.once('error', reject);
  });
  const apiUrl = `http://${env.HOST}:${(server.address() as AddressInfo).port}`;

  // An admin key for the seed's first account, minted through the API as an operator would, so
  // that the account's webhooks, log and Test button can be used at once (API and console).
  // With a data directory, the key of an earlier start is shown again while it still works.
  let demo: Embedded['demo'];
  const first = seed.accounts[0];
  if (first && (await store.accounts.get(first.id))) {
    let apiKey = dataDir?.readDemoKey();
    if (apiKey && !(await keyWorksFor(apiUrl, apiKey, first.id))) apiKey = undefined;
    if (!apiKey) {
      const res = await fetch(`${apiUrl}/v1/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.HERALD_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ account: first.id, role: 'admin', name: 'herald dev' }),
      });
      if (res.status !== 201) throw new Error(`herald dev could not mint an API key for ${first.id}: ${res.status} ${await res.text()}`);
      apiKey = ((await res.json()) as { key: string }).key;
      dataDir?.writeDemoKey(apiKey);
    }
    const webhooks: string[] = [];
    for (const w of seed.webhooks) if (w.account === first.id && (await store.webhooks.get(first.id, w.id))) webhooks.push(w.id);
    demo = { account: first.id, apiKey, webhooks };
  }

  return {
    apiUrl,
    ...(receiver ? { receiverUrl: receiver.url } : {}),
    ...(demo ? { demo } : {}),
    adminToken: env.HERALD_ADMIN_TOKEN,
    ...(dataDir ? { dataDir: dataDir.dir } : {}),
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await matcher.stop();
      await delivery.stop();
      await sender.close();
      await receiver?.close();
      await bus.close();
      await store.close();
    },
  };
}

export function devBanner(e: Embedded): string {
  return [
    '',
    e.dataDir
      ? `Herald is running in embedded mode (no Kafka, no MongoDB; data kept in ${e.dataDir}, HERALD_DATA_DIR).`
      : `Herald is running in embedded mode (no Kafka, no MongoDB; in memory: nothing is kept after it stops).`,
    `  API:            ${e.apiUrl}   (operator token: ${e.adminToken})`,
    `  Console:        ${e.apiUrl}/console/`,
    e.demo ? `  Demo account:   ${e.demo.account}   (admin API key: ${e.demo.apiKey})` : '',
    e.receiverUrl ? `  Demo receiver:  ${e.receiverUrl}/hooks${e.demo?.webhooks.length ? `   (webhook ${e.demo.webhooks.join(', ')})` : ''}` : '',
    '',
    ...(e.demo
      ? [
          'Send an event:',
          `  curl -s -X POST ${e.apiUrl}/v1/events -H 'authorization: Bearer ${e.adminToken}' -H 'content-type: application/json' \\`,
          `    -d '{"id":"evt_1","type":"ticket.priority_changed","account":"${e.demo.account}","entity":{"type":"ticket","id":"1042"},"action":"update","occurredAt":"2026-11-24T10:55:27Z","data":{"ref":"T-1042","priority":"high"}}'`,
          'See its delivery:',
          `  curl -s ${e.apiUrl}/v1/deliveries -H 'authorization: Bearer ${e.demo.apiKey}'`,
          '',
        ]
      : []),
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

/** True when `key` is an admin key of `account` that the API still accepts (not revoked). */
async function keyWorksFor(apiUrl: string, key: string, account: string): Promise<boolean> {
  const res = await fetch(`${apiUrl}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200) return false;
  const me = (await res.json()) as { kind?: string; accountId?: string; role?: string };
  return me.kind === 'account' && me.accountId === account && me.role === 'admin';
}
