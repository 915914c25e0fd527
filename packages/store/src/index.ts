export type { Account, ApiKey, ApiKeyRole, EventType } from './entities.ts';
export type {
  AccountId,
  AccountPatch,
  AccountRecord,
  AccountRecordRepository,
  AccountRepository,
  ApiKeyRepository,
  AttemptRepository,
  DeliveryListQuery,
  DeliveryOutcome,
  DeliveryRepository,
  EventTypeListQuery,
  EventTypePatch,
  EventTypeRepository,
  IdPageQuery,
  NewDelivery,
  SchemaRepository,
  RuleGroupRepository,
  DedupRepository,
  Store,
  WebhookPageQuery,
  WebhookRepository,
} from './repositories.ts';
export { createMemoryStore, type MemoryStoreOptions } from './memory/memory-store.ts';
export { createMongoStore, type MongoStoreOptions } from './mongo/mongo-store.ts';
