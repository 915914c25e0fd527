import type { Bus } from '@herald/bus';
import { createAppMetrics, createMatcherMetrics, registerConsumerLag, type AppMetrics, type ScrapeReadOptions, type MatcherMetrics } from '@herald/runtime';

export interface MatcherAppMetrics {
  /** The registry /metrics serves, with the store-command counter (`app.storeCommand`). */
  app: AppMetrics;
  /** What the matcher counts (createMatcher({ metrics })). */
  matcher: MatcherMetrics;
}

/**
 * The matcher's metrics, as `herald matcher` serves them at /metrics on HEALTH_PORT: events by
 * result, jobs produced, and, read at scrape time, the lag of its consumer group on herald.events.
 * See docs/operations.md, "Metrics".
 */
export function createMatcherAppMetrics(options: { bus: Pick<Bus, 'consumerLag'>; groupId: string; eventsTopic: string; accountLabel?: boolean; readings?: ScrapeReadOptions }): MatcherAppMetrics {
  const app = createAppMetrics('matcher', { accountLabel: options.accountLabel ?? false });
  const matcher = createMatcherMetrics(app);
  const { bus } = options;
  if (bus.consumerLag) registerConsumerLag(app, [{ groupId: options.groupId, topics: [options.eventsTopic], read: (g, t) => bus.consumerLag!(g, t) }], options.readings);
  return { app, matcher };
}
