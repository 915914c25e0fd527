import type { Store } from '../repositories.ts';
import { MemoryAttemptRepository } from './attempt.repository.ts';
import { MemoryDeliveryRepository } from './delivery.repository.ts';
import { MemoryWebhookRepository } from './webhook.repository.ts';

/**
 * The in-process store: the same contract as the MongoDB store, kept in plain maps. For unit
 * tests and embedded mode. Values are deep-copied in and out, so callers never share state
 * with it. Nothing survives the process.
 */
export function createMemoryStore(): Store {
  return {
    kind: 'memory',
    deliveries: new MemoryDeliveryRepository(),
    attempts: new MemoryAttemptRepository(),
    webhooks: new MemoryWebhookRepository(),
    async init() {},
    async ping() {},
    async close() {},
  };
}
