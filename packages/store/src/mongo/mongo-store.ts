import mongoose from 'mongoose';
import { HeraldError } from '@herald/core';
import type { PayloadSchema, RuleGroup } from '@herald/core';
import type { Store } from '../repositories.ts';
import { WebhookSecrets } from '../internal/webhook-secrets.ts';
import { MongoAccountRepository } from './account/account.repository.ts';
import { MongoAccountRecordRepository } from './account-record/account-record.repository.ts';
import { accountRecordSchema, type AccountRecordDoc } from './account-record/account-record.schema.ts';
import { dedupHeadSchema, dedupTicketSchema, MongoDedupRepository, type DedupHeadDoc, type DedupTicketDoc } from './dedup/dedup.ts';
import { MongoWebhookHealthRepository, webhookHealthSchema, type WebhookHealthDoc } from './webhook-health/webhook-health.ts';
import { accountSchema, type AccountDoc } from './account/account.schema.ts';
import { apiKeyRevocationSchema, type ApiKeyRevocationDoc } from './api-key/api-key-revocation.schema.ts';
import { MongoApiKeyRepository } from './api-key/api-key.repository.ts';
import { apiKeySchema, type ApiKeyDoc } from './api-key/api-key.schema.ts';
import { MongoAttemptRepository } from './attempt/attempt.repository.ts';
import { attemptSchema, type AttemptDoc } from './attempt/attempt.schema.ts';
import { MongoDeliveryRepository } from './delivery/delivery.repository.ts';
import { deliverySchema, type DeliveryDoc } from './delivery/delivery.schema.ts';
import { leaseTicketSchema, type LeaseTicketDoc } from './delivery/lease-ticket.schema.ts';
import { LeaseTickets } from './delivery/lease-tickets.ts';
import { DeliveryQueue } from './delivery/delivery-queue.ts';
import { deliveryQueueSchema, type QueueEntryDoc } from './delivery/delivery-queue.schema.ts';
import { MongoEventTypeRepository } from './event-type/event-type.repository.ts';
import { eventTypeSchema, type EventTypeDoc } from './event-type/event-type.schema.ts';
import { MongoWebhookRepository } from './webhook/webhook.repository.ts';
import { webhookSchema, type WebhookDoc } from './webhook/webhook.schema.ts';

export interface MongoStoreOptions {
  /** A MongoDB connection string; its options (e.g. `serverSelectionTimeoutMS`) apply. */
  uri: string;
  /** The database; default: the one named in the URI (else `test`, as the driver does). */
  dbName?: string;
  /**
   * 32 bytes: webhook secrets and auth settings are stored encrypted with it (AES-256-GCM) and
   * decrypted on read. Absent = stored in clear (development only: the apps require a key in
   * production). Reading values encrypted with another key fails with HERALD_CONFIG_INVALID.
   */
  encryptionKey?: Buffer;
  /**
   * Called with the name of every command the store sends to the server (the driver's command
   * monitoring): what an app's `herald_store_commands_total` metric counts. Absent = not monitored.
   */
  onCommand?: (commandName: string) => void;
}

const connectionOf = new WeakMap<Store, mongoose.Connection>();

/**
 * For tests only: the store's own mongoose connection, to look at the raw documents (e.g. that
 * no secret is stored in clear) with the native driver.
 */
export function internalMongoConnection(store: Store): mongoose.Connection {
  const connection = connectionOf.get(store);
  if (!connection) throw new TypeError('Not a store made by createMongoStore');
  return connection;
}

/**
 * The MongoDB store (mongoose, on its own connection). Works against MongoDB and against
 * mongo-java-server (the tests' server), without transactions, change streams or TTL indexes —
 * none are used. mongo-java-server uses an index only for a filter that is exactly `{_id}` or
 * `{_id: {$in}}` (and for exact unique keys), and scans the collection for any other: so the
 * per-delivery operations read and write by `_id` alone (see delivery/delivery.repository.ts),
 * and changes of lease holder are settled by inserting a ticket (delivery/lease-tickets.ts).
 *
 * Connects at once; `init()` waits for the connection, creates the indexes (nothing is
 * created implicitly: `autoIndex` and `autoCreate` are off) and gives the pending deliveries
 * that have none their `delivery_queue` entry (one read of the pending deliveries). An `encryptionKey` that is not
 * 32 bytes fails here, with HERALD_CONFIG_INVALID, before anything connects.
 */
