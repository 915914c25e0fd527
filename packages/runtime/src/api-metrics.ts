import { Counter, Histogram } from 'prom-client';
import { accountLabels, withAccount, type AppMetrics } from './metrics.ts';

/** Buckets of an API request's duration, in seconds. */
export const API_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The operation label of a request that matched no operation of openapi.yaml (a 404, the console's files, /metrics). */
export const NO_OPERATION = 'none';

/** The config-api's metrics (see docs/operations.md, "Metrics"). */
export interface ApiMetrics {
  /**
   * One request answered: its OpenAPI operationId (or NO_OPERATION), HTTP status, duration in
   * seconds, and the account of the API key that called (undefined for the operator's tokens).
   */
  request(operation: string, status: number, seconds: number, account: string | undefined): void;
}

export function createApiMetrics(metrics: AppMetrics): ApiMetrics {
  const requests = new Counter({
    name: 'herald_api_requests_total',
    help: 'API requests answered, by OpenAPI operationId and HTTP status.',
    labelNames: withAccount(metrics, ['operation', 'status']),
    registers: [metrics.registry],
  });
  const duration = new Histogram({
    name: 'herald_api_request_duration_seconds',
    help: 'Time to answer an API request, by OpenAPI operationId.',
    labelNames: ['operation'] as const,
    buckets: API_DURATION_BUCKETS,
    registers: [metrics.registry],
  });
  return {
    request(operation, status, seconds, account) {
      requests.inc(accountLabels(metrics, { operation, status: String(status) }, account));
      duration.observe({ operation }, seconds);
    },
  };
}
