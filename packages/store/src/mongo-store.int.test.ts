import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeraldError, type Attempt, type Webhook } from '@herald/core';
import { mongoUri, uniqueName } from '../../../test/services.ts';
import type { NewDelivery, Store } from './repositories.ts';
import { createMongoStore, internalMongoConnection } from './mongo/mongo-store.ts';
import { dedupHeadSchema, dedupTicketSchema, MongoDedupRepository, type DedupHeadDoc, type DedupTicketDoc } from './mongo/dedup/dedup.ts';
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
    rawWebhook: async (s, account, id) => {
      const doc = await internalMongoConnection(s).db!.collection('webhooks').findOne({ _id: id as never, account });
      return doc === null ? null : JSON.stringify(doc);
    },
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
    expect(await indexKeys('delivery_queue')).toEqual(expect.arrayContaining([{ _id: 1 }, { dueAt: 1, _id: 1 }]));
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

describe('MongoDB store: de-duplication claims by _id only', () => {
  const T0 = new Date('2031-03-01T10:00:00.000Z');
  const later = (ms: number) => new Date(T0.getTime() + ms);
  let dbName: string;
  let connection: mongoose.Connection;
  let dedup: MongoDedupRepository;
  let commands: Array<{ name: string; command: Record<string, unknown> }>;
  let recording: boolean;

  beforeEach(async () => {
    dbName = uniqueName('herald-store');
    connection = await mongoose.createConnection(mongoUri(), { dbName, autoIndex: false, autoCreate: false, monitorCommands: true }).asPromise();
    const tickets = connection.model<DedupTicketDoc>('DedupTicket', dedupTicketSchema);
    const heads = connection.model<DedupHeadDoc>('DedupHead', dedupHeadSchema);
    await tickets.createIndexes();
    await heads.createIndexes();
    dedup = new MongoDedupRepository(tickets, heads);
    commands = [];
    recording = false;
    connection.getClient().on('commandStarted', (e) => {
      if (recording) commands.push({ name: e.commandName, command: e.command as Record<string, unknown> });
    });
  });

  afterEach(async () => {
    await connection.dropDatabase();
    await connection.close();
  });

  async function recorded<T>(run: () => Promise<T>): Promise<T> {
    commands = [];
    recording = true;
    try {
      return await run();
    } finally {
      recording = false;
    }
  }

  /** `{_id: v}` or `{_id: {$in: [...]}}`, and nothing else. */
  function isIdExact(filter: unknown): boolean {
    if (typeof filter !== 'object' || filter === null) return false;
    const keys = Object.keys(filter);
    if (keys.length !== 1 || keys[0] !== '_id') return false;
    const v = (filter as { _id: unknown })._id;
    if (typeof v === 'string') return true;
    return typeof v === 'object' && v !== null && Object.keys(v).join() === '$in' && Array.isArray((v as { $in: unknown }).$in);
  }

  function filtersOf(c: { name: string; command: Record<string, unknown> }): unknown[] {
    switch (c.name) {
      case 'find':
        return [c.command['filter']];
      case 'update':
        return (c.command['updates'] as Array<{ q: unknown }>).map((u) => u.q);
      case 'delete':
        return (c.command['deletes'] as Array<{ q: unknown }>).map((d) => d.q);
      case 'insert':
        return [];
      default:
        throw new Error(`unexpected command ${c.name}`);
    }
  }

  function expectIdExactOnly(max: number): void {
    expect(commands.length, commands.map((c) => c.name).join(', ')).toBeLessThanOrEqual(max);
    for (const c of commands) for (const f of filtersOf(c)) expect(isIdExact(f), `${c.name} ${JSON.stringify(f)}`).toBe(true);
  }

  const claim = (key: string, deliveryId: string, until: Date) => ({ account: 'acc_a', key, deliveryId, until });

  it('claims 100 keys (fresh, held, ended, behind a lagging head) in at most 4 commands, all by _id', async () => {
    await dedup.claimMany(Array.from({ length: 30 }, (_, i) => claim(`held${i}`, `dlv_h${i}`, later(60_000))), T0);
    await dedup.claimMany(Array.from({ length: 20 }, (_, i) => claim(`ended${i}`, `dlv_e${i}`, later(1_000))), T0);
    // a claimer that died between its ticket and its head: the head says generation 0, ended; generation 1 holds
    await dedup.claimMany(Array.from({ length: 10 }, (_, i) => claim(`lag${i}`, `dlv_l${i}`, later(1_000))), T0);
    await connection.db!.collection<DedupTicketDoc>('dedup_tickets').insertMany(
      Array.from({ length: 10 }, (_, i) => ({ _id: `acc_a\u0000lag${i}\u00001`, account: 'acc_a', key: `lag${i}`, gen: 1, deliveryId: `dlv_dead${i}`, until: later(60_000) })),
    );
    const batch = [
      ...Array.from({ length: 40 }, (_, i) => claim(`fresh${i}`, `dlv_f${i}`, later(70_000))),
      ...Array.from({ length: 30 }, (_, i) => claim(`held${i}`, `dlv_x${i}`, later(70_000))),
      ...Array.from({ length: 20 }, (_, i) => claim(`ended${i}`, `dlv_y${i}`, later(70_000))),
      ...Array.from({ length: 10 }, (_, i) => claim(`lag${i}`, `dlv_z${i}`, later(70_000))),
    ];
    const holders = await recorded(() => dedup.claimMany(batch, later(10_000)));
    expect(holders).toStrictEqual([
      ...Array.from({ length: 40 }, (_, i) => `dlv_f${i}`),
      ...Array.from({ length: 30 }, (_, i) => `dlv_h${i}`),
      ...Array.from({ length: 20 }, (_, i) => `dlv_y${i}`),
      ...Array.from({ length: 10 }, (_, i) => `dlv_dead${i}`),
    ]);
    expect(commands.map((c) => c.name)).toStrictEqual(['find', 'insert', 'find', 'update']);
    expectIdExactOnly(4);

    // without a race or a lagging head: 3 (and the lagging heads were healed by the call above)
    const again = await recorded(() => dedup.claimMany([...batch.slice(0, 70).map((c) => ({ ...c, key: `${c.key}_2` })), ...batch.slice(90)], later(10_000)));
    expect(again.slice(70)).toStrictEqual(Array.from({ length: 10 }, (_, i) => `dlv_dead${i}`));
    expect(commands.map((c) => c.name)).toStrictEqual(['find', 'insert', 'update']);
    expectIdExactOnly(3);
  });

  it('reads 250 held keys in one command (no getMore)', async () => {
    const batch = Array.from({ length: 250 }, (_, i) => claim(`k${i}`, `dlv_${i}`, later(60_000)));
    await dedup.claimMany(batch, T0);
    const holders = await recorded(() => dedup.claimMany(batch.map((c) => ({ ...c, deliveryId: `${c.deliveryId}_other` })), later(1)));
    expect(holders).toStrictEqual(batch.map((c) => c.deliveryId));
    expect(commands.map((c) => c.name)).toStrictEqual(['find']);
    expectIdExactOnly(1);
  });

  it('does not free a key whose head lags a live ticket when sweeping, nor one whose first claimer died before its head', async () => {
    await dedup.claimMany([claim('lag', 'dlv_1', later(1_000))], T0);
    const tickets = connection.db!.collection<DedupTicketDoc>('dedup_tickets');
    await tickets.insertMany([
      { _id: 'acc_a\u0000lag\u00001', account: 'acc_a', key: 'lag', gen: 1, deliveryId: 'dlv_dead', until: later(500_000) },
      { _id: 'acc_a\u0000headless\u00000', account: 'acc_a', key: 'headless', gen: 0, deliveryId: 'dlv_dead2', until: later(500_000) },
      { _id: 'acc_a\u0000gone\u00000', account: 'acc_a', key: 'gone', gen: 0, deliveryId: 'dlv_dead3', until: later(1_000) },
    ]);
    for (let i = 0; i < 4; i++) await dedup.deleteExpiredAcrossAccounts(later(100_000), 100);
    expect(await dedup.claimMany([claim('lag', 'dlv_2', later(260_000)), claim('headless', 'dlv_3', later(260_000)), claim('gone', 'dlv_4', later(260_000))], later(200_000))).toStrictEqual([
      'dlv_dead',
      'dlv_dead2',
      'dlv_4',
    ]);
    // once everything ended, the sweeps leave nothing behind
    for (let i = 0; i < 4; i++) await dedup.deleteExpiredAcrossAccounts(later(1_000_000), 100);
    expect(await tickets.countDocuments({})).toBe(0);
    expect(await connection.db!.collection('dedup_heads').countDocuments({})).toBe(0);
    expect(await dedup.claimMany([claim('lag', 'dlv_5', later(1_100_000))], later(1_000_001))).toStrictEqual(['dlv_5']);
  });

  it('is what the store uses: dedup_tickets and dedup_heads, with their indexes; dedup_claims is left alone', async () => {
    const store = createMongoStore({ uri: mongoUri(), dbName });
    try {
      await store.init();
      expect(await store.dedup.claim('acc_a', 'k', 'dlv_1', T0, later(1_000))).toBe('dlv_1');
      const names = (await connection.db!.listCollections().toArray()).map((c) => c.name);
      expect(names).toEqual(expect.arrayContaining(['dedup_tickets', 'dedup_heads']));
      expect(names).not.toContain('dedup_claims');
      const keysOf = async (name: string) => (await connection.db!.collection(name).listIndexes().toArray()).map((ix) => ix['key']);
      expect(await keysOf('dedup_tickets')).toEqual(expect.arrayContaining([{ until: 1 }, { key: 1, account: 1, gen: 1 }]));
      expect(await keysOf('dedup_heads')).toEqual(expect.arrayContaining([{ 'latest.until': 1 }]));
    } finally {
      await store.close();
    }
  });
});

