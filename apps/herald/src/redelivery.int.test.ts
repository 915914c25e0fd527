import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { topicNames } from '@herald/core';
import { createKafkaBus } from '@herald/bus';
import { createMongoStore } from '@herald/store';
import { loadPlugins, silentLogger } from '@herald/runtime';
import { HttpSender, TargetGuard } from '@herald/transport';
import { createConfigApi } from '@herald/config-api';
import { createMatcher } from '@herald/matcher';
import { createDeliveryService } from '@herald/delivery';
import { kafkaBrokers, mongoUri, uniqueName } from '../../../test/services.ts';
import { redeliveryScenario } from './redelivery.scenario.ts';

const OPERATOR = 'redelivery-int-operator-token-0123456789';

// On Kafka and MongoDB: resends and replays go through the MongoDB store's fenced requeue, and
// the engine's scheduler picks them up from there.
redeliveryScenario(
  'Kafka and MongoDB',
  async () => {
    const prefix = `${uniqueName('redelivery')}.`;
    const topics = topicNames(prefix);
    const dbName = uniqueName('herald-redelivery').replace(/[^a-zA-Z0-9_-]/g, '_');
    const bus = createKafkaBus({ brokers: kafkaBrokers(), clientId: 'herald-redelivery' });
    const store = createMongoStore({ uri: mongoUri(), dbName });
    await store.init();
    await bus.ensureTopics(Object.values(topics).map((topic) => ({ topic, partitions: 2 })));
    const plugins = await loadPlugins();
    // The SSRF guard as deployed, with only the receiver's address allowed; one sender for both apps.
    const sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
    const matcher = createMatcher({ bus, store, logger: silentLogger(), topics, groupId: `${prefix}matcher`, cacheTtlMs: 0 });
    const delivery = createDeliveryService({ bus, store, sender, plugins, logger: silentLogger(), topics, groupId: `${prefix}delivery`, pollIntervalMs: 100 });
    await matcher.start();
    await delivery.start();
    const app = createConfigApi({ bus, store, logger: silentLogger(), topics, plugins, adminToken: OPERATOR, sender, testSettings: { timeoutMs: 5_000 } });
    const server: Server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    return {
      apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      operatorToken: OPERATOR,
      async stop() {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await matcher.stop();
        await delivery.stop();
        await sender.close();
        await bus.close();
        await store.close();
      },
    };
  },
  90_000,
);
