import mongoose from 'mongoose';
import { describe } from 'vitest';
import { mongoUri, uniqueName } from '../../../test/services.ts';
import { deliveryBacklogScenario } from './delivery-backlog.scenario.ts';
import { createMongoStore } from './mongo/mongo-store.ts';

describe('MongoDB store: delivery backlog', () => {
  deliveryBacklogScenario(async () => {
    const dbName = uniqueName('herald-backlog');
    return {
      store: createMongoStore({ uri: mongoUri(), dbName }),
      cleanup: async () => {
        const c = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
        await c.dropDatabase();
        await c.close();
      },
    };
  });
});
