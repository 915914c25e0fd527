import { Counter } from 'prom-client';
import { accountLabels, withAccount, type AppMetrics } from './metrics.ts';

/**
 * What the matcher made of an event: `matched` (one delivery job or more), `no_match` (no
 * webhook or rule wanted it), `archived_type` (its event type is archived: matched to nothing),
 * `dlq` (sent to herald.events.dlq: not a valid event, of an unknown account or of a type not in
 * the event type catalog, or, in reject mode, data that fails its type's schema).
 */
export type MatcherEventResult = 'matched' | 'no_match' | 'archived_type' | 'dlq';

/** The matcher's metrics (see docs/operations.md, "Metrics"). */
export interface MatcherMetrics {
  /** One event handled (its batch's output acknowledged by Kafka); `jobs` = the delivery jobs it produced. */
  event(result: MatcherEventResult, account: string | undefined, jobs?: number): void;
}

export function createMatcherMetrics(metrics: AppMetrics): MatcherMetrics {
  const events = new Counter({
    name: 'herald_matcher_events_total',
    help: 'Events read by the matcher, by result (matched, no_match, archived_type, dlq).',
    labelNames: withAccount(metrics, ['result']),
    registers: [metrics.registry],
  });
  const jobs = new Counter({
    name: 'herald_matcher_jobs_total',
    help: 'Delivery jobs the matcher produced to herald.deliveries (one per event, webhook and schema).',
    registers: [metrics.registry],
  });
  return {
    event(result, account, produced = 0) {
      events.inc(accountLabels(metrics, { result }, account));
      if (produced > 0) jobs.inc(produced);
    },
  };
}
