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
  InsertLease,
  DeliveryRepository,
  EventTypeListQuery,
  EventTypePatch,
  EventTypeRepository,
  IdPageQuery,
  NewDelivery,
  RequeueQuery,
  SchemaRepository,
  RuleGroupRepository,
  DedupRepository,
  Store,
  WebhookPageQuery,
  WebhookRepository,
  WebhookHealth,
  WebhookHealthRepository,
} from './repositories.ts';
export { createMemoryStore, type MemoryStoreOptions } from './memory/memory-store.ts';
export { createMongoStore, type MongoStoreOptions } from './mongo/mongo-store.ts';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
