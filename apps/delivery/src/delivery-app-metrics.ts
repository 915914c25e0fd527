import type { Bus } from '@herald/bus';
import type { Store } from '@herald/store';
import { createAppMetrics, createDeliveryMetrics, registerConsumerLag, registerRetryBacklog, type AppMetrics, type ScrapeReadOptions, type DeliveryMetrics } from '@herald/runtime';

export interface DeliveryAppMetrics {
  /** The registry /metrics serves, with the store-command counter (`app.storeCommand`). */
  app: AppMetrics;
  /** What the delivery engine counts (createDeliveryService({ metrics })). */
  delivery: DeliveryMetrics;
}

/**
 * The delivery app's metrics, as `herald delivery` serves them at /metrics on HEALTH_PORT:
 * deliveries, attempts, their durations and end-to-end latency, bulk write sizes, and, read at
 * scrape time, the retry backlog (from the store) and the lag of its consumer group on
 * herald.deliveries (from the bus). See docs/operations.md, "Metrics".
 */
export function createDeliveryAppMetrics(options: { bus: Pick<Bus, 'consumerLag'>; store: Pick<Store, 'deliveries'>; groupId: string; deliveriesTopic: string; accountLabel?: boolean; readings?: ScrapeReadOptions }): DeliveryAppMetrics {
  const app = createAppMetrics('delivery', { accountLabel: options.accountLabel ?? false });
  const delivery = createDeliveryMetrics(app);
  const { bus, store } = options;
  if (store.deliveries.backlog) registerRetryBacklog(app, () => store.deliveries.backlog!(), options.readings);
  if (bus.consumerLag) registerConsumerLag(app, [{ groupId: options.groupId, topics: [options.deliveriesTopic], read: (g, t) => bus.consumerLag!(g, t) }], options.readings);
  return { app, delivery };
}
