import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { topicNames } from '@herald/core';
import { createMemoryBus, type Bus, type ConsumedMessage } from '@herald/bus';
import { createMemoryStore, type Store } from '@herald/store';
import { createHeraldClient, type HeraldClient } from '@herald/api-spec';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, TargetGuard, type LookupAll } from '@herald/transport';
import { createConfigApi, type ConfigApiOptions } from '../app.ts';

export const OPERATOR = 'operator-token-0123456789';

/**
 * Tests resolve no names through DNS: `localhost` is 127.0.0.1 and any other name is unknown
 * (a `dns` failure), so that a test of a webhook at `https://x.example.com` sends no packet.
 */
export const offlineLookup: LookupAll = async (hostname) => {
  if (hostname.toLowerCase() === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (tests resolve no names)`), { code: 'ENOTFOUND' });
};

/** The Test button's sender in tests: the real SSRF guard, 127.0.0.1 (only) allow-listed, no DNS. */
export function testSender(allowedTargets = '127.0.0.1'): HttpSender {
  return new HttpSender({ guard: new TargetGuard({ allowedTargets, lookup: offlineLookup }) });
}

/**
 * A config-api on a free loopback port, over the in-memory bus and store; for tests. Its Test
 * button sends through `testSender()` unless `options` names a `sender` (the caller closes that one).
 */
export async function startApiFixture(options: Partial<ConfigApiOptions> = {}) {
  const bus: Bus = createMemoryBus();
  const store: Store = createMemoryStore({ encryptionKey: Buffer.alloc(32, 7) });
  const topics = topicNames('t.');
  const published: ConsumedMessage[] = [];
  await bus.subscribe({ groupId: 'probe', topics: [topics.events, topics.config], handleBatch: async (b) => void published.push(...b.messages) });
  // `sender: undefined` given on purpose = a config-api without a sender.
  const ownSender = 'sender' in options ? undefined : testSender();
  const app = createConfigApi({
    bus, store, logger: silentLogger(), topics, plugins: await loadPlugins(), adminToken: OPERATOR, validateResponses: true,
    testSettings: { timeoutMs: 5_000 }, ...(ownSender ? { sender: ownSender } : {}), ...options,
  });
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = (apiKey: string): HeraldClient => createHeraldClient({ baseUrl, apiKey });
  return {
    baseUrl, bus, store, topics, published, client,
    operator: client(OPERATOR),
    /** Creates an account and returns an admin and a read client of it. */
    async account(name: string, webhooksEnabled = true) {
      const op = client(OPERATOR);
      const { data: acc, error } = await op.POST('/v1/accounts', { body: { name, webhooksEnabled } });
      if (!acc) throw new Error(`createAccount: ${JSON.stringify(error)}`);
      const admin = await op.POST('/v1/api-keys', { body: { account: acc.id, role: 'admin', name: 'admin' } });
      const read = await op.POST('/v1/api-keys', { body: { account: acc.id, role: 'read', name: 'read' } });
      return { id: acc.id, admin: client(admin.data!.key), read: client(read.data!.key), adminKey: admin.data!, readKey: read.data! };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await ownSender?.close();
      await bus.close();
      await store.close();
    },
  };
}
