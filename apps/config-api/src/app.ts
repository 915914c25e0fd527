import express, { type Express } from 'express';
import { topicNames, type TopicNames } from '@herald/core';
import type { Bus } from '@herald/bus';
import type { Store } from '@herald/store';
import { readiness, type Logger, type ReadinessCheck } from '@herald/runtime';
import { authenticate } from './auth.ts';
import { eventsRouter } from './events-route.ts';
import { errorHandler, notFound, requireJson } from './problem.ts';

export interface ConfigApiOptions {
  bus: Bus;
  store: Store;
  logger: Logger;
  adminToken: string;
  ingestToken?: string;
  topics?: TopicNames;
  maxBodyBytes?: number;
}

/** The config-api as an Express app (no listening): the composition root decides where it runs. */
export function createConfigApi(options: ConfigApiOptions): Express {
  const topics = options.topics ?? topicNames();
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const checks: ReadinessCheck[] = [
    { name: options.bus.kind === 'kafka' ? 'kafka' : 'bus', check: () => options.bus.ping() },
    { name: options.store.kind === 'mongodb' ? 'mongodb' : 'store', check: () => options.store.ping() },
  ];
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await readiness(checks);
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not ready', checks: r.checks });
  });
  app.use('/v1', authenticate({ admin: options.adminToken, ...(options.ingestToken ? { ingest: options.ingestToken } : {}) }));
  app.use('/v1', requireJson());
  app.use(express.json({ limit: options.maxBodyBytes ?? 1_048_576, strict: false, type: ['application/json', 'application/*+json'] }));
  app.use(eventsRouter({ bus: options.bus, topics }));
  app.use(notFound);
  app.use(errorHandler(options.logger));
  return app;
}
