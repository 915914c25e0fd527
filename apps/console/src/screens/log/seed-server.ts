/**
 * For the console's component tests only (Node side, for the global setup): the test config-api
 * runs on a memory bus without a delivery engine, so nothing but the Test button writes the
 * delivery log, and test deliveries are never resent or replayed. This small loopback server
 * writes deliveries and attempts into the fixture's store — the way the delivery engine writes
 * them (and as apps/config-api/src/deliveries.test.ts seeds them) — so that a jsdom test can
 * arrange ordinary deliveries (`seedDeliveries` in ./seed.ts) and read them through the real API.
 *
 * Wire it in src/test-api.global.ts:
 *   const seeder = await startDeliverySeeder(api.store);
 *   project.provide('consoleSeed', { url: seeder.url });
 *   return async () => { await seeder.close(); await api.close(); };
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { startApiFixture } from '@herald/config-api/testing';

type Store = Awaited<ReturnType<typeof startApiFixture>>['store'];
type NewDelivery = Parameters<Store['deliveries']['insertMany']>[0][number];
type StoredAttempt = Parameters<Store['attempts']['insertMany']>[0][number];

/** What ./seed.ts posts: the records with their dates as ISO strings. */
export interface SeedBody {
  deliveries: Array<Omit<NewDelivery, 'createdAt' | 'nextAttemptAt'> & { createdAt?: string; nextAttemptAt: string | null }>;
  attempts: Array<Omit<StoredAttempt, 'startedAt'> & { startedAt: string }>;
}

export async function startDeliverySeeder(store: Store): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/deliveries') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SeedBody;
          const deliveries: NewDelivery[] = body.deliveries.map(({ createdAt, nextAttemptAt, ...d }) => ({
            ...d,
            nextAttemptAt: nextAttemptAt === null ? null : new Date(nextAttemptAt),
            ...(createdAt ? { createdAt: new Date(createdAt) } : {}),
          }));
          const attempts: StoredAttempt[] = body.attempts.map((a) => ({ ...a, startedAt: new Date(a.startedAt) }));
          const { inserted } = await store.deliveries.insertMany(deliveries);
          if (attempts.length > 0) await store.attempts.insertMany(attempts);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ inserted }));
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(String((err as Error).message));
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
