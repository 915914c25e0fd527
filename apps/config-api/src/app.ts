import express, { type Express } from 'express';
import { topicNames, type FieldError, type HeraldError, type TopicNames, type WebhookAuth } from '@herald/core';
import type { Bus } from '@herald/bus';
import type { Store } from '@herald/store';
import { loadSpec } from '@herald/api-spec';
import type { Logger, ReadinessCheck } from '@herald/runtime';
import type { HttpSender, PluginRegistry } from '@herald/transport';
import { createAuthenticator } from './auth.ts';
import { errorHandler, notFound } from './problem.ts';
import { openApiRouter } from './openapi-router.ts';
import { metricsRoute, requestMetrics, type ConfigApiMetricsOptions } from './metrics-route.ts';
import type { ApiDeps } from './handlers/context.ts';
import { accountHandlers } from './handlers/accounts.ts';
import { apiKeyHandlers } from './handlers/api-keys.ts';
import { eventTypeHandlers } from './handlers/event-types.ts';
import { webhookHandlers } from './handlers/webhooks.ts';
import { schemaHandlers } from './handlers/schemas.ts';
import { ruleGroupHandlers } from './handlers/rule-groups.ts';
import { eventHandlers } from './handlers/events.ts';
import { deliveryHandlers } from './handlers/deliveries.ts';
import { webhookTestHandlers } from './handlers/webhook-test.ts';
import { redeliveryHandlers } from './handlers/redelivery.ts';
import { callerHandlers, metaHandlers } from './handlers/meta.ts';

/**
 * The spec describes `auth` as one of several forms, so a bad `auth` gets an error from each
 * form. The plugin of the given `type` knows better: its own config schema names the field.
 */
function refineAuthErrors(plugins: PluginRegistry, body: unknown, errors: FieldError[]): FieldError[] {
  const auth = (body as { auth?: unknown } | null)?.auth;
  if (!errors.some((e) => e.field.startsWith('/auth'))) return errors;
  const rest = errors.filter((e) => !e.field.startsWith('/auth'));
  if (typeof auth !== 'object' || auth === null || typeof (auth as { type?: unknown }).type !== 'string') {
    return [...rest, { field: '/auth/type', message: 'is required: the name of a transport plugin (none, basic, bearer, headers, ...)' }];
  }
  try {
    plugins.validateAuth(auth as WebhookAuth);
    return [...rest, ...errors.filter((e) => e.field.startsWith('/auth'))];
  } catch (err) {
    const e = err as HeraldError;
    return [...rest, ...(e.errors.length > 0 ? e.errors : [{ field: '/auth/type', message: e.message }])];
  }
}

export interface ConfigApiOptions {
  bus: Bus;
  store: Store;
  logger: Logger;
  plugins: PluginRegistry;
  adminToken: string;
  ingestToken?: string;
  topics?: TopicNames;
  maxBodyBytes?: number;
  /** Data that fails its event type's schema: refuse it (400) or accept it flagged. Default reject. */
  eventValidation?: 'reject' | 'flag';
  /** Check every answer against openapi.yaml (a mismatch is a 500). Default: on unless NODE_ENV=production. */
  validateResponses?: boolean;
  /**
   * Sends the Test button's request (F6): give one with the SSRF guard (`TargetGuard`) and the
   * operator's allow-list, as the delivery app has. The caller owns it (closes it on stop).
   * Without one, `POST /v1/webhooks/{id}/test` answers 503.
   */
  sender?: HttpSender;
  /** The Test button's attempt timeout and response body cap. Default 15 s and 64 KiB, as delivery. */
  testSettings?: { timeoutMs?: number; maxResponseBytes?: number };
  /** The web console's built files (apps/console/dist), served at `/console` (F19). Absent = no console. */
  consoleDir?: string;
  /**
   * Prometheus metrics: requests counted by operationId and status, and `GET /metrics` (not in
   * openapi.yaml), for the operator token or `metrics.tokens`. Absent = neither.
   */
  metrics?: ConfigApiMetricsOptions;
}

/** The console's pages run only their own files, talk only to this API, and cannot be framed elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

function consoleRoutes(dir: string): express.Router {
  const router = express.Router();
  router.use('/console', (_req, res, next) => {
    res.set({
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    next();
  });
  router.get('/console', (req, res, next) => (req.path === '/console' && !req.originalUrl.startsWith('/console/') ? res.redirect(301, '/console/') : next()));
  // index.html must not be cached (it names the hashed assets); the assets may be, for a year.
  router.use(
    '/console',
    express.static(dir, {
      index: 'index.html',
      setHeaders: (res, file) => res.set('cache-control', file.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
    }),
  );
  return router;
}

/**
 * The config-api as an Express app (no listening). Every route comes from openapi.yaml: the
 * router refuses to start if an operation has no handler, validates parameters and bodies
 * against the spec, and checks answers against it.
 */
export function createConfigApi(options: ConfigApiOptions): Express {
  const topics = options.topics ?? topicNames();
  const spec = loadSpec();
  const deps: ApiDeps = {
    bus: options.bus,
    store: options.store,
    logger: options.logger,
    topics,
    plugins: options.plugins,
    eventValidation: options.eventValidation ?? 'reject',
    ...(options.sender ? { sender: options.sender } : {}),
    testSettings: {
      timeoutMs: options.testSettings?.timeoutMs ?? 15_000,
      maxResponseBytes: options.testSettings?.maxResponseBytes ?? 65_536,
      retryPolicy: { schedule: [], jitter: 0 },
    },
  };
  const checks: ReadinessCheck[] = [
    { name: options.bus.kind === 'kafka' ? 'kafka' : 'bus', check: () => options.bus.ping() },
    { name: options.store.kind === 'mongodb' ? 'mongodb' : 'store', check: () => options.store.ping() },
  ];
  const { router } = openApiRouter({
    spec,
    logger: options.logger,
    validateResponses: options.validateResponses ?? process.env.NODE_ENV !== 'production',
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    authenticate: createAuthenticator({
      store: options.store,
      adminToken: options.adminToken,
      logger: options.logger,
      ...(options.ingestToken ? { ingestToken: options.ingestToken } : {}),
    }),
    refineBodyErrors: (operationId, body, errors) =>
      operationId === 'createWebhook' || operationId === 'updateWebhook' ? refineAuthErrors(options.plugins, body, errors) : errors,
    handlers: {
      ...metaHandlers(spec, checks),
      ...callerHandlers(deps),
      ...accountHandlers(deps),
      ...apiKeyHandlers(deps),
      ...eventTypeHandlers(deps),
      ...webhookHandlers(deps),
      ...schemaHandlers(deps),
      ...ruleGroupHandlers(deps),
      ...eventHandlers(deps),
      ...deliveryHandlers(deps),
      ...webhookTestHandlers(deps),
      ...redeliveryHandlers(deps),
    },
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (options.metrics) {
    app.use(requestMetrics(options.metrics.api));
    app.use(metricsRoute(options.metrics.registry, [options.adminToken, ...(options.metrics.tokens ?? [])]));
  }
  if (options.consoleDir) app.use(consoleRoutes(options.consoleDir));
  // Each operation that takes a body reads it itself (request-body.ts): only `application/json`,
  // and its 413, 415 and 400 are answers of that operation, checked against the spec as any other.
  app.use(router);
  app.use(notFound);
  app.use(errorHandler(options.logger));
  return app;
}
