import { describe } from 'vitest';
import { deliveryBacklogScenario } from './delivery-backlog.scenario.ts';
import { createMemoryStore } from './memory/memory-store.ts';

describe('memory store: delivery backlog', () => {
  deliveryBacklogScenario(async () => ({ store: createMemoryStore(), cleanup: async () => undefined }));
});
