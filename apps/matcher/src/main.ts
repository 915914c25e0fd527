import { topicNames } from '@herald/core';
import { createKafkaBus } from '@herald/bus';
import { createMongoStore } from '@herald/store';
import { createLogger, serviceChecks, startHealthServer, type HealthServer } from '@herald/runtime';
import { readMatcherEnv, type MatcherEnv } from './env.ts';
import { createMatcher, type Matcher } from './matcher-service.ts';
import { createMatcherAppMetrics } from './matcher-app-metrics.ts';

export interface RunningMatcher {
  matcher: Matcher;
  health: HealthServer;
  stop(): Promise<void>;
}

/** Runs the matcher against Kafka and MongoDB, as `herald matcher` does. */
export async function runMatcher(env: MatcherEnv = readMatcherEnv()): Promise<RunningMatcher> {
  const logger = createLogger('herald.matcher', env.LOG_LEVEL);
  const topics = topicNames(env.HERALD_TOPIC_PREFIX);
  const bus = createKafkaBus({ brokers: env.KAFKA_BROKERS, clientId: 'herald-matcher', logger });
  const metrics = createMatcherAppMetrics({ bus, groupId: env.HERALD_MATCHER_GROUP, eventsTopic: topics.events, accountLabel: env.HERALD_METRICS_ACCOUNT_LABEL });
  const store = createMongoStore({ uri: env.MONGODB_URI, encryptionKey: env.HERALD_ENCRYPTION_KEY, onCommand: metrics.app.storeCommand });
  await store.init();
  await bus.ensureTopics(
    [topics.events, topics.eventsDlq, topics.deliveries, topics.deliveriesDlq, topics.config].map((topic) => ({ topic, partitions: env.HERALD_TOPIC_PARTITIONS })),
  );
  const matcher = createMatcher({ bus, store, logger, topics, groupId: env.HERALD_MATCHER_GROUP, cacheTtlMs: env.HERALD_CONFIG_CACHE_TTL_MS, eventValidation: env.HERALD_EVENT_VALIDATION, metrics: metrics.matcher });
  await matcher.start();
  const health = await startHealthServer({
    port: env.HEALTH_PORT,
    host: env.HOST,
    checks: serviceChecks(bus, store),
    metrics: metrics.app.registry,
  });
  logger.info({ healthPort: health.port }, 'matcher ready');
  const stop = async () => {
    await matcher.stop();
    await health.close();
    await bus.close();
    await store.close();
  };
  return { matcher, health, stop };
}

/** Entry point when the app runs on its own (`tsx apps/matcher/src/main.ts`). */
