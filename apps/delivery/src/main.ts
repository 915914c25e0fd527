import { topicNames } from '@herald/core';
import { createKafkaBus } from '@herald/bus';
import { createMongoStore } from '@herald/store';
import { HttpSender, TargetGuard } from '@herald/transport';
import { createLogger, loadPlugins, serviceChecks, startHealthServer, type HealthServer } from '@herald/runtime';
import { readDeliveryEnv, type DeliveryEnv } from './env.ts';
import { createDeliveryService, type DeliveryService } from './delivery-service.ts';
import { createRetentionSweeper } from './retention-sweeper.ts';
import { createDeliveryAppMetrics } from './delivery-app-metrics.ts';

export interface RunningDelivery {
  service: DeliveryService;
  health: HealthServer;
  stop(): Promise<void>;
}

/** Runs the delivery app against Kafka and MongoDB, as `herald delivery` does. */
export async function runDelivery(env: DeliveryEnv = readDeliveryEnv()): Promise<RunningDelivery> {
  const logger = createLogger('herald.delivery', env.LOG_LEVEL);
  const topics = topicNames(env.HERALD_TOPIC_PREFIX);
  const plugins = await loadPlugins(env.HERALD_PLUGINS);
  const bus = createKafkaBus({ brokers: env.KAFKA_BROKERS, clientId: 'herald-delivery', logger });
  let countCommand: (name: string) => void = () => undefined;
  const store = createMongoStore({ uri: env.MONGODB_URI, encryptionKey: env.HERALD_ENCRYPTION_KEY, onCommand: (name) => countCommand(name) });
  const metrics = createDeliveryAppMetrics({ bus, store, groupId: env.HERALD_DELIVERY_GROUP, deliveriesTopic: topics.deliveries, accountLabel: env.HERALD_METRICS_ACCOUNT_LABEL });
  countCommand = metrics.app.storeCommand;
  await store.init();
  await bus.ensureTopics([topics.deliveries, topics.deliveriesDlq, topics.config, topics.operations].map((topic) => ({ topic, partitions: env.HERALD_TOPIC_PARTITIONS })));
  const sender = new HttpSender({
    connectionsPerOrigin: Math.min(env.HERALD_DELIVERY_CONCURRENCY, 64),
    guard: new TargetGuard({ allowedTargets: env.HERALD_ALLOWED_TARGETS }),
  });
  const service = createDeliveryService({
    bus,
    store,
    logger,
    sender,
    plugins,
    topics,
    groupId: env.HERALD_DELIVERY_GROUP,
    concurrency: env.HERALD_DELIVERY_CONCURRENCY,
    webhookConcurrency: env.HERALD_WEBHOOK_CONCURRENCY,
    health: { disableAfterFailures: env.HERALD_DISABLE_AFTER_FAILURES, disableAfterMs: env.HERALD_DISABLE_AFTER_MS },
    pollIntervalMs: env.HERALD_RETRY_POLL_MS,
    configCacheMs: env.HERALD_CONFIG_CACHE_TTL_MS,
    metrics: metrics.delivery,
    settings: {
      timeoutMs: env.HERALD_DELIVERY_TIMEOUT_MS,
      maxResponseBytes: env.HERALD_RESPONSE_BODY_LIMIT,
      retryPolicy: { schedule: env.HERALD_RETRY_SCHEDULE, jitter: 0.2 },
    },
  });
  await service.start();
  const sweeper = createRetentionSweeper({ store, logger: logger.child({ component: 'retention' }), retentionDays: env.HERALD_RETENTION_DAYS });
  sweeper.start();
  const health = await startHealthServer({
    port: env.HEALTH_PORT,
    host: env.HOST,
    checks: serviceChecks(bus, store),
    metrics: metrics.app.registry,
  });
  logger.info({ healthPort: health.port }, 'delivery ready');
  const stop = async () => {
    await sweeper.stop();
    await service.stop();
    await health.close();
    await sender.close();
    await bus.close();
    await store.close();
  };
  return { service, health, stop };
}

