import type { PayloadSchema, RuleGroup } from '@herald/core';
import type { Store } from '../repositories.ts';
import { WebhookSecrets } from '../internal/webhook-secrets.ts';
import { MemoryAccountRepository } from './account.repository.ts';
import { MemoryAccountRecordRepository } from './account-record.repository.ts';
import { MemoryDedupRepository } from './dedup.repository.ts';
import { MemoryWebhookHealthRepository } from './webhook-health.repository.ts';
import { MemoryApiKeyRepository } from './api-key.repository.ts';
import { MemoryAttemptRepository } from './attempt.repository.ts';
import { MemoryDeliveryRepository } from './delivery.repository.ts';
import { MemoryEventTypeRepository } from './event-type.repository.ts';
import { MemoryWebhookRepository, type StoredWebhook } from './webhook.repository.ts';

export interface MemoryStoreOptions {
  /**
   * 32 bytes: webhook secrets and auth settings are kept encrypted with it (AES-256-GCM), as the
   * MongoDB store keeps them. Absent = kept in clear.
   */
  encryptionKey?: Buffer;
}

/** The data of one memory store, which `internalReopenMemoryStore` shares with another. */
interface MemoryData {
  deliveries: MemoryDeliveryRepository;
  attempts: MemoryAttemptRepository;
  accounts: MemoryAccountRepository;
  apiKeys: MemoryApiKeyRepository;
  eventTypes: MemoryEventTypeRepository;
  webhooks: Map<string, StoredWebhook>;
  schemas: MemoryAccountRecordRepository<PayloadSchema>;
  ruleGroups: MemoryAccountRecordRepository<RuleGroup>;
  dedup: MemoryDedupRepository;
  webhookHealth: MemoryWebhookHealthRepository;
}

const dataOf = new WeakMap<Store, MemoryData>();

/**
 * The in-process store: the same contract as the MongoDB store, kept in plain maps. For unit
 * tests and embedded mode. Values are deep-copied in and out, so callers never share state
 * with it. Nothing survives the process.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const attempts = new MemoryAttemptRepository();
  const data: MemoryData = {
    deliveries: new MemoryDeliveryRepository(attempts),
    attempts,
    accounts: new MemoryAccountRepository(),
    apiKeys: new MemoryApiKeyRepository(),
    eventTypes: new MemoryEventTypeRepository(),
    webhooks: new Map(),
    schemas: new MemoryAccountRecordRepository<PayloadSchema>('Schema'),
    ruleGroups: new MemoryAccountRecordRepository<RuleGroup>('Rule group'),
    dedup: new MemoryDedupRepository(),
    webhookHealth: new MemoryWebhookHealthRepository(),
  };
  return storeOver(data, options);
}

/**
 * For tests only: a second store over the same data as `store` (a store made by
 * `createMemoryStore`), with other options — what reopening a database with another
 * encryption key is for the MongoDB store.
 */
export function internalReopenMemoryStore(store: Store, options: MemoryStoreOptions = {}): Store {
  const data = dataOf.get(store);
  if (!data) throw new TypeError('Not a store made by createMemoryStore');
  return storeOver(data, options);
}

/** For tests only: the webhook `id` of `account` as `store` keeps it (secrets sealed), or undefined. */
export function internalStoredWebhook(store: Store, account: string, id: string): StoredWebhook | undefined {
  const data = dataOf.get(store);
  if (!data) throw new TypeError('Not a store made by createMemoryStore');
  const stored = data.webhooks.get(id);
  return stored && stored.webhook.account === account ? stored : undefined;
}

function storeOver(data: MemoryData, options: MemoryStoreOptions): Store {
  const store: Store = {
    kind: 'memory',
    deliveries: data.deliveries,
    attempts: data.attempts,
    webhooks: new MemoryWebhookRepository(new WebhookSecrets(options.encryptionKey), data.webhooks),
    accounts: data.accounts,
    apiKeys: data.apiKeys,
    eventTypes: data.eventTypes,
    schemas: data.schemas,
    ruleGroups: data.ruleGroups,
    dedup: data.dedup,
    webhookHealth: data.webhookHealth,
    async init() {},
    async ping() {},
    async close() {},
  };
  dataOf.set(store, data);
  return store;
}
