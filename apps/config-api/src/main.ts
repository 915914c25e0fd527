import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { topicNames } from '@herald/core';
import { createKafkaBus } from '@herald/bus';
import { createMongoStore } from '@herald/store';
import { createLogger, loadPlugins } from '@herald/runtime';
import { HttpSender, TargetGuard } from '@herald/transport';
import { readConfigApiEnv, type ConfigApiEnv } from './env.ts';
import { createConfigApi } from './app.ts';
import { createConfigApiMetrics } from './metrics-route.ts';

export interface RunningConfigApi {
  port: number;
  stop(): Promise<void>;
}

/** Runs the config-api against Kafka and MongoDB, as `herald config-api` does. */
export async function runConfigApi(env: ConfigApiEnv = readConfigApiEnv()): Promise<RunningConfigApi> {
  const logger = createLogger('herald.config-api', env.LOG_LEVEL);
  const topics = topicNames(env.HERALD_TOPIC_PREFIX);
  const bus = createKafkaBus({ brokers: env.KAFKA_BROKERS, clientId: 'herald-config-api', logger });
  const metrics = createConfigApiMetrics({ accountLabel: env.HERALD_METRICS_ACCOUNT_LABEL });
  const store = createMongoStore({ uri: env.MONGODB_URI, encryptionKey: env.HERALD_ENCRYPTION_KEY, onCommand: metrics.app.storeCommand });
  const plugins = await loadPlugins(env.HERALD_PLUGINS);
  await store.init();
  await bus.ensureTopics([topics.events, topics.eventsDlq, topics.config].map((topic) => ({ topic, partitions: env.HERALD_TOPIC_PARTITIONS })));
  // The Test button's sender (F6): the same SSRF guard and allow-list as the delivery app's.
  const sender = new HttpSender({ connectionsPerOrigin: 4, guard: new TargetGuard({ allowedTargets: env.HERALD_ALLOWED_TARGETS }) });
  const app = createConfigApi({
    bus,
    store,
    logger,
    topics,
    plugins,
    eventValidation: env.HERALD_EVENT_VALIDATION,
    adminToken: env.HERALD_ADMIN_TOKEN,
    maxBodyBytes: env.HERALD_MAX_BODY_BYTES,
    sender,
    testSettings: { timeoutMs: env.HERALD_DELIVERY_TIMEOUT_MS, maxResponseBytes: env.HERALD_RESPONSE_BODY_LIMIT },
    metrics: { registry: metrics.app.registry, api: metrics.api, tokens: env.HERALD_METRICS_TOKEN ? [env.HERALD_METRICS_TOKEN] : [] },
    ...(env.HERALD_INGEST_TOKEN ? { ingestToken: env.HERALD_INGEST_TOKEN } : {}),
    ...(env.HERALD_CONSOLE_DIR ? { consoleDir: env.HERALD_CONSOLE_DIR } : {}),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(env.PORT, env.HOST, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: env.HOST, port }, 'config-api listening');
  return {
    port,
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
      await sender.close();
      await bus.close();
      await store.close();
    },
  };
}

