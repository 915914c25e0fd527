import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeraldError, type Webhook } from '@herald/core';
import { mongoUri, uniqueName } from '../../../test/services.ts';
import type { Store } from './repositories.ts';
import { createMongoStore, internalMongoConnection } from './mongo/mongo-store.ts';
import { storeContract } from './store.contract.ts';

async function dropDatabase(dbName: string): Promise<void> {
  const connection = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

storeContract('mongodb', async (options) => {
  const dbName = uniqueName('herald-store');
  return {
    store: createMongoStore({ uri: mongoUri(), dbName, ...options }),
    reopen: async (other) => createMongoStore({ uri: mongoUri(), dbName, ...other }),
    cleanup: () => dropDatabase(dbName),
  };
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
        { account: 1, 'entity.type': 1, 'entity.id': 1, createdAt: -1 },
        { status: 1, updatedAt: 1 },
      ]),
    );
    expect(await indexKeys('attempts')).toEqual(
      expect.arrayContaining([{ key: { deliveryId: 1, number: 1 }, unique: true }, { account: 1, deliveryId: 1 }]),
    );
    expect(await indexKeys('webhooks')).toEqual(expect.arrayContaining([{ account: 1 }]));
    expect(await indexKeys('delivery_lease_tickets')).toEqual(expect.arrayContaining([{ deliveryId: 1, gen: 1 }]));
    expect(await indexKeys('api_keys')).toEqual(
      expect.arrayContaining([{ key: { hash: 1 }, unique: true }, { account: 1, createdAt: 1, _id: 1 }]),
    );
    expect(await indexKeys('api_key_revocations')).toEqual(expect.arrayContaining([{ account: 1 }]));
  });

  it('keeps API key revocations apart from the key document, which touch rewrites', async () => {
    const key = {
      id: 'key_1',
      account: 'acc_a',
      name: 'CI',
      role: 'admin' as const,
      hash: 'ab'.repeat(32),
      prefix: 'hk_1234',
      createdAt: T0,
      revokedAt: null,
      lastUsedAt: null,
    };
    await store.apiKeys.insert(key);
    await store.apiKeys.revoke('acc_a', 'key_1', T0);
    await store.apiKeys.touch('acc_a', 'key_1', new Date(T0.getTime() + 1));
    expect(await db.collection('api_keys').findOne({ _id: 'key_1' as never })).not.toHaveProperty('revokedAt');
    expect(await db.collection('api_key_revocations').findOne({ _id: 'key_1' as never })).toEqual({
      _id: 'key_1',
      account: 'acc_a',
      revokedAt: T0,
    });
  });

  it('stores event type schemas and examples as JSON text', async () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', properties: { 'a.b': { $ref: '#/$defs/x' } } };
    await store.eventTypes.create({ name: 'ticket.created', description: 'd', schema, archived: false, createdAt: T0, updatedAt: T0 });
    const doc = await db.collection('event_types').findOne({ _id: 'ticket.created' as never });
    expect(doc).toMatchObject({ _id: 'ticket.created', schema: JSON.stringify(schema), archived: false });
    expect(doc).not.toHaveProperty('example');
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

  it('retention clears the expired lease tickets of the deliveries it deletes, and only those', async () => {
    await insertDelivery('dlv_1');
    await insertDelivery('dlv_2');
    expect(await store.deliveries.cancelPendingForWebhook('acc_a', 'wh_1')).toBe(2);
    const ticket = (deliveryId: string, gen: number, leaseUntil: Date) => ({
      _id: `${deliveryId}#${gen}` as never, account: 'acc_a', deliveryId, gen, owner: 'o', leaseUntil, createdAt: leaseUntil,
    });
    const past = new Date(Date.now() - 60_000);
    await db.collection('delivery_lease_tickets').insertMany([ticket('dlv_1', 1, past), ticket('dlv_1', 2, T0), ticket('dlv_other', 1, past)]);
    expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(new Date(Date.now() + 1000), 1)).toBe(1);
    const left = await db.collection('delivery_lease_tickets').find({}).sort({ _id: 1 }).toArray();
    // dlv_1 went first (ties on updatedAt are broken by id): its expired ticket went with it
    expect(await store.deliveries.get('acc_a', 'dlv_1')).toBeNull();
    expect(left.map((t) => t._id)).toEqual(['dlv_1#2', 'dlv_other#1']);
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

describe('MongoDB store: webhook secrets at rest', () => {
  const KEY = Buffer.alloc(32, 9);
  const SECRET = 'whsec_dG9wLXNlY3JldC12YWx1ZQ';
  const OLD_SECRET = 'whsec_b2xkLXJvdGF0ZWQtc2VjcmV0';
  const webhook = (id: string): Webhook => ({
    id,
    account: 'acc_a',
    name: 'ERP',
    url: 'https://example.com/hook',
    method: 'POST',
    active: true,
    eventTypes: ['ticket.updated'],
    auth: { type: 'basic', username: 'erp-user', password: 'hunter2-pw', 'x.extra': { token: 'tok-nested-value' } },
    headers: { 'X-Tenant': 'acme' },
    secret: SECRET,
    previousSecrets: [{ secret: OLD_SECRET, expiresAt: new Date('2031-03-02T10:00:00.000Z') }],
    dedupWindowSeconds: 60,
    createdAt: new Date('2031-03-01T10:00:00.000Z'),
    updatedAt: new Date('2031-03-01T10:00:00.000Z'),
  });
  const CLEAR_VALUES = [SECRET, OLD_SECRET, 'erp-user', 'hunter2-pw', 'tok-nested-value', 'x.extra'];
  let dbName: string;
  let stores: Store[];

  beforeEach(() => {
    dbName = uniqueName('herald-store');
    stores = [];
  });

  afterEach(async () => {
    for (const s of stores) await s.close();
    await dropDatabase(dbName);
  });

  async function open(encryptionKey?: Buffer): Promise<Store> {
    const s = createMongoStore({ uri: mongoUri(), dbName, ...(encryptionKey === undefined ? {} : { encryptionKey }) });
    stores.push(s);
    await s.init();
    return s;
  }

  /** The raw document, read with the native driver through the store's own connection. */
  async function rawWebhook(s: Store, id: string): Promise<Record<string, unknown>> {
    const doc = await internalMongoConnection(s).db!.collection('webhooks').findOne({ _id: id as never });
    expect(doc).not.toBeNull();
    return doc as Record<string, unknown>;
  }

  it('stores the secret and the auth settings encrypted with a key: nothing of them in clear', async () => {
    const s = await open(KEY);
    await s.webhooks.upsert(webhook('wh_1'));
    const doc = await rawWebhook(s, 'wh_1');
    const raw = JSON.stringify(doc);
    for (const value of CLEAR_VALUES) expect(raw).not.toContain(value);
    expect(doc['secret']).toMatch(/^enc:v1:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/);
    expect(doc['sealedAuth']).toMatch(/^enc:v1:/);
    expect(doc['previousSecrets']).toMatch(/^enc:v1:/);
    expect(doc['auth']).toBe('{"type":"basic"}');
    // the rest of the webhook stays readable (and queryable)
    expect(doc).toMatchObject({ _id: 'wh_1', account: 'acc_a', url: 'https://example.com/hook', headers: '{"X-Tenant":"acme"}' });
    expect(await s.webhooks.get('acc_a', 'wh_1')).toStrictEqual(webhook('wh_1'));

    // a fresh IV per value: the same webhook stored twice never gives the same ciphertext
    await s.webhooks.upsert(webhook('wh_2'));
    const again = await rawWebhook(s, 'wh_2');
    expect(again['secret']).not.toBe(doc['secret']);
    expect(again['sealedAuth']).not.toBe(doc['sealedAuth']);
  });

  it('stores them in clear without a key', async () => {
    const s = await open();
    await s.webhooks.upsert(webhook('wh_1'));
    const doc = await rawWebhook(s, 'wh_1');
    expect(doc['secret']).toBe(SECRET);
    expect(JSON.parse(doc['auth'] as string)).toEqual(webhook('wh_1').auth);
    expect(doc).not.toHaveProperty('sealedAuth');
  });

  it('binds each encrypted value to its webhook and field: copied elsewhere, it does not decrypt', async () => {
    const s = await open(KEY);
    await s.webhooks.upsert(webhook('wh_1'));
    await s.webhooks.upsert({ ...webhook('wh_2'), secret: 'whsec_b3RoZXI' });
    const collection = internalMongoConnection(s).db!.collection('webhooks');
    const first = await rawWebhook(s, 'wh_1');
    await collection.updateOne({ _id: 'wh_2' as never }, { $set: { secret: first['secret'] } });
    const err = await s.webhooks.get('acc_a', 'wh_2').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HeraldError);
    expect(err).toMatchObject({ code: 'HERALD_CONFIG_INVALID', message: expect.stringContaining('wh_2') });
    // the auth settings, moved into the secret's place, do not decrypt either
    await collection.updateOne({ _id: 'wh_1' as never }, { $set: { secret: first['sealedAuth'] } });
    await expect(s.webhooks.get('acc_a', 'wh_1')).rejects.toMatchObject({ code: 'HERALD_CONFIG_INVALID' });
  });
});
