import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

/**
 * Answers `GET /healthz` (the process is alive) and `GET /readyz` (each named check passes,
 * e.g. Kafka and MongoDB are reachable): 200 or 503 with a JSON body naming each check.
 */
export async function readiness(checks: readonly ReadinessCheck[], timeoutMs = 2_000): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results: Record<string, string> = {};
  await Promise.all(
    checks.map(async (c) => {
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
        ]);
        results[c.name] = 'ok';
      } catch (err) {
        results[c.name] = `failing: ${(err as Error).message}`;
      }
    }),
  );
  return { ready: Object.values(results).every((v) => v === 'ok'), checks: results };
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** `GET /healthz`, `GET /readyz`, and `GET /metrics` (Prometheus text) when a registry is given. */
export async function startHealthServer(options: { port: number; host: string; checks: readonly ReadinessCheck[]; metrics?: Registry }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method === 'GET' && path === '/readyz') {
      void readiness(options.checks).then((r) => {
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: r.ready ? 'ready' : 'not ready', checks: r.checks }));
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics' && options.metrics) {
      const registry = options.metrics;
      void registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${err.message}`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
