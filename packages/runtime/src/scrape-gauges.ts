import { Gauge, type Registry } from 'prom-client';
import type { AppMetrics } from './metrics.ts';

/** One partition of a consumer group: how far its committed offset is behind the partition's end. */
export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/** The retry backlog: pending deliveries waiting for an attempt, due now and due later. */
export interface RetryBacklog {
  due: number;
  scheduled: number;
}

export interface ScrapeReadOptions {
  /** A reading this young is served again instead of asking anew. Default 5000 ms. */
  cacheMs?: number;
  /** A reading that takes longer fails (the scrape goes on without it). Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * `read`, at most once per `cacheMs` (concurrent scrapes share one reading), failing after
 * `timeoutMs`. A failed reading is not cached: the next scrape tries again.
 */
export function cachedReading<T>(read: () => Promise<T>, options: ScrapeReadOptions = {}): () => Promise<T> {
  const cacheMs = options.cacheMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  let last: { at: number; value: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.value);
    inFlight ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const value = await Promise.race([
          read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        last = { at: Date.now(), value };
        return value;
      } finally {
        clearTimeout(timer);
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
}

/** The scrape-time readings of each registry, by name, for herald_metrics_reading_up. */
const readingsOf = new WeakMap<Registry, Map<string, () => Promise<unknown>>>();

/**
 * Adds `read` to `herald_metrics_reading_up{reading}` (1: the reading of this scrape succeeded;
 * 0: it failed or timed out, and its gauge is left out). The reading is shared with the gauge
 * that uses it (cachedReading), so it is asked once per scrape.
 */
function trackReading(registry: Registry, name: string, read: () => Promise<unknown>): void {
  let readings = readingsOf.get(registry);
  if (!readings) {
    const all = new Map<string, () => Promise<unknown>>();
    readings = all;
    readingsOf.set(registry, all);
    new Gauge({
      name: 'herald_metrics_reading_up',
      help: 'Whether a scrape-time reading (consumer_lag, retry_backlog) answered in time (1) or failed (0: its gauge is left out of the scrape).',
      labelNames: ['reading'] as const,
      registers: [registry],
      async collect() {
        await Promise.all(
          [...all].map(async ([reading, r]) => {
            this.set({ reading }, await r().then(() => 1, () => 0));
          }),
        );
      },
    });
  }
  readings.set(name, read);
}

/** What to report the lag of: a consumer group and the topics it reads. */
export interface LagSource {
  groupId: string;
  topics: string[];
  /** The bus's reading (Bus.consumerLag). */
  read(groupId: string, topics: string[]): Promise<PartitionLag[]>;
}

/**
 * `herald_consumer_lag_messages{group, topic, partition}`: how many messages of each partition the
 * group has not committed yet, read from the bus at scrape time (cached, with a timeout).
 */
export function registerConsumerLag(metrics: AppMetrics, sources: readonly LagSource[], options: ScrapeReadOptions = {}): void {
  const readings = sources.map((s) => ({ groupId: s.groupId, read: cachedReading(() => s.read(s.groupId, s.topics), options) }));
  trackReading(metrics.registry, 'consumer_lag', () => Promise.all(readings.map((r) => r.read())));
  new Gauge({
    name: 'herald_consumer_lag_messages',
    help: "Messages of a partition not yet committed by the app's consumer group (the partition's end offset minus the committed offset).",
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      await Promise.all(
        readings.map(async ({ groupId, read }) => {
          try {
            for (const p of await read()) this.set({ group: groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
          } catch {
            // Left out of this scrape; herald_metrics_reading_up{reading="consumer_lag"} is 0.
          }
        }),
      );
    },
  });
}

/**
 * `herald_delivery_retry_backlog{state}`: pending deliveries waiting for an attempt, `due` (their
 * time has come: a backlog that stays up means the schedulers cannot keep up) and `scheduled`
 * (waiting for a later retry), read from the store at scrape time (cached, with a timeout).
 */
export function registerRetryBacklog(metrics: AppMetrics, read: () => Promise<RetryBacklog>, options: ScrapeReadOptions = {}): void {
  const reading = cachedReading(read, options);
  trackReading(metrics.registry, 'retry_backlog', reading);
  new Gauge({
    name: 'herald_delivery_retry_backlog',
    help: 'Pending deliveries waiting for an attempt, by state (due: claimable now; scheduled: due later).',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      try {
        const b = await reading();
        this.set({ state: 'due' }, b.due);
        this.set({ state: 'scheduled' }, b.scheduled);
      } catch {
        // Left out of this scrape; herald_metrics_reading_up{reading="retry_backlog"} is 0.
      }
    },
  });
}