export function createMongoStore(options: MongoStoreOptions): Store {
  // First, so that a bad key fails before anything connects.
  const secrets = new WebhookSecrets(options.encryptionKey);
  const connection = mongoose.createConnection(options.uri, {
    ...(options.dbName === undefined ? {} : { dbName: options.dbName }),
    autoIndex: false,
    autoCreate: false,
    ...(options.onCommand ? { monitorCommands: true } : {}),
  });
  if (options.onCommand) {
    const onCommand = options.onCommand;
    connection.getClient().on('commandStarted', (e) => onCommand(e.commandName));
  }
  const connected = connection.asPromise().then(() => undefined);
  // init() and ping() report a failed connection; without this handler it would also be an
  // unhandled rejection that takes the process down before anyone asked.
  connected.catch(() => {});

  const deliveries = connection.model<DeliveryDoc>('Delivery', deliverySchema);
  const leaseTickets = connection.model<LeaseTicketDoc>('DeliveryLeaseTicket', leaseTicketSchema);
  const deliveryQueue = connection.model<QueueEntryDoc>('DeliveryQueueEntry', deliveryQueueSchema);
  const attempts = connection.model<AttemptDoc>('Attempt', attemptSchema);
  const webhooks = connection.model<WebhookDoc>('Webhook', webhookSchema);
  const accounts = connection.model<AccountDoc>('Account', accountSchema);
  const apiKeys = connection.model<ApiKeyDoc>('ApiKey', apiKeySchema);
  const apiKeyRevocations = connection.model<ApiKeyRevocationDoc>('ApiKeyRevocation', apiKeyRevocationSchema);
  const eventTypes = connection.model<EventTypeDoc>('EventType', eventTypeSchema);
  const schemas = connection.model<AccountRecordDoc>('PayloadSchema', accountRecordSchema('schemas'));
  const ruleGroups = connection.model<AccountRecordDoc>('RuleGroup', accountRecordSchema('rule_groups'));
  // The old `dedup_claims` collection is no longer used (see dedup/dedup.ts).
  const dedupTickets = connection.model<DedupTicketDoc>('DedupTicket', dedupTicketSchema);
  const dedupHeads = connection.model<DedupHeadDoc>('DedupHead', dedupHeadSchema);
  const webhookHealth = connection.model<WebhookHealthDoc>('WebhookHealth', webhookHealthSchema);
  const models = [webhookHealth, deliveries, leaseTickets, deliveryQueue, attempts, webhooks, accounts, apiKeys, apiKeyRevocations, eventTypes, schemas, ruleGroups, dedupTickets, dedupHeads];

  async function reachable(): Promise<void> {
    try {
      await connected;
    } catch (err) {
      throw new HeraldError('HERALD_UNAVAILABLE', `MongoDB is unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  const attemptRepository = new MongoAttemptRepository(attempts);
  const deliveryRepository = new MongoDeliveryRepository(deliveries, new LeaseTickets(leaseTickets), new DeliveryQueue(deliveryQueue), attemptRepository);
  const store: Store = {
    kind: 'mongodb',
    deliveries: deliveryRepository,
    attempts: attemptRepository,
    webhooks: new MongoWebhookRepository(webhooks, secrets),
    accounts: new MongoAccountRepository(accounts),
    apiKeys: new MongoApiKeyRepository(apiKeys, apiKeyRevocations),
    eventTypes: new MongoEventTypeRepository(eventTypes),
    schemas: new MongoAccountRecordRepository<PayloadSchema>(schemas, 'Schema'),
    ruleGroups: new MongoAccountRecordRepository<RuleGroup>(ruleGroups, 'Rule group'),
    dedup: new MongoDedupRepository(dedupTickets, dedupHeads),
    webhookHealth: new MongoWebhookHealthRepository(webhookHealth),

    async init() {
      await reachable();
      for (const model of models) await model.createIndexes();
      // Pending deliveries stored without a queue entry (before the queue existed) get one.
      await deliveryRepository.backfillQueue();
    },

    async ping() {
      await reachable();
      try {
        await connection.db!.command({ ping: 1 });
      } catch (err) {
        throw new HeraldError('HERALD_UNAVAILABLE', `MongoDB does not answer: ${(err as Error).message}`, { cause: err });
      }
    },

    async close() {
      await connection.close();
    },
  };
  connectionOf.set(store, connection);
  return store;
}