describe('MongoDB store: deliveries and attempts by _id only, and delivery_queue', () => {
  const T0 = new Date('2031-03-01T10:00:00.000Z');
  const at = (ms: number) => new Date(T0.getTime() + ms);
  const LEASE_MS = 30_000;
  let dbName: string;
  let store: Store;
  let db: mongoose.Connection;
  let commands: Array<{ name: string; command: Record<string, unknown> }>;
  let recording: boolean;

  beforeEach(async () => {
    dbName = uniqueName('herald-store');
    // `onCommand` turns the driver's command monitoring on; the events are read whole below.
    store = createMongoStore({ uri: mongoUri(), dbName, onCommand: () => {} });
    await store.init();
    commands = [];
    recording = false;
    internalMongoConnection(store)
      .getClient()
      .on('commandStarted', (e) => {
        if (recording) commands.push({ name: e.commandName, command: e.command as Record<string, unknown> });
      });
    db = await mongoose.createConnection(mongoUri(), { dbName }).asPromise();
  });

  afterEach(async () => {
    await store.close();
    await db.dropDatabase();
    await db.close();
  });

  function delivery(id: string, overrides: Partial<NewDelivery> = {}): NewDelivery {
    const account = overrides.account ?? 'acc_a';
    return {
      id,
      account,
      webhookId: 'wh_1',
      schemaId: null,
      eventId: `evt_${id}`,
      eventType: 'ticket.updated',
      entity: { type: 'ticket', id: '1' },
      event: { id: `evt_${id}`, type: 'ticket.updated', account, entity: { type: 'ticket', id: '1' }, action: 'update', occurredAt: '2031-03-01T09:00:00Z', data: {} },
      status: 'pending',
      nextAttemptAt: T0,
      createdAt: at(-60_000),
      ...overrides,
    };
  }

  function attempt(id: string, deliveryId: string, number: number): Attempt {
    return {
      id,
      account: 'acc_a',
      deliveryId,
      webhookId: 'wh_1',
      number,
      startedAt: at(number),
      durationMs: 12,
      request: { url: 'https://example.com/hook', method: 'POST', headers: { 'x.a': '1' }, body: '{}' },
      response: { status: 503, headers: {}, body: '', truncated: false },
      success: false,
    };
  }

  const queue = () => db.collection('delivery_queue');
  async function entries(): Promise<Array<{ _id: string; dueAt: Date; gen: number }>> {
    return (await queue().find({}).sort({ _id: 1 }).toArray()) as unknown as Array<{ _id: string; dueAt: Date; gen: number }>;
  }

  /** The collection a command goes to, and the filters it carries. */
  function filtersOf(c: { name: string; command: Record<string, unknown> }): { collection: string; filters: unknown[] } {
    const collection = String(c.command[c.name] ?? c.command['collection']);
    switch (c.name) {
      case 'find':
        return { collection, filters: [c.command['filter'] ?? {}] };
      case 'update':
        return { collection, filters: (c.command['updates'] as Array<{ q: unknown }>).map((u) => u.q) };
      case 'delete':
        return { collection, filters: (c.command['deletes'] as Array<{ q: unknown }>).map((d) => d.q) };
      case 'findAndModify':
        return { collection, filters: [c.command['query'] ?? {}] };
      case 'insert':
        return { collection, filters: [] };
      default:
        return { collection, filters: [{ unexpectedCommand: c.name }] };
    }
  }

  /** `{_id: v}` or `{_id: {$in: [...]}}`: the filters mongo-java-server answers from its `_id` index. */
  function isIdExact(filter: unknown): boolean {
    if (typeof filter !== 'object' || filter === null || Object.keys(filter).join() !== '_id') return false;
    const v = (filter as { _id: unknown })._id;
    if (typeof v !== 'object' || v === null) return true;
    return Object.keys(v).join() === '$in' && Array.isArray((v as { $in: unknown }).$in);
  }

  it('sends deliveries, attempts and delivery_lease_tickets only _id filters on the hot path', async () => {
    const leasedUntilAfterT0 = { owner: 'engine', leaseMs: T0.getTime() - Date.now() + 60_000 };
    recording = true;
    // inserts: not tried yet, a retry, final ones, born leased (one near the end of its lease)
    await store.deliveries.insertMany([
      delivery('dlv_1'),
      delivery('dlv_2', { account: 'acc_b' }),
      delivery('dlv_3', { attempts: 1, nextAttemptAt: at(5_000), lastError: 'http_status: 503' }),
      delivery('dlv_4', { status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'http_status: 410' }),
      delivery('dlv_5', { status: 'succeeded', attempts: 1, nextAttemptAt: null }),
    ]);
    await store.deliveries.insertMany([delivery('dlv_l1'), delivery('dlv_l2', { status: 'suppressed', nextAttemptAt: null, suppressedBy: 'dlv_1' })], leasedUntilAfterT0);
    await store.deliveries.insertMany([delivery('dlv_l3')], { owner: 'engine', leaseMs: 3_000 });
    // near the end of its lease: fenced with a ticket
    expect(await store.deliveries.complete('acc_a', 'dlv_l3', 'engine', { status: 'pending', attempts: 1, nextAttemptAt: at(2_000), lastError: 'timeout' })).toBe(true);
    // replayed: duplicates
    await store.deliveries.insertMany([delivery('dlv_1'), delivery('dlv_5'), delivery('dlv_6')]);
    await store.attempts.insertMany([attempt('att_1', 'dlv_4', 1), attempt('att_2', 'dlv_5', 1), attempt('att_3', 'dlv_3', 1)]);
    await store.attempts.insertMany([attempt('att_1', 'dlv_4', 1), attempt('att_4', 'dlv_l1', 1)]);
    await store.attempts.insert(attempt('att_5', 'dlv_l3', 1));
    await expect(store.attempts.insert(attempt('att_5', 'dlv_l3', 1))).rejects.toMatchObject({ code: 'HERALD_CONFLICT' });
    expect(await store.deliveries.get('acc_a', 'dlv_1')).not.toBeNull();
    expect(await store.deliveries.get('acc_a', 'dlv_2')).toBeNull();
    expect(await store.deliveries.existingAcrossAccounts(['dlv_1', 'dlv_2', 'dlv_x'])).toEqual(new Set(['dlv_1', 'dlv_2']));
    // claims
    expect(await store.deliveries.claim('acc_a', 'dlv_1', 'worker', LEASE_MS, T0)).not.toBeNull();
    expect(await store.deliveries.claim('acc_a', 'dlv_1', 'other', LEASE_MS, T0)).toBeNull();
    expect(await store.deliveries.claim('acc_a', 'dlv_2', 'worker', LEASE_MS, T0)).toBeNull();
    const due = await store.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, T0);
    expect(due.map((d) => d.id).sort()).toEqual(['dlv_2', 'dlv_6']);
    // completions: fast and fenced, retry and final, refused
    expect(await store.deliveries.complete('acc_a', 'dlv_1', 'worker', { status: 'pending', attempts: 1, nextAttemptAt: at(1_000), lastError: 'timeout' })).toBe(true);
    expect(await store.deliveries.complete('acc_b', 'dlv_2', 'scheduler', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
    expect(await store.deliveries.complete('acc_a', 'dlv_l1', 'engine', { status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'http_status: 400' })).toBe(true);
    expect(await store.deliveries.complete('acc_a', 'dlv_6', 'worker', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(false);
    // the scheduler again, later: the retries are due; stale entries are repaired on the way
    const later = await store.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, at(LEASE_MS * 10));
    expect(later.map((d) => d.id).sort()).toEqual(['dlv_1', 'dlv_3', 'dlv_6', 'dlv_l3']);
    for (const d of later) expect(await store.deliveries.complete(d.account, d.id, 'scheduler', { status: 'succeeded', attempts: 2, nextAttemptAt: null })).toBe(true);
    expect(await store.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, at(LEASE_MS * 100))).toEqual([]);
    recording = false;

    const watched = commands.map(filtersOf).filter((c) => ['deliveries', 'attempts', 'delivery_lease_tickets'].includes(c.collection));
    expect(watched.length).toBeGreaterThan(40);
    for (const c of watched) for (const f of c.filters) expect(isIdExact(f), `${c.collection}: ${JSON.stringify(f)}`).toBe(true);
    // delivery_queue: by _id too, but the scheduler's read of due entries
    for (const c of commands.map(filtersOf).filter((x) => x.collection === 'delivery_queue')) {
      for (const f of c.filters) if (!isIdExact(f)) expect(Object.keys(f as object).sort(), JSON.stringify(f)).toEqual(expect.arrayContaining(['dueAt']));
    }
    expect(await entries()).toEqual([]);
  });

  it('keeps a queue entry for every pending delivery with a next attempt, due when it can next be claimed, and none for final ones', async () => {
    await store.deliveries.insertMany([
      delivery('dlv_p'),
      delivery('dlv_r', { attempts: 1, nextAttemptAt: at(5_000), lastError: 'timeout' }),
      delivery('dlv_f', { status: 'failed', attempts: 3, nextAttemptAt: null, lastError: 'timeout' }),
      delivery('dlv_never', { nextAttemptAt: null }),
    ]);
    await store.deliveries.insertMany([delivery('dlv_l', { nextAttemptAt: new Date() })], { owner: 'engine', leaseMs: 60_000 });
    const leased = await store.deliveries.get('acc_a', 'dlv_l');
    expect((await entries()).map((e) => [e._id, e.dueAt])).toEqual([
      ['dlv_l', new Date(leased!.leaseUntil!.getTime() + 1)],
      ['dlv_p', T0],
      ['dlv_r', at(5_000)],
    ]);

    // claimed: due again when the lease ends; a retry: due at its next attempt; final: gone
    await store.deliveries.claim('acc_a', 'dlv_p', 'worker', LEASE_MS, T0);
    expect((await entries()).find((e) => e._id === 'dlv_p')?.dueAt).toEqual(at(LEASE_MS + 1));
    await store.deliveries.complete('acc_a', 'dlv_p', 'worker', { status: 'pending', attempts: 1, nextAttemptAt: at(7_000), lastError: 'timeout' });
    expect((await entries()).find((e) => e._id === 'dlv_p')?.dueAt).toEqual(at(7_000));
    await store.deliveries.complete('acc_a', 'dlv_l', 'engine', { status: 'succeeded', attempts: 1, nextAttemptAt: null });
    expect((await entries()).map((e) => e._id)).toEqual(['dlv_p', 'dlv_r']);
    // resent: due at once
    await store.deliveries.requeue('acc_a', 'dlv_f', at(9_000));
    expect((await entries()).find((e) => e._id === 'dlv_f')?.dueAt).toEqual(at(9_000));
  });

  it('repairs entries that no longer match their delivery when they come due, and leaves those being written', async () => {
    await store.deliveries.insertMany([delivery('dlv_1'), delivery('dlv_2'), delivery('dlv_3')]);
    await store.deliveries.claim('acc_a', 'dlv_2', 'worker', LEASE_MS, T0);
    await store.deliveries.claim('acc_a', 'dlv_3', 'worker', LEASE_MS, T0);
    await store.deliveries.cancelPendingForWebhook('acc_a', 'wh_1');
    await store.deliveries.insertMany([delivery('dlv_4', { webhookId: 'wh_2' })]);
    await store.deliveries.claim('acc_a', 'dlv_4', 'worker', LEASE_MS, T0);
    const old = new Date(Date.now() - 120_000);
    await queue().updateOne({ _id: 'dlv_4' as never }, { $set: { dueAt: T0 } });
    await queue().insertMany([
      // an insert that died before its delivery, and one whose delivery is being inserted right now
      { _id: 'dlv_gone' as never, account: 'acc_a', dueAt: T0, gen: 0, writtenAt: old },
      { _id: 'dlv_coming' as never, account: 'acc_a', dueAt: T0, gen: 0, writtenAt: new Date() },
    ]);
    expect((await entries()).map((e) => e._id)).toEqual(['dlv_1', 'dlv_2', 'dlv_3', 'dlv_4', 'dlv_coming', 'dlv_gone']);

    expect(await store.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, at(LEASE_MS + 1))).toMatchObject([{ id: 'dlv_4' }]);
    // the cancelled ones' entries and the dead insert's are gone; the leased one was claimed (due at its new lease's end)
    expect((await entries()).map((e) => [e._id, e.dueAt])).toEqual([
      ['dlv_4', at(LEASE_MS * 2 + 2)],
      ['dlv_coming', T0],
    ]);
    // a leased delivery whose entry says it is due early: pointed at the end of its lease
    await queue().updateOne({ _id: 'dlv_4' as never }, { $set: { dueAt: T0 } });
    expect(await store.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, at(LEASE_MS + 2))).toEqual([]);
    expect((await entries()).find((e) => e._id === 'dlv_4')?.dueAt).toEqual(at(LEASE_MS * 2 + 2));
  });

  it('puts back an entry written for a later state of a delivery that a completion has just made final', async () => {
    await store.deliveries.insertMany([delivery('dlv_1')]);
    await store.deliveries.claim('acc_a', 'dlv_1', 'worker', LEASE_MS, T0);
    // what a resend that came between the completion's delivery write and its entry delete wrote
    await queue().updateOne({ _id: 'dlv_1' as never }, { $set: { dueAt: at(5), gen: 5, writtenAt: new Date() } });
    expect(await store.deliveries.complete('acc_a', 'dlv_1', 'worker', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
    expect(await entries()).toMatchObject([{ _id: 'dlv_1', dueAt: at(5), gen: 5 }]);
  });

  it('gives pending deliveries stored without a queue entry one in init()', async () => {
    await store.deliveries.insertMany([
      delivery('dlv_1'),
      delivery('dlv_2', { attempts: 1, nextAttemptAt: at(5_000), lastError: 'timeout' }),
      delivery('dlv_3', { status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'timeout' }),
    ]);
    await queue().deleteMany({});
    // as stored by a version without the queue
    expect(await store.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, at(5_000))).toEqual([]);
    const restarted = createMongoStore({ uri: mongoUri(), dbName });
    try {
      await restarted.init();
      expect((await entries()).map((e) => [e._id, e.dueAt])).toEqual([
        ['dlv_1', T0],
        ['dlv_2', at(5_000)],
      ]);
      expect((await restarted.deliveries.claimDueAcrossAccounts('scheduler', LEASE_MS, 10, at(5_000))).map((d) => d.id)).toEqual(['dlv_1', 'dlv_2']);
    } finally {
      await restarted.close();
    }
  });

  it('stores attempts under `<deliveryId>#<number>` with their id beside it, and reads those stored under the attempt id', async () => {
    await store.attempts.insertMany([attempt('att_1', 'dlv_1', 1)]);
    expect(await db.collection('attempts').findOne({})).toMatchObject({ _id: 'dlv_1#1', id: 'att_1', deliveryId: 'dlv_1', number: 1 });
    // logged before the derived _id
    await db.collection('attempts').insertOne({
      _id: 'att_0' as never,
      account: 'acc_a',
      deliveryId: 'dlv_0',
      webhookId: 'wh_1',
      number: 1,
      startedAt: T0,
      durationMs: 7,
      request: { url: 'https://example.com/hook', method: 'POST', headers: '{"a":"b"}', body: '{}' },
      success: true,
    });
    expect(await store.attempts.listForDelivery('acc_a', 'dlv_0')).toStrictEqual([
      { id: 'att_0', account: 'acc_a', deliveryId: 'dlv_0', webhookId: 'wh_1', number: 1, startedAt: T0, durationMs: 7, request: { url: 'https://example.com/hook', method: 'POST', headers: { a: 'b' }, body: '{}' }, success: true },
    ]);
    // and it still counts as logged (the unique (deliveryId, number) index)
    await expect(store.attempts.insert(attempt('att_x', 'dlv_0', 1))).rejects.toMatchObject({ code: 'HERALD_CONFLICT' });
    expect(await store.attempts.insertMany([attempt('att_x', 'dlv_0', 1), attempt('att_y', 'dlv_0', 2)])).toEqual({ inserted: 1 });
    expect((await store.attempts.listForDelivery('acc_a', 'dlv_0')).map((a) => a.id)).toEqual(['att_0', 'att_y']);
  });
});
