import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envVars, parseEnv } from './env.ts';
import { readiness, startHealthServer } from './health-server.ts';

describe('parseEnv', () => {
  const schema = z.object({ KAFKA_BROKERS: envVars.brokers(), PORT: envVars.port(8080), MONGODB_URI: envVars.mongoUri() });

  it('parses and applies defaults', () => {
    expect(parseEnv(schema, { KAFKA_BROKERS: 'a:1, b:2', MONGODB_URI: 'mongodb://x/' })).toEqual({
      KAFKA_BROKERS: ['a:1', 'b:2'],
      PORT: 8080,
      MONGODB_URI: 'mongodb://x/',
    });
  });

  it('names each bad or missing variable', () => {
    expect(() => parseEnv(schema, { KAFKA_BROKERS: 'nohost', PORT: '99999' })).toThrow(
      /KAFKA_BROKERS: must be a comma-separated list of host:port.*PORT: .*MONGODB_URI: is required/,
    );
  });
});

describe('health', () => {
  it('reports each check and is not ready when one fails or hangs', async () => {
    const r = await readiness(
      [
        { name: 'kafka', check: async () => undefined },
        { name: 'mongodb', check: async () => Promise.reject(new Error('connection refused')) },
        { name: 'slow', check: () => new Promise(() => undefined) },
      ],
      100,
    );
    expect(r).toEqual({ ready: false, checks: { kafka: 'ok', mongodb: 'failing: connection refused', slow: 'failing: no answer within 100 ms' } });
  });

  it('serves /healthz and /readyz', async () => {
    let up = true;
    const s = await startHealthServer({ port: 0, host: '127.0.0.1', checks: [{ name: 'kafka', check: async () => { if (!up) throw new Error('down'); } }] });
    try {
      const base = `http://127.0.0.1:${s.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      up = false;
      const r = await fetch(`${base}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: 'not ready', checks: { kafka: 'failing: down' } });
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
