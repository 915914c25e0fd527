import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeraldError } from '@herald/core';
import { mongoUri, uniqueName } from '../../../test/services.ts';
import type { Store } from './repositories.ts';
import { createMongoStore } from './mongo/mongo-store.ts';
import { storeContract } from './store.contract.ts';

async function dropDatabase(dbName: string): Promise<void> {
  const connection = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

storeContract('mongodb', async () => {
  const dbName = uniqueName('herald-store');
  return { store: createMongoStore({ uri: mongoUri(), dbName }), cleanup: () => dropDatabase(dbName) };
});

describe('MongoDB store specifics', () => {
  const T0 = new Date('2031-03-01T10:00:00.000Z');
  let dbName: string;
  let store: Store;
  let db: mongoose.Connection;

  beforeEach(async () => {
    dbName = uniqueName('herald-store');
    store = createMongoStore({ uri: mongoUri(), dbName });
    await store.init();
    db = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
  });

  afterEach(async () => {
    await store.close();
    await db.dropDatabase();
    await db.close();
  });

  async function indexKeys(collection: string): Promise<unknown[]> {
    const indexes = await db.collection(collection).listIndexes().toArray();
    return indexes.map((ix) => (ix['unique'] ? { key: ix['key'], unique: true } : ix['key']));
  }

  async function insertDelivery(id: string): Promise<void> {
    await store.deliveries.insertMany([
      {
        id,
        account: 'acc_a',
        webhookId: 'wh_1',
        schemaId: null,
        eventId: `evt_${id}`,
        eventType: 'ticket.updated',
        entity: { type: 'ticket', id: '1' },
        event: {
          id: `evt_${id}`,
          type: 'ticket.updated',
          account: 'acc_a',
          entity: { type: 'ticket', id: '1' },
          action: 'update',
          occurredAt: '2031-03-01T09:00:00Z',
          data: {},
        },
        status: 'pending',
        nextAttemptAt: T0,
      },
    ]);
  }

  it('creates the indexes the queries rely on in init(), idempotently', async () => {
    await store.init();
    expect(await indexKeys('deliveries')).toEqual(
      expect.arrayContaining([
        { _id: 1 },
        { status: 1, nextAttemptAt: 1 },
        { account: 1, createdAt: -1, _id: -1 },
        { account: 1, webhookId: 1, createdAt: -1 },
      ]),
    );
    expect(await indexKeys('attempts')).toEqual(
      expect.arrayContaining([{ key: { deliveryId: 1, number: 1 }, unique: true }, { account: 1, deliveryId: 1 }]),
    );
    expect(await indexKeys('webhooks')).toEqual(expect.arrayContaining([{ account: 1 }]));
    expect(await indexKeys('delivery_lease_tickets')).toEqual(expect.arrayContaining([{ deliveryId: 1, gen: 1 }]));
  });

  it('stores plain documents: the delivery id as _id, no __v, the lease owner beside the lease', async () => {
    await insertDelivery('dlv_1');
    await store.deliveries.claim('acc_a', 'dlv_1', 'owner-1', 1000, T0);
    const doc = await db.collection('deliveries').findOne({ _id: 'dlv_1' as never });
    expect(doc).toMatchObject({ _id: 'dlv_1', leaseOwner: 'owner-1', leaseUntil: new Date(T0.getTime() + 1000) });
    expect(doc).not.toHaveProperty('__v');
    expect(doc).not.toHaveProperty('id');
    expect(typeof doc!['event']).toBe('string');
  });

  it('clears the lease tickets of a delivery once it is completed', async () => {
    await insertDelivery('dlv_1');
    await store.deliveries.claim('acc_a', 'dlv_1', 'owner-1', 1000, T0);
    expect(await db.collection('delivery_lease_tickets').countDocuments({ deliveryId: 'dlv_1' })).toBe(1);
    expect(await store.deliveries.complete('acc_a', 'dlv_1', 'owner-1', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
    expect(await db.collection('delivery_lease_tickets').countDocuments({ deliveryId: 'dlv_1' })).toBe(0);
  });

  it('is blocked by a claimer that died between ticket and write only until its lease ends', async () => {
    await insertDelivery('dlv_1');
    // what a claimer leaves behind if it dies right after taking generation 1
    await db.collection('delivery_lease_tickets').insertOne({
      _id: 'dlv_1#1' as never,
      account: 'acc_a',
      deliveryId: 'dlv_1',
      gen: 1,
      owner: 'dead',
      leaseUntil: new Date(T0.getTime() + 1000),
      createdAt: T0,
    });
    expect(await store.deliveries.claim('acc_a', 'dlv_1', 'owner-1', 1000, T0)).toBeNull();
    const later = new Date(T0.getTime() + 1001);
    expect(await store.deliveries.claim('acc_a', 'dlv_1', 'owner-1', 1000, later)).not.toBeNull();
    expect(await store.deliveries.complete('acc_a', 'dlv_1', 'dead', { status: 'failed', attempts: 1, nextAttemptAt: null })).toBe(false);
    expect(await store.deliveries.complete('acc_a', 'dlv_1', 'owner-1', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
  });

  it('reports an unreachable server as HERALD_UNAVAILABLE from init() and ping()', async () => {
    const down = createMongoStore({ uri: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300', dbName: 'nowhere' });
    try {
      await expect(down.ping()).rejects.toBeInstanceOf(HeraldError);
      await expect(down.init()).rejects.toMatchObject({ code: 'HERALD_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });
});
