import mongoose from 'mongoose';
import { HeraldError } from '@herald/core';
import type { Store } from '../repositories.ts';
import { MongoAttemptRepository } from './attempt/attempt.repository.ts';
import { attemptSchema, type AttemptDoc } from './attempt/attempt.schema.ts';
import { MongoDeliveryRepository } from './delivery/delivery.repository.ts';
import { deliverySchema, type DeliveryDoc } from './delivery/delivery.schema.ts';
import { leaseTicketSchema, type LeaseTicketDoc } from './delivery/lease-ticket.schema.ts';
import { LeaseTickets } from './delivery/lease-tickets.ts';
import { MongoWebhookRepository } from './webhook/webhook.repository.ts';
import { webhookSchema, type WebhookDoc } from './webhook/webhook.schema.ts';

export interface MongoStoreOptions {
  /** A MongoDB connection string; its options (e.g. `serverSelectionTimeoutMS`) apply. */
  uri: string;
  /** The database; default: the one named in the URI (else `test`, as the driver does). */
  dbName?: string;
}

/**
 * The MongoDB store (mongoose, on its own connection). Works against MongoDB and against
 * FerretDB v1, which has no transactions, change streams or TTL indexes — none are used —
 * and whose updates are not atomic (see delivery/lease-tickets.ts for how claims cope).
 *
 * Connects at once; `init()` waits for the connection and creates the indexes (nothing is
 * created implicitly: `autoIndex` and `autoCreate` are off).
 */
export function createMongoStore(options: MongoStoreOptions): Store {
  const connection = mongoose.createConnection(options.uri, {
    ...(options.dbName === undefined ? {} : { dbName: options.dbName }),
    autoIndex: false,
    autoCreate: false,
  });
  const connected = connection.asPromise().then(() => undefined);
  // init() and ping() report a failed connection; without this handler it would also be an
  // unhandled rejection that takes the process down before anyone asked.
  connected.catch(() => {});

  const deliveries = connection.model<DeliveryDoc>('Delivery', deliverySchema);
  const leaseTickets = connection.model<LeaseTicketDoc>('DeliveryLeaseTicket', leaseTicketSchema);
  const attempts = connection.model<AttemptDoc>('Attempt', attemptSchema);
  const webhooks = connection.model<WebhookDoc>('Webhook', webhookSchema);

  async function reachable(): Promise<void> {
    try {
      await connected;
    } catch (err) {
      throw new HeraldError('HERALD_UNAVAILABLE', `MongoDB is unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    kind: 'mongodb',
    deliveries: new MongoDeliveryRepository(deliveries, new LeaseTickets(leaseTickets)),
    attempts: new MongoAttemptRepository(attempts),
    webhooks: new MongoWebhookRepository(webhooks),

    async init() {
      await reachable();
      for (const model of [deliveries, leaseTickets, attempts, webhooks]) await model.createIndexes();
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
}
