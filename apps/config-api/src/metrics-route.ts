import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { createApiMetrics, createAppMetrics, NO_OPERATION, type ApiMetrics, type AppMetrics, type Registry } from '@herald/runtime';
import { sendProblem } from './problem.ts';

/** What the config-api counts, and who may read it. */
export interface ConfigApiMetricsOptions {
  /** The registry `GET /metrics` serves. */
  registry: Registry;
  /** Counts each request by operationId and status (createApiMetrics). */
  api: ApiMetrics;
  /**
   * Tokens that may read `/metrics` besides the operator token (HERALD_ADMIN_TOKEN): a scrape-only
   * token (HERALD_METRICS_TOKEN) keeps the operator's out of Prometheus' configuration.
   */
  tokens?: readonly string[];
}

export interface ConfigApiMetrics {
  app: AppMetrics;
  api: ApiMetrics;
}

/** The config-api's metrics, as `herald config-api` serves them at /metrics on its API port (docs/operations.md, "Metrics"). */
export function createConfigApiMetrics(options: { accountLabel?: boolean } = {}): ConfigApiMetrics {
  const app = createAppMetrics('config-api', { accountLabel: options.accountLabel ?? false });
  return { app, api: createApiMetrics(app) };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Counts every request when it is answered: `res.locals.operationId` (set by the OpenAPI
 * router) or `none`, its status, its duration, and `res.locals.account` (the calling key's account).
 */
export function requestMetrics(api: ApiMetrics): RequestHandler {
  return (_req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      api.request((res.locals.operationId as string | undefined) ?? NO_OPERATION, res.statusCode, seconds, res.locals.account as string | undefined);
    });
    next();
  };
}

/**
 * `GET /metrics` (Prometheus text). The API port faces clients, so it asks for
 * `Authorization: Bearer` with the operator token or one of `tokens`: 401 without, 403 with
 * another token (an account's API key included).
 */
export function metricsRoute(registry: Registry, tokens: readonly string[]): express.Router {
  const allowed = tokens.map(digest);
  const router = express.Router();
  router.get('/metrics', (req, res) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) {
      sendProblem(res, 401, 'Send the operator token (or HERALD_METRICS_TOKEN) as Authorization: Bearer <token>', { code: 'HERALD_UNAUTHORIZED' });
      return;
    }
    const given = digest(m[1]!);
    if (!allowed.some((t) => timingSafeEqual(t, given))) {
      sendProblem(res, 403, '/metrics needs the operator token or HERALD_METRICS_TOKEN', { code: 'HERALD_FORBIDDEN' });
      return;
    }
    registry.metrics().then(
      (text) => res.status(200).type(registry.contentType).send(text),
      (err: Error) => sendProblem(res, 500, `metrics could not be collected: ${err.message}`),
    );
  });
  return router;
}
