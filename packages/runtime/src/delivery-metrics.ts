import { Counter, Histogram } from 'prom-client';
import type { AttemptErrorClass, DeliveryStatus } from '@herald/core';
import { accountLabels, withAccount, type AppMetrics } from './metrics.ts';

/** Buckets of one attempt's duration (connect to last response byte), in seconds: up to the 15 s default timeout and past it. */
export const ATTEMPT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];
/** Buckets of the end-to-end latency (event `occurredAt` to its 2xx), in seconds: from a first attempt (ms) to a retry hours later. */
export const E2E_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];
/** Buckets of the records in one bulk write of the delivery writer (its default most is 500). */
export const STORE_BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/** The final statuses counted by `herald_deliveries_total` (a delivery handed back or scheduled for a retry is still pending). */
export type FinalOutcome = Exclude<DeliveryStatus, 'pending'>;

/** The delivery app's metrics (see docs/operations.md, "Metrics"). */
export interface DeliveryMetrics {
  /** A delivery reached a final status (recorded in the store). */
  deliveryEnded(outcome: FinalOutcome, account: string): void;
  /** One attempt was sent (or failed before it could be): its error class (none = a 2xx) and how long it took, in ms. */
  attemptMade(errorClass: AttemptErrorClass | undefined, durationMs: number, account: string): void;
  /** A delivery succeeded: the time from its event's `occurredAt` (ISO 8601) to now. */
  delivered(occurredAt: string, now?: number): void;
  /** The delivery writer flushed one bulk write of `records` deliveries (with their attempts). */
  storeBatch(records: number): void;
}

export function createDeliveryMetrics(metrics: AppMetrics): DeliveryMetrics {
  const registers = [metrics.registry];
  const deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Deliveries that reached a final status, by outcome (succeeded, failed, cancelled, suppressed).',
    labelNames: withAccount(metrics, ['outcome']),
    registers,
  });
  const attempts = new Counter({
    name: 'herald_delivery_attempts_total',
    help: 'Delivery attempts, by error class (none = the endpoint answered 2xx; timeout, connection_refused, http_status, ssrf_blocked, ...).',
    labelNames: withAccount(metrics, ['error_class']),
    registers,
  });
  const duration = new Histogram({
    name: 'herald_delivery_attempt_duration_seconds',
    help: 'Duration of one delivery attempt (connect to last response byte), by result (success, failure).',
    labelNames: ['result'] as const,
    buckets: ATTEMPT_DURATION_BUCKETS,
    registers,
  });
  const latency = new Histogram({
    name: 'herald_delivery_e2e_latency_seconds',
    help: "Time from an event's occurredAt to its delivery's 2xx (first deliveries and their retries; resends and replays not counted).",
    buckets: E2E_LATENCY_BUCKETS,
    registers,
  });
  const batches = new Histogram({
    name: 'herald_delivery_store_batch_records',
    help: 'Deliveries written in one bulk write of the delivery writer (each with its first attempt).',
    buckets: STORE_BATCH_BUCKETS,
    registers,
  });
  return {
    deliveryEnded: (outcome, account) => deliveries.inc(accountLabels(metrics, { outcome }, account)),
    attemptMade(errorClass, durationMs, account) {
      attempts.inc(accountLabels(metrics, { error_class: errorClass ?? 'none' }, account));
      duration.observe({ result: errorClass === undefined ? 'success' : 'failure' }, Math.max(0, durationMs) / 1000);
    },
    delivered(occurredAt, now = Date.now()) {
      const at = Date.parse(occurredAt);
      if (Number.isFinite(at)) latency.observe(Math.max(0, now - at) / 1000);
    },
    storeBatch: (records) => batches.observe(records),
  };
}
