import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeraldError, type Attempt, type Delivery, type EventEnvelope, type HeraldErrorCode, type PayloadSchema, type RuleGroup, type Webhook } from '@herald/core';
import type { Account, ApiKey, EventType } from './entities.ts';
import type { DeliveryListQuery, DeliveryOutcome, NewDelivery, Store } from './repositories.ts';

/** What a store is made with, beyond where its data lives. */
export interface StoreOptions {
  /** 32 bytes: webhook secrets and auth settings are kept encrypted with it. */
  encryptionKey?: Buffer;
}

export interface StoreUnderTest {
  store: Store;
  /**
   * Another store over the same data, made with `options` (what restarting the service with
   * another configuration gives): how the suite checks what a store with another encryption
   * key, or none, reads. The suite calls its `init()` and `close()` before `cleanup`.
   */
  reopen: (options: StoreOptions) => Promise<Store>;
  /**
   * The webhook `id` of `account` exactly as `store` keeps it (the document, the row, the memory
   * record), as text; null when there is none. How the suite checks what is encrypted at rest.
   */
  rawWebhook: (store: Store, account: string, id: string) => Promise<string | null>;
  /** Runs after the suite closed the store (e.g. drops the test database). */
  cleanup?: () => Promise<void>;
}

/**
 * The one behaviour every Store implements, run against each of them (memory in the unit
 * project, MongoDB — mongo-java-server, or the server MONGODB_URI names — in the integration project). `makeStore` is called at least once
 * per test and must hand back an empty store made with `options` (and fail as the factory does
 * for bad options); the suite calls `init()` and `close()` itself.
 */
export function storeContract(name: string, makeStore: (options: StoreOptions) => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let made: StoreUnderTest;
    /** Everything to close or clean up after the test, in this order. */
    let closers: Array<() => Promise<void>>;
    let cleanups: Array<() => Promise<void>>;

    async function open(options: StoreOptions): Promise<StoreUnderTest> {
      const under = await makeStore(options);
      closers.push(() => under.store.close());
      if (under.cleanup) cleanups.push(under.cleanup);
      await under.store.init();
      return under;
    }

    async function reopen(under: StoreUnderTest, options: StoreOptions): Promise<Store> {
      const other = await under.reopen(options);
      closers.unshift(() => other.close());
      await other.init();
      return other;
    }

    beforeEach(async () => {
      closers = [];
      cleanups = [];
      made = await open({});
      store = made.store;
    });

    afterEach(async () => {
      for (const close of closers) await close();
      for (const cleanup of cleanups) await cleanup();
    });

    it('initialises idempotently and answers ping', async () => {
      await store.init();
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('deliveries.insertMany', () => {
      it('stores new deliveries with the bookkeeping fields filled in', async () => {
        const before = Date.now();
        const given = newDelivery('dlv_1', { createdAt: at(-60_000), lastError: 'earlier' });
        const defaulted = newDelivery('dlv_2');
        delete defaulted.createdAt;
        expect(await store.deliveries.insertMany([given, defaulted])).toEqual({ inserted: ['dlv_1', 'dlv_2'] });
        const after = Date.now();

        const first = await store.deliveries.get(ACC_A, 'dlv_1');
        expect(first).toStrictEqual({
          ...given,
          createdAt: at(-60_000),
          attempts: 0,
          leaseUntil: null,
          updatedAt: expect.any(Date),
        });
        expect(first!.updatedAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(first!.updatedAt.getTime()).toBeLessThanOrEqual(after);

        const second = await store.deliveries.get(ACC_A, 'dlv_2');
        expect(second).toStrictEqual({ ...defaulted, attempts: 0, leaseUntil: null, createdAt: expect.any(Date), updatedAt: expect.any(Date) });
        expect(second!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(second!.createdAt.getTime()).toBeLessThanOrEqual(after);
        expect(second).not.toHaveProperty('lastError');
      });

      it('keeps any JSON event payload exactly (dotted and $ keys, nested arrays, empty objects)', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_1', { event: trickyEvent() })]);
        expect((await store.deliveries.get(ACC_A, 'dlv_1'))?.event).toStrictEqual(trickyEvent());
      });

      it('is idempotent: only unknown ids are inserted and reported, the others stay as they were', async () => {
        const originals = ['dlv_a', 'dlv_b', 'dlv_c'].map((id) => newDelivery(id));
        expect(await store.deliveries.insertMany(originals)).toEqual({ inserted: ['dlv_a', 'dlv_b', 'dlv_c'] });
        const stored = await store.deliveries.get(ACC_A, 'dlv_b');

        const replay = [
          newDelivery('dlv_a', { status: 'failed', eventType: 'other.type' }),
          newDelivery('dlv_d'),
          newDelivery('dlv_b', { webhookId: 'wh_other', nextAttemptAt: null }),
          newDelivery('dlv_c'),
        ];
        expect(await store.deliveries.insertMany(replay)).toEqual({ inserted: ['dlv_d'] });
        expect(await store.deliveries.insertMany(replay)).toEqual({ inserted: [] });

        expect(await store.deliveries.get(ACC_A, 'dlv_b')).toStrictEqual(stored);
        const a = await store.deliveries.get(ACC_A, 'dlv_a');
        expect(a?.status).toBe('pending');
        expect(a?.eventType).toBe('ticket.updated');
        const all = await store.deliveries.list(ACC_A, { limit: 100 });
        expect(all.map((d) => d.id).sort()).toEqual(['dlv_a', 'dlv_b', 'dlv_c', 'dlv_d']);
      });

      it('inserts an id named twice in one batch once, keeping the first', async () => {
        const result = await store.deliveries.insertMany([
          newDelivery('dlv_1', { eventType: 'first.type' }),
          newDelivery('dlv_2'),
          newDelivery('dlv_1', { eventType: 'second.type' }),
        ]);
        expect(result).toEqual({ inserted: ['dlv_1', 'dlv_2'] });
        expect((await store.deliveries.get(ACC_A, 'dlv_1'))?.eventType).toBe('first.type');
      });

      it('accepts an empty batch', async () => {
        expect(await store.deliveries.insertMany([])).toEqual({ inserted: [] });
      });

      it('stores a suppressed delivery with the delivery that suppressed it, never to be claimed', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_s', { status: 'suppressed', nextAttemptAt: null, suppressedBy: 'dlv_first' })]);
        expect(await store.deliveries.get(ACC_A, 'dlv_s')).toMatchObject({ status: 'suppressed', suppressedBy: 'dlv_first', nextAttemptAt: null, attempts: 0 });
        expect(await store.deliveries.claim(ACC_A, 'dlv_s', 'worker', 60_000)).toBeNull();
        expect(await store.deliveries.claimDueAcrossAccounts('worker', 60_000, 10)).toEqual([]);
        expect(await store.deliveries.get(ACC_A, 'dlv_s')).not.toHaveProperty('lastError');
      });

      it('copies values in and out: callers cannot change what is stored', async () => {
        const input = newDelivery('dlv_1');
        await store.deliveries.insertMany([input]);
        input.entity.id = 'changed';
        input.event.data!['ref'] = 'changed';
        input.nextAttemptAt!.setTime(0);
        const out = await store.deliveries.get(ACC_A, 'dlv_1');
        out!.event.type = 'changed';
        out!.createdAt.setTime(0);
        const again = await store.deliveries.get(ACC_A, 'dlv_1');
        expect(again?.entity.id).toBe('1042');
        expect(again?.event.data?.['ref']).toBe('T-1042');
        expect(again?.event.type).toBe('ticket.updated');
        expect(again?.nextAttemptAt).toEqual(T0);
        expect(again?.createdAt.getTime()).not.toBe(0);
      });

      it('stores final deliveries as given, attempted before they were stored, and never claims them', async () => {
        const finals = [
          newDelivery('dlv_ok', { status: 'succeeded', attempts: 1, nextAttemptAt: null }),
          newDelivery('dlv_failed', { status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'http_status: the endpoint answered 410' }),
          newDelivery('dlv_cancelled', { status: 'cancelled', attempts: 2, nextAttemptAt: null, lastError: 'webhook_disabled' }),
          newDelivery('dlv_suppressed', { status: 'suppressed', attempts: 1, nextAttemptAt: null, lastError: 'earlier', suppressedBy: 'dlv_first' }),
        ];
        // with a lease too: final deliveries are never leased
        expect(await store.deliveries.insertMany(finals, { owner: 'me', leaseMs: 60_000 })).toEqual({ inserted: finals.map((d) => d.id) });
        for (const d of finals) {
          expect(await store.deliveries.get(ACC_A, d.id), d.id).toStrictEqual({ ...d, leaseUntil: null, updatedAt: expect.any(Date) });
          expect(await store.deliveries.claim(ACC_A, d.id, 'owner-1', LEASE_MS, at(999_999)), d.id).toBeNull();
        }
        expect(await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, at(999_999))).toEqual([]);
        expect(await store.deliveries.complete(ACC_A, 'dlv_failed', 'me', SUCCEEDED)).toBe(false);
        expect((await store.deliveries.list(ACC_A, { limit: 10, status: 'failed' })).map((d) => [d.id, d.attempts, d.lastError])).toEqual([
          ['dlv_failed', 1, 'http_status: the endpoint answered 410'],
        ]);
        // a final one is resent as any other, and the scheduler takes it then
        expect(await store.deliveries.requeue(ACC_A, 'dlv_failed', at(1000))).toMatchObject({ status: 'pending', attempts: 1, attemptLimit: 2 });
        expect((await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, at(1000))).map((d) => d.id)).toEqual(['dlv_failed']);
      });

      it('stores a pending delivery whose first attempt failed: not claimed before its retry is due, claimed once it is', async () => {
        const retry = newDelivery('dlv_retry', { attempts: 1, nextAttemptAt: at(5000), lastError: 'http_status: the endpoint answered 503' });
        await store.deliveries.insertMany([retry, newDelivery('dlv_later', { attempts: 1, nextAttemptAt: at(60_000), lastError: 'timeout' })]);
        expect(await store.deliveries.get(ACC_A, 'dlv_retry')).toStrictEqual({ ...retry, leaseUntil: null, updatedAt: expect.any(Date) });

        expect(await store.deliveries.claim(ACC_A, 'dlv_retry', 'owner-1', LEASE_MS, at(4999))).toBeNull();
        expect(await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, T0)).toEqual([]);
        expect(await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, at(4999))).toEqual([]);
        const taken = await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, at(5000));
        expect(taken).toHaveLength(1);
        expect(taken[0]).toMatchObject({ id: 'dlv_retry', status: 'pending', attempts: 1, lastError: retry.lastError, leaseUntil: at(5000 + LEASE_MS) });
        expect(await store.deliveries.complete(ACC_A, 'dlv_retry', 'owner-1', { status: 'succeeded', attempts: 2, nextAttemptAt: null })).toBe(true);
        expect(await store.deliveries.get(ACC_A, 'dlv_retry')).toMatchObject({ status: 'succeeded', attempts: 2 });

        expect(await store.deliveries.claimDueAcrossAccounts('owner-2', LEASE_MS, 10, at(59_999))).toEqual([]);
        expect(await store.deliveries.claim(ACC_A, 'dlv_later', 'owner-2', LEASE_MS, at(59_999))).toBeNull();
        expect((await store.deliveries.claimDueAcrossAccounts('owner-2', LEASE_MS, 10, at(60_000))).map((d) => d.id)).toEqual(['dlv_later']);
      });

      it('stores a pending retry leased to its inserter: claimed by others only once both its lease and its retry are due', async () => {
        const nextAttemptAt = new Date(Date.now() + 2_000);
        await store.deliveries.insertMany([newDelivery('dlv_r', { attempts: 1, nextAttemptAt, lastError: 'timeout' })], { owner: 'me', leaseMs: 60_000 });
        const stored = await store.deliveries.get(ACC_A, 'dlv_r');
        expect(stored).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt, lastError: 'timeout' });
        const leaseEnd = stored!.leaseUntil!.getTime();
        expect(await store.deliveries.claimDueAcrossAccounts('other', LEASE_MS, 10, new Date(nextAttemptAt.getTime() + 1))).toEqual([]);
        expect(await store.deliveries.claimDueAcrossAccounts('other', LEASE_MS, 10, new Date(leaseEnd))).toEqual([]);
        expect((await store.deliveries.claimDueAcrossAccounts('other', LEASE_MS, 10, new Date(leaseEnd + 1))).map((d) => d.id)).toEqual(['dlv_r']);
      });
    });

    describe('tenant isolation', () => {
      it("never shows or changes another account's deliveries", async () => {
        await store.deliveries.insertMany([newDelivery('dlv_a'), newDelivery('dlv_b', { account: ACC_B })]);
        const b = await store.deliveries.get(ACC_B, 'dlv_b');

        expect(await store.deliveries.get(ACC_A, 'dlv_b')).toBeNull();
        expect(await store.deliveries.get(ACC_B, 'dlv_a')).toBeNull();
        expect((await store.deliveries.list(ACC_A, { limit: 10 })).map((d) => d.id)).toEqual(['dlv_a']);
        expect((await store.deliveries.list(ACC_B, { limit: 10 })).map((d) => d.id)).toEqual(['dlv_b']);
        await expectHeraldError(store.deliveries.list(ACC_A, { limit: 10, after: 'dlv_b' }), 'HERALD_VALIDATION');
        expect(await store.deliveries.claim(ACC_A, 'dlv_b', 'owner-1', LEASE_MS, T0)).toBeNull();
        expect(await store.deliveries.cancelPendingForWebhook(ACC_A, 'wh_1')).toBe(1);
        expect(await store.deliveries.get(ACC_B, 'dlv_b')).toStrictEqual(b);

        expect(await store.deliveries.claim(ACC_B, 'dlv_b', 'owner-1', LEASE_MS, T0)).not.toBeNull();
        const leased = await store.deliveries.get(ACC_B, 'dlv_b');
        expect(await store.deliveries.complete(ACC_A, 'dlv_b', 'owner-1', FAILED)).toBe(false);
        expect(await store.deliveries.get(ACC_B, 'dlv_b')).toStrictEqual(leased);
        expect(await store.deliveries.complete(ACC_B, 'dlv_b', 'owner-1', FAILED)).toBe(true);
      });

      it("never shows another account's attempts", async () => {
        await store.attempts.insert(newAttempt('att_1', 'dlv_1', 1, { account: ACC_B }));
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_1')).toEqual([]);
        expect(await store.attempts.listForDelivery(ACC_B, 'dlv_1')).toHaveLength(1);
      });

      it("never shows, changes or deletes another account's webhooks", async () => {
        const theirs = newWebhook('wh_1', { account: ACC_B });
        await store.webhooks.upsert(theirs);
        await store.webhooks.upsert(newWebhook('wh_2'));

        expect(await store.webhooks.get(ACC_A, 'wh_1')).toBeNull();
        expect((await store.webhooks.list(ACC_A)).map((w) => w.id)).toEqual(['wh_2']);
        expect(await store.webhooks.delete(ACC_A, 'wh_1')).toBe(false);
        await expectHeraldError(store.webhooks.upsert(newWebhook('wh_1', { name: 'hijack' })), 'HERALD_CONFLICT');
        expect(await store.webhooks.get(ACC_B, 'wh_1')).toStrictEqual(theirs);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toBeNull();
      });
    });

    describe('deliveries.list', () => {
      // 25 deliveries, three to a timestamp (ties are broken by id), inserted out of order.
      const ids = Array.from({ length: 25 }, (_, i) => `dlv_${String(i).padStart(2, '0')}`);
      const createdAt = (i: number) => at(-Math.floor(i / 3) * 1000);
      const expectedOrder = [...ids].sort((x, y) => {
        const byTime = createdAt(ids.indexOf(y)).getTime() - createdAt(ids.indexOf(x)).getTime();
        return byTime !== 0 ? byTime : x < y ? 1 : -1;
      });

      beforeEach(async () => {
        const shuffled = [...ids].sort((x, y) => hash(x) - hash(y));
        await store.deliveries.insertMany(
          shuffled.map((id) => {
            const i = ids.indexOf(id);
            return newDelivery(id, {
              createdAt: createdAt(i),
              webhookId: i % 2 === 0 ? 'wh_even' : 'wh_odd',
              status: i % 5 === 0 ? 'succeeded' : 'pending',
              eventType: i % 3 === 0 ? 'ticket.created' : 'ticket.updated',
            });
          }),
        );
      });

      it('lists latest first, then by id descending', async () => {
        expect((await store.deliveries.list(ACC_A, { limit: 100 })).map((d) => d.id)).toEqual(expectedOrder);
        // sanity: the fixture really has ties
        expect(expectedOrder.slice(0, 4)).toEqual(['dlv_02', 'dlv_01', 'dlv_00', 'dlv_05']);
      });

      it('pages with the cursor: every delivery exactly once, in order', async () => {
        const pages = await allPages(store, {});
        expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
        expect(pages.flat()).toEqual(expectedOrder);
      });

      it('returns an empty page after the last delivery', async () => {
        const last = expectedOrder[expectedOrder.length - 1]!;
        expect(await store.deliveries.list(ACC_A, { limit: 10, after: last })).toEqual([]);
      });

      it('filters by webhook, status and event type, alone and together, with pagination', async () => {
        const expectIds = (pred: (i: number) => boolean) => expectedOrder.filter((id) => pred(ids.indexOf(id)));

        const byWebhook = await store.deliveries.list(ACC_A, { limit: 100, webhookId: 'wh_even' });
        expect(byWebhook.map((d) => d.id)).toEqual(expectIds((i) => i % 2 === 0));
        const byStatus = await store.deliveries.list(ACC_A, { limit: 100, status: 'succeeded' });
        expect(byStatus.map((d) => d.id)).toEqual(expectIds((i) => i % 5 === 0));
        const byType = await store.deliveries.list(ACC_A, { limit: 100, eventType: 'ticket.created' });
        expect(byType.map((d) => d.id)).toEqual(expectIds((i) => i % 3 === 0));

        const filter = { webhookId: 'wh_odd', status: 'pending' as const, eventType: 'ticket.updated' };
        const expected = expectIds((i) => i % 2 === 1 && i % 5 !== 0 && i % 3 !== 0);
        expect(expected.length).toBeGreaterThan(4);
        const pages = await allPages(store, filter, 2);
        expect(pages.every((p) => p.length <= 2)).toBe(true);
        expect(pages.flat()).toEqual(expected);

        expect(await store.deliveries.list(ACC_A, { limit: 10, webhookId: 'wh_none' })).toEqual([]);
      });

      it('keeps the cursor position even when the cursor delivery no longer matches the filter', async () => {
        const firstPage = await store.deliveries.list(ACC_A, { limit: 4, status: 'pending' });
        const cursor = firstPage[firstPage.length - 1]!;
        await store.deliveries.claim(ACC_A, cursor.id, 'owner-1', LEASE_MS, T0);
        expect(await store.deliveries.complete(ACC_A, cursor.id, 'owner-1', SUCCEEDED)).toBe(true);
        const rest = await store.deliveries.list(ACC_A, { limit: 100, status: 'pending', after: cursor.id });
        const pendingOrder = expectedOrder.filter((id) => ids.indexOf(id) % 5 !== 0);
        expect(rest.map((d) => d.id)).toEqual(pendingOrder.slice(pendingOrder.indexOf(cursor.id) + 1));
      });

      it('rejects an unknown cursor and a limit below 1', async () => {
        await expectHeraldError(store.deliveries.list(ACC_A, { limit: 10, after: 'dlv_nope' }), 'HERALD_VALIDATION');
        await expectHeraldError(store.deliveries.list(ACC_A, { limit: 0 }), 'HERALD_VALIDATION');
      });
    });

    describe('deliveries.insertMany with a lease (born leased)', () => {
      it('hands the new pending deliveries to the inserter: others cannot claim them until the lease ends', async () => {
        const { inserted } = await store.deliveries.insertMany([newDelivery('dlv_l1'), newDelivery('dlv_l2', { status: 'suppressed', nextAttemptAt: null, suppressedBy: 'dlv_x' })], { owner: 'me', leaseMs: 60_000 });
        expect(inserted).toEqual(['dlv_l1', 'dlv_l2']);
        const got = await store.deliveries.get(ACC_A, 'dlv_l1');
        expect(got!.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
        expect(await store.deliveries.claim(ACC_A, 'dlv_l1', 'other', 60_000)).toBeNull();
        expect(await store.deliveries.claimDueAcrossAccounts('other', 60_000, 10)).toEqual([]);
        // a suppressed one is not leased: it is final
        expect((await store.deliveries.get(ACC_A, 'dlv_l2'))!.leaseUntil).toBeNull();
        // its holder completes it; another owner cannot
        expect(await store.deliveries.complete(ACC_A, 'dlv_l1', 'other', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(false);
        expect(await store.deliveries.complete(ACC_A, 'dlv_l1', 'me', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
        expect(await store.deliveries.get(ACC_A, 'dlv_l1')).toMatchObject({ status: 'succeeded', attempts: 1, leaseUntil: null });
      });

      it('lets the scheduler take a born-leased delivery once its lease ends (its inserter died)', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_l3', { nextAttemptAt: new Date(Date.now() - 1_000) })], { owner: 'dead', leaseMs: 1 });
        await pause(20);
        const [taken] = await store.deliveries.claimDueAcrossAccounts('heir', 60_000, 10);
        expect(taken?.id).toBe('dlv_l3');
        expect(await store.deliveries.complete(ACC_A, 'dlv_l3', 'dead', { status: 'failed', attempts: 1, nextAttemptAt: null })).toBe(false);
        expect(await store.deliveries.complete(ACC_A, 'dlv_l3', 'heir', { status: 'succeeded', attempts: 1, nextAttemptAt: null })).toBe(true);
      });

      it('completes near the end of a lease too (fenced with a ticket there), and a retry stays pending', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_l4')], { owner: 'me', leaseMs: 3_000 });
        const next = new Date(Date.now() + 60_000);
        expect(await store.deliveries.complete(ACC_A, 'dlv_l4', 'me', { status: 'pending', attempts: 1, nextAttemptAt: next, lastError: 'http_status: 500' })).toBe(true);
        expect(await store.deliveries.get(ACC_A, 'dlv_l4')).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: next, leaseUntil: null, lastError: 'http_status: 500' });
      });
    });

    describe('deliveries.claim', () => {
      it('takes only pending deliveries that are due', async () => {
        await store.deliveries.insertMany([
          newDelivery('dlv_later', { nextAttemptAt: at(1) }),
          newDelivery('dlv_done', { status: 'succeeded', nextAttemptAt: null }),
          newDelivery('dlv_never', { nextAttemptAt: null }),
          newDelivery('dlv_failed', { status: 'failed', nextAttemptAt: T0 }),
        ]);
        for (const id of ['dlv_later', 'dlv_done', 'dlv_never', 'dlv_failed', 'dlv_unknown']) {
          expect(await store.deliveries.claim(ACC_A, id, 'owner-1', LEASE_MS, T0), id).toBeNull();
        }
        expect(await store.deliveries.claim(ACC_A, 'dlv_later', 'owner-1', LEASE_MS, at(1))).not.toBeNull();
      });

      it('leases a due delivery until now + leaseMs, and nobody else gets it meanwhile', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_1', { nextAttemptAt: at(-5000) })]);
        const claimed = await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, T0);
        expect(claimed).toMatchObject({ id: 'dlv_1', account: ACC_A, status: 'pending', attempts: 0, leaseUntil: at(LEASE_MS) });
        expect(claimed).toStrictEqual(await store.deliveries.get(ACC_A, 'dlv_1'));
        expect(claimed).not.toHaveProperty('leaseOwner');

        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-2', LEASE_MS, at(1))).toBeNull();
        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, at(1))).toBeNull();
        // the lease runs until leaseUntil inclusive
        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-2', LEASE_MS, at(LEASE_MS))).toBeNull();
      });

      it('can be taken over once the lease has expired; the old holder is then fenced off', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_1')]);
        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, T0)).not.toBeNull();
        const later = at(LEASE_MS + 1);
        const taken = await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-2', LEASE_MS, later);
        expect(taken?.leaseUntil).toEqual(at(LEASE_MS + 1 + LEASE_MS));
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-1', SUCCEEDED)).toBe(false);
        expect((await store.deliveries.get(ACC_A, 'dlv_1'))?.status).toBe('pending');
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-2', SUCCEEDED)).toBe(true);
      });

      it('gives a delivery to exactly one of several concurrent claimers', async () => {
        const ids = ['dlv_1', 'dlv_2', 'dlv_3', 'dlv_4', 'dlv_5'];
        await store.deliveries.insertMany(ids.map((id) => newDelivery(id)));
        const owners = ['owner-1', 'owner-2', 'owner-3', 'owner-4'];
        for (const id of ids) {
          const results = await Promise.all(owners.map((o) => store.deliveries.claim(ACC_A, id, o, LEASE_MS, T0)));
          const winners = owners.filter((_, i) => results[i] !== null);
          expect(winners, id).toHaveLength(1);
          // the lease really belongs to the winner: only it may complete
          for (const loser of owners.filter((o) => o !== winners[0])) {
            expect(await store.deliveries.complete(ACC_A, id, loser, SUCCEEDED)).toBe(false);
          }
          expect(await store.deliveries.complete(ACC_A, id, winners[0]!, SUCCEEDED)).toBe(true);
        }
      });
    });

    describe('deliveries.claimDueAcrossAccounts', () => {
      beforeEach(async () => {
        await store.deliveries.insertMany([
          newDelivery('dlv_a1', { nextAttemptAt: at(-3000) }),
          newDelivery('dlv_a2', { nextAttemptAt: at(-1000) }),
          newDelivery('dlv_a3', { nextAttemptAt: at(60_000) }),
          newDelivery('dlv_a4', { status: 'succeeded', nextAttemptAt: null }),
          newDelivery('dlv_b1', { account: ACC_B, nextAttemptAt: at(-2000) }),
          newDelivery('dlv_c1', { account: ACC_C, nextAttemptAt: at(-4000) }),
          newDelivery('dlv_c2', { account: ACC_C, nextAttemptAt: at(-500) }),
        ]);
        // already leased by someone else
        expect(await store.deliveries.claim(ACC_C, 'dlv_c1', 'other', LEASE_MS, T0)).not.toBeNull();
      });

      it('takes due deliveries of every account, soonest first, up to the limit', async () => {
        const first = await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 2, T0);
        expect(first.map((d) => [d.account, d.id])).toEqual([
          [ACC_A, 'dlv_a1'],
          [ACC_B, 'dlv_b1'],
        ]);
        expect(first.every((d) => d.leaseUntil?.getTime() === at(LEASE_MS).getTime())).toBe(true);
        expect(first[1]).toStrictEqual(await store.deliveries.get(ACC_B, 'dlv_b1'));

        const rest = await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, T0);
        expect(rest.map((d) => d.id)).toEqual(['dlv_a2', 'dlv_c2']);
        expect(await store.deliveries.claimDueAcrossAccounts('owner-2', LEASE_MS, 10, T0)).toEqual([]);
        expect(await store.deliveries.complete(ACC_C, 'dlv_c2', 'owner-1', SUCCEEDED)).toBe(true);
      });

      it('takes leased deliveries again only after their lease expired', async () => {
        await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, T0);
        const later = at(LEASE_MS + 1);
        const again = await store.deliveries.claimDueAcrossAccounts('owner-2', LEASE_MS, 10, later);
        expect(again.map((d) => d.id)).toEqual(['dlv_c1', 'dlv_a1', 'dlv_b1', 'dlv_a2', 'dlv_c2']);
        expect(await store.deliveries.complete(ACC_C, 'dlv_c1', 'other', SUCCEEDED)).toBe(false);
        expect(await store.deliveries.complete(ACC_C, 'dlv_c1', 'owner-2', SUCCEEDED)).toBe(true);
      });

      it('returns nothing for a limit of 0', async () => {
        expect(await store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 0, T0)).toEqual([]);
      });

      it('splits the due deliveries between concurrent schedulers without overlap', async () => {
        const [one, two] = await Promise.all([
          store.deliveries.claimDueAcrossAccounts('owner-1', LEASE_MS, 10, T0),
          store.deliveries.claimDueAcrossAccounts('owner-2', LEASE_MS, 10, T0),
        ]);
        const ids = [...one!, ...two!].map((d) => d.id).sort();
        expect(ids).toEqual(['dlv_a1', 'dlv_a2', 'dlv_b1', 'dlv_c2']);
      });
    });

    describe('deliveries.complete', () => {
      beforeEach(async () => {
        await store.deliveries.insertMany([newDelivery('dlv_1'), newDelivery('dlv_2')]);
      });

      it('changes nothing for a caller that does not hold the lease', async () => {
        expect(await store.deliveries.complete(ACC_A, 'dlv_2', 'owner-1', SUCCEEDED)).toBe(false);
        await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, T0);
        const leased = await store.deliveries.get(ACC_A, 'dlv_1');
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-2', SUCCEEDED)).toBe(false);
        expect(await store.deliveries.get(ACC_A, 'dlv_1')).toStrictEqual(leased);
        expect(await store.deliveries.complete(ACC_A, 'dlv_unknown', 'owner-1', SUCCEEDED)).toBe(false);
      });

      it('records the outcome for the lease holder and releases the lease', async () => {
        await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, T0);
        const before = Date.now();
        const retry: DeliveryOutcome = { status: 'pending', attempts: 1, nextAttemptAt: at(5000), lastError: 'HTTP 503' };
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-1', retry)).toBe(true);
        const after = await store.deliveries.get(ACC_A, 'dlv_1');
        expect(after).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: at(5000), lastError: 'HTTP 503', leaseUntil: null });
        expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(before);
        // released: completing again is refused, and it is not claimable before it is due
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-1', SUCCEEDED)).toBe(false);
        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-2', LEASE_MS, at(4999))).toBeNull();

        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-2', LEASE_MS, at(5000))).not.toBeNull();
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-2', { status: 'succeeded', attempts: 2, nextAttemptAt: null })).toBe(true);
        const done = await store.deliveries.get(ACC_A, 'dlv_1');
        expect(done).toMatchObject({ status: 'succeeded', attempts: 2, nextAttemptAt: null, leaseUntil: null });
        expect(done).not.toHaveProperty('lastError');
        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-3', LEASE_MS, at(999_999))).toBeNull();
        expect(await store.deliveries.get(ACC_A, 'dlv_2')).toMatchObject({ status: 'pending', attempts: 0 });
      });
    });

    describe('deliveries.cancelPendingForWebhook', () => {
      it("cancels only that webhook's pending deliveries, leased ones included", async () => {
        await store.deliveries.insertMany([
          newDelivery('dlv_p1'),
          newDelivery('dlv_p2'),
          newDelivery('dlv_done', { status: 'succeeded', nextAttemptAt: null }),
          newDelivery('dlv_other', { webhookId: 'wh_2' }),
        ]);
        await store.deliveries.claim(ACC_A, 'dlv_p2', 'owner-1', LEASE_MS, T0);
        const untouched = await Promise.all(['dlv_done', 'dlv_other'].map((id) => store.deliveries.get(ACC_A, id)));

        expect(await store.deliveries.cancelPendingForWebhook(ACC_A, 'wh_1')).toBe(2);
        for (const id of ['dlv_p1', 'dlv_p2']) {
          expect(await store.deliveries.get(ACC_A, id)).toMatchObject({ status: 'cancelled', nextAttemptAt: null, leaseUntil: null });
        }
        expect(await Promise.all(['dlv_done', 'dlv_other'].map((id) => store.deliveries.get(ACC_A, id)))).toStrictEqual(untouched);

        expect(await store.deliveries.claim(ACC_A, 'dlv_p1', 'owner-1', LEASE_MS, at(LEASE_MS * 10))).toBeNull();
        expect(await store.deliveries.complete(ACC_A, 'dlv_p2', 'owner-1', SUCCEEDED)).toBe(false);
        expect((await store.deliveries.get(ACC_A, 'dlv_p2'))?.status).toBe('cancelled');
        expect(await store.deliveries.cancelPendingForWebhook(ACC_A, 'wh_1')).toBe(0);
      });
    });

    describe("deliveries: the retry scheduler over a delivery's life", () => {
      const due = async (now: Date, owner = 'scheduler', limit = 10) => (await store.deliveries.claimDueAcrossAccounts(owner, LEASE_MS, limit, now)).map((d) => d.id);

      it('takes a retry recorded by complete once it is due, never one completed final, and a resent one at once', async () => {
        await store.deliveries.insertMany([newDelivery('dlv_1'), newDelivery('dlv_2', { nextAttemptAt: at(1) })]);
        expect(await due(at(1))).toEqual(['dlv_1', 'dlv_2']);
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'scheduler', { status: 'pending', attempts: 1, nextAttemptAt: at(5000), lastError: 'HTTP 503' })).toBe(true);
        expect(await store.deliveries.complete(ACC_A, 'dlv_2', 'scheduler', SUCCEEDED)).toBe(true);
        expect(await due(at(4999))).toEqual([]);
        expect(await due(at(5000))).toEqual(['dlv_1']);
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'scheduler', { status: 'failed', attempts: 2, nextAttemptAt: null, lastError: 'HTTP 503' })).toBe(true);
        for (const t of [at(5000), at(LEASE_MS * 3), at(LEASE_MS * 100)]) expect(await due(t)).toEqual([]);
        // resent: due at once
        expect(await store.deliveries.requeue(ACC_A, 'dlv_2', at(LEASE_MS * 200))).not.toBeNull();
        expect(await due(at(LEASE_MS * 200))).toEqual(['dlv_2']);
        // its holder died: taken again once the lease ran out
        expect(await due(at(LEASE_MS * 201))).toEqual([]);
        expect(await due(at(LEASE_MS * 201 + 1), 'heir')).toEqual(['dlv_2']);
        expect(await store.deliveries.complete(ACC_A, 'dlv_2', 'scheduler', SUCCEEDED)).toBe(false);
        expect(await store.deliveries.complete(ACC_A, 'dlv_2', 'heir', SUCCEEDED)).toBe(true);
        expect(await due(at(LEASE_MS * 1000))).toEqual([]);
      });

      it('never takes a delivery cancelled by cancelPendingForWebhook again (due, not due yet, or leased when cancelled), until it is replayed', async () => {
        await store.deliveries.insertMany([
          newDelivery('dlv_due'),
          newDelivery('dlv_later', { nextAttemptAt: at(5000), attempts: 1, lastError: 'timeout' }),
          newDelivery('dlv_leased'),
          newDelivery('dlv_kept', { webhookId: 'wh_2', nextAttemptAt: at(-1) }),
        ]);
        expect(await store.deliveries.claim(ACC_A, 'dlv_leased', 'owner-1', LEASE_MS, T0)).not.toBeNull();
        expect(await store.deliveries.cancelPendingForWebhook(ACC_A, 'wh_1')).toBe(3);
        expect(await due(T0)).toEqual(['dlv_kept']);
        expect(await store.deliveries.complete(ACC_A, 'dlv_kept', 'scheduler', SUCCEEDED)).toBe(true);
        for (const t of [T0, at(5000), at(LEASE_MS + 1), at(LEASE_MS * 100)]) {
          expect(await due(t), t.toISOString()).toEqual([]);
          for (const id of ['dlv_due', 'dlv_later', 'dlv_leased']) expect(await store.deliveries.claim(ACC_A, id, 'owner-2', LEASE_MS, t), id).toBeNull();
        }
        expect(await store.deliveries.complete(ACC_A, 'dlv_leased', 'owner-1', SUCCEEDED)).toBe(false);
        for (const id of ['dlv_due', 'dlv_later', 'dlv_leased']) expect(await store.deliveries.get(ACC_A, id), id).toMatchObject({ status: 'cancelled', leaseUntil: null, nextAttemptAt: null });
        // a replay puts them back, and the scheduler takes them then
        const replayAt = at(LEASE_MS * 200);
        expect(await store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: at(-60_000), statuses: ['cancelled'] }, replayAt)).toBe(3);
        expect((await due(replayAt)).sort()).toEqual(['dlv_due', 'dlv_later', 'dlv_leased']);
      });

      it('lets a cancel racing a claim or a completion win: the delivery ends cancelled, and nobody takes it again', async () => {
        const ids = Array.from({ length: 12 }, (_, i) => `dlv_${String(i).padStart(2, '0')}`);
        for (const [i, id] of ids.entries()) {
          const webhookId = `wh_race_${i}`;
          await store.deliveries.insertMany([newDelivery(id, { webhookId })]);
          if (i % 2 === 0) {
            // a claim against the cancel
            const [claimed] = await Promise.all([store.deliveries.claim(ACC_A, id, 'owner-1', LEASE_MS, T0), store.deliveries.cancelPendingForWebhook(ACC_A, webhookId)]);
            if (claimed) expect(await store.deliveries.complete(ACC_A, id, 'owner-1', SUCCEEDED), id).toBe(false);
          } else {
            // a completion (a retry) against the cancel
            expect(await store.deliveries.claim(ACC_A, id, 'owner-1', LEASE_MS, T0)).not.toBeNull();
            await Promise.all([
              store.deliveries.complete(ACC_A, id, 'owner-1', { status: 'pending', attempts: 1, nextAttemptAt: at(1000), lastError: 'HTTP 503' }),
              store.deliveries.cancelPendingForWebhook(ACC_A, webhookId),
            ]);
          }
          expect(await store.deliveries.get(ACC_A, id), id).toMatchObject({ status: 'cancelled', nextAttemptAt: null, leaseUntil: null });
        }
        for (const t of [at(1000), at(LEASE_MS + 1), at(LEASE_MS * 100)]) expect(await due(t)).toEqual([]);
      });

      it('splits many due deliveries between several concurrent schedulers: each is taken exactly once, by one of them', async () => {
        const ids = Array.from({ length: 40 }, (_, i) => `dlv_${String(i).padStart(2, '0')}`);
        await store.deliveries.insertMany(ids.map((id, i) => newDelivery(id, { account: [ACC_A, ACC_B, ACC_C][i % 3]!, nextAttemptAt: at(-i) })));
        const owners = ['owner-1', 'owner-2', 'owner-3', 'owner-4'];
        const takes = await Promise.all(owners.map((o) => store.deliveries.claimDueAcrossAccounts(o, LEASE_MS, 15, T0)));
        for (const t of takes) expect(t.length).toBeLessThanOrEqual(15);
        const taken = takes.flat().map((d) => d.id);
        expect([...taken].sort()).toEqual(ids);
        expect(await due(T0)).toEqual([]);
        // each lease belongs to the scheduler that got the delivery
        for (const [i, t] of takes.entries()) {
          for (const d of t) {
            expect(await store.deliveries.complete(d.account, d.id, owners[(i + 1) % owners.length]!, SUCCEEDED)).toBe(false);
            expect(await store.deliveries.complete(d.account, d.id, owners[i]!, SUCCEEDED)).toBe(true);
          }
        }
      });
    });

    describe('deliveries: test deliveries (F6)', () => {
      it('stores a test delivery logged after its attempt: the flag and the attempts given', async () => {
        const test = newDelivery('dlv_t', { test: true, attempts: 1, status: 'failed', nextAttemptAt: null, lastError: 'http_status: the endpoint answered 500' });
        await store.deliveries.insertMany([test, newDelivery('dlv_plain')]);
        const { attempts: _a, ...rest } = test;
        expect(await store.deliveries.get(ACC_A, 'dlv_t')).toStrictEqual({ ...rest, attempts: 1, leaseUntil: null, createdAt: at(-10_000), updatedAt: expect.any(Date) });
        const plain = await store.deliveries.get(ACC_A, 'dlv_plain');
        expect(plain).not.toHaveProperty('test');
        expect(plain).not.toHaveProperty('attemptLimit');
        expect(plain?.attempts).toBe(0);
        expect((await store.deliveries.list(ACC_A, { limit: 10 })).find((d) => d.id === 'dlv_t')).toMatchObject({ test: true, attempts: 1 });
      });
    });

    describe('deliveries.requeue (resend, F13)', () => {
      /** A delivery that was tried `attempts` times and ended in `status`. */
      async function ended(id: string, status: 'succeeded' | 'failed' | 'suppressed' | 'cancelled', attempts: number, overrides: Partial<NewDelivery> = {}): Promise<void> {
        await store.deliveries.insertMany([newDelivery(id, { status, nextAttemptAt: null, attempts, ...(status === 'failed' ? { lastError: 'http_status: 503' } : {}), ...overrides })]);
      }

      it('puts a failed delivery back to pending, due now, with one more attempt allowed', async () => {
        await ended('dlv_1', 'failed', 14);
        const requeued = await store.deliveries.requeue(ACC_A, 'dlv_1', at(1000));
        expect(requeued).toMatchObject({ id: 'dlv_1', status: 'pending', attempts: 14, attemptLimit: 15, nextAttemptAt: at(1000), leaseUntil: null, lastError: 'http_status: 503' });
        expect(requeued).toStrictEqual(await store.deliveries.get(ACC_A, 'dlv_1'));
        // The engine takes it as any due delivery, and its outcome ends it again.
        expect(await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, at(999))).toBeNull();
        const claimed = await store.deliveries.claim(ACC_A, 'dlv_1', 'owner-1', LEASE_MS, at(1000));
        expect(claimed).toMatchObject({ attempts: 14, attemptLimit: 15 });
        expect(await store.deliveries.complete(ACC_A, 'dlv_1', 'owner-1', { status: 'failed', attempts: 15, nextAttemptAt: null, lastError: 'timeout' })).toBe(true);
        expect(await store.deliveries.get(ACC_A, 'dlv_1')).toMatchObject({ status: 'failed', attempts: 15, attemptLimit: 15 });
        // ... and it can be resent again: the limit moves on.
        expect(await store.deliveries.requeue(ACC_A, 'dlv_1', at(2000))).toMatchObject({ status: 'pending', attempts: 15, attemptLimit: 16, nextAttemptAt: at(2000) });
      });

      it('requeues every final status, and nothing else', async () => {
        await ended('dlv_s', 'succeeded', 1);
        await ended('dlv_f', 'failed', 3);
        await ended('dlv_x', 'suppressed', 0, { suppressedBy: 'dlv_s' });
        await ended('dlv_c', 'cancelled', 2);
        await store.deliveries.insertMany([newDelivery('dlv_p')]);
        await ended('dlv_t', 'failed', 1, { test: true });
        for (const [id, limit] of [['dlv_s', 2], ['dlv_f', 4], ['dlv_x', 1], ['dlv_c', 3]] as const) {
          expect(await store.deliveries.requeue(ACC_A, id, T0), id).toMatchObject({ status: 'pending', attemptLimit: limit });
        }
        const untouched = await Promise.all(['dlv_p', 'dlv_t'].map((id) => store.deliveries.get(ACC_A, id)));
        expect(await store.deliveries.requeue(ACC_A, 'dlv_p', T0)).toBeNull();
        expect(await store.deliveries.requeue(ACC_A, 'dlv_t', T0)).toBeNull();
        expect(await store.deliveries.requeue(ACC_A, 'dlv_unknown', T0)).toBeNull();
        expect(await Promise.all(['dlv_p', 'dlv_t'].map((id) => store.deliveries.get(ACC_A, id)))).toStrictEqual(untouched);
        // Requeued already: pending now, so a second resend is refused.
        expect(await store.deliveries.requeue(ACC_A, 'dlv_f', T0)).toBeNull();
      });

      it("never requeues another account's delivery", async () => {
        await ended('dlv_b', 'failed', 1, { account: ACC_B });
        expect(await store.deliveries.requeue(ACC_A, 'dlv_b', T0)).toBeNull();
        expect((await store.deliveries.get(ACC_B, 'dlv_b'))?.status).toBe('failed');
      });

      it('lets exactly one of several concurrent requeues win, and the delivery stays claimable', async () => {
        for (const id of ['dlv_1', 'dlv_2', 'dlv_3']) await ended(id, 'failed', 2);
        for (const id of ['dlv_1', 'dlv_2', 'dlv_3']) {
          const results = await Promise.all([1, 2, 3, 4].map(() => store.deliveries.requeue(ACC_A, id, T0)));
          expect(results.filter((r) => r !== null), id).toHaveLength(1);
          expect(await store.deliveries.get(ACC_A, id), id).toMatchObject({ status: 'pending', attempts: 2, attemptLimit: 3 });
          const claimed = await store.deliveries.claim(ACC_A, id, 'owner-1', LEASE_MS, T0);
          expect(claimed, id).not.toBeNull();
          expect(await store.deliveries.complete(ACC_A, id, 'owner-1', { status: 'succeeded', attempts: 3, nextAttemptAt: null })).toBe(true);
        }
      });
    });

    describe('deliveries.requeueForWebhook (replay, F13)', () => {
      it('requeues the matching final deliveries of the webhook created in [since, until), and says how many', async () => {
        const failed = (id: string, createdAt: Date, overrides: Partial<NewDelivery> = {}) =>
          newDelivery(id, { status: 'failed', nextAttemptAt: null, attempts: 14, createdAt, ...overrides });
        await store.deliveries.insertMany([
          failed('dlv_before', at(-1)),
          failed('dlv_at_since', at(0)),
          failed('dlv_inside', at(500)),
          failed('dlv_at_until', at(1000)),
          failed('dlv_ok', at(500), { status: 'succeeded', attempts: 1 }),
          failed('dlv_cancelled', at(500), { status: 'cancelled', attempts: 1 }),
          failed('dlv_pending', at(500), { status: 'pending', nextAttemptAt: at(60_000), attempts: 2 }),
          failed('dlv_test', at(500), { test: true, attempts: 1 }),
          failed('dlv_other_hook', at(500), { webhookId: 'wh_2' }),
          failed('dlv_other_account', at(500), { account: ACC_B }),
        ]);
        const snapshot = async (ids: string[]) => Promise.all(ids.map((id) => store.deliveries.get(id === 'dlv_other_account' ? ACC_B : ACC_A, id)));
        const others = ['dlv_before', 'dlv_at_until', 'dlv_ok', 'dlv_cancelled', 'dlv_pending', 'dlv_test', 'dlv_other_hook', 'dlv_other_account'];
        const before = await snapshot(others);

        const now = at(5000);
        expect(await store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: at(0), until: at(1000), statuses: ['failed'] }, now)).toBe(2);
        for (const id of ['dlv_at_since', 'dlv_inside']) {
          expect(await store.deliveries.get(ACC_A, id), id).toMatchObject({ status: 'pending', nextAttemptAt: now, attempts: 14, attemptLimit: 15 });
        }
        expect(await snapshot(others)).toStrictEqual(before);

        // Again: the requeued ones are pending now, so nothing matches.
        expect(await store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: at(0), until: at(1000), statuses: ['failed'] }, now)).toBe(0);
        // Several statuses, no upper bound.
        expect(await store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: at(0), statuses: ['succeeded', 'cancelled', 'failed'] }, now)).toBe(3);
        for (const id of ['dlv_ok', 'dlv_cancelled', 'dlv_at_until']) expect((await store.deliveries.get(ACC_A, id))?.status, id).toBe('pending');
        expect((await store.deliveries.get(ACC_A, 'dlv_before'))?.status).toBe('failed');
        expect((await store.deliveries.get(ACC_A, 'dlv_test'))?.status).toBe('failed');
        expect(await store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: at(0), statuses: [] }, now)).toBe(0);
      });

      it('walks more deliveries than one page', async () => {
        const ids = Array.from({ length: 105 }, (_, i) => `dlv_${String(i).padStart(4, '0')}`);
        await store.deliveries.insertMany(ids.map((id) => newDelivery(id, { status: 'failed', nextAttemptAt: null, attempts: 1 })));
        expect(await store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: at(-60_000), statuses: ['failed'] }, T0)).toBe(105);
        expect(await store.deliveries.list(ACC_A, { limit: 300, status: 'failed' })).toEqual([]);
      });

      it('rejects a status that is not final and an invalid date with HERALD_VALIDATION', async () => {
        await expectHeraldError(store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: T0, statuses: ['pending'] }), 'HERALD_VALIDATION');
        await expectHeraldError(store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: new Date(Number.NaN), statuses: ['failed'] }), 'HERALD_VALIDATION');
        await expectHeraldError(store.deliveries.requeueForWebhook(ACC_A, 'wh_1', { since: T0, until: new Date('nope'), statuses: ['failed'] }), 'HERALD_VALIDATION');
      });
    });

    describe('deliveries.list by entity and time range', () => {
      // Twelve deliveries a second apart (dlv_00 the latest), entities in turn ticket/1042,
      // ticket/7, user/1042; two webhooks; and another account's delivery in the same range.
      const ids = Array.from({ length: 12 }, (_, i) => `dlv_${String(i).padStart(2, '0')}`);
      const entities = [
        { type: 'ticket', id: '1042' },
        { type: 'ticket', id: '7' },
        { type: 'user', id: '1042' },
      ];
      const created = (i: number) => at(-i * 1000);

      beforeEach(async () => {
        const shuffled = [...ids].sort((x, y) => hash(x) - hash(y));
        await store.deliveries.insertMany([
          ...shuffled.map((id) => {
            const i = ids.indexOf(id);
            return newDelivery(id, { createdAt: created(i), entity: entities[i % 3]!, webhookId: i % 2 === 0 ? 'wh_even' : 'wh_odd' });
          }),
          newDelivery('dlv_b', { account: ACC_B, createdAt: created(3), entity: { type: 'ticket', id: '1042' } }),
        ]);
      });

      async function listAll(query: Omit<DeliveryListQuery, 'limit' | 'after'>, limit = 100): Promise<string[]> {
        const out: string[] = [];
        let after: string | undefined;
        for (let guard = 0; guard < 100; guard++) {
          const page = await store.deliveries.list(ACC_A, { ...query, limit, ...(after === undefined ? {} : { after }) });
          if (page.length === 0) return out;
          expect(page.length).toBeLessThanOrEqual(limit);
          out.push(...page.map((d) => d.id));
          after = page[page.length - 1]!.id;
        }
        throw new Error('pagination did not end');
      }

      it('filters by entity: type and id must both match', async () => {
        expect(await listAll({ entity: { type: 'ticket', id: '1042' } })).toEqual(['dlv_00', 'dlv_03', 'dlv_06', 'dlv_09']);
        expect(await listAll({ entity: { type: 'user', id: '1042' } })).toEqual(['dlv_02', 'dlv_05', 'dlv_08', 'dlv_11']);
        expect(await listAll({ entity: { type: 'ticket', id: '10' } })).toEqual([]);
        expect(await listAll({ entity: { type: 'user', id: '7' } })).toEqual([]);
      });

      it('filters by creation time: since inclusive, until exclusive', async () => {
        expect(await listAll({ since: created(5), until: created(2) })).toEqual(['dlv_03', 'dlv_04', 'dlv_05']);
        expect(await listAll({ since: created(1) })).toEqual(['dlv_00', 'dlv_01']);
        expect(await listAll({ until: created(9) })).toEqual(['dlv_10', 'dlv_11']);
        // between two deliveries
        expect(await listAll({ since: new Date(created(4).getTime() + 1), until: new Date(created(3).getTime() + 1) })).toEqual(['dlv_03']);
      });

      it('answers an empty range with nothing', async () => {
        expect(await listAll({ since: created(3), until: created(3) })).toEqual([]);
        expect(await listAll({ since: created(2), until: created(5) })).toEqual([]);
        expect(await listAll({ since: at(1) })).toEqual([]);
      });

      it('combines entity, time range and the other filters, page by page', async () => {
        const query = { entity: { type: 'ticket', id: '1042' }, since: created(9), until: created(0), webhookId: 'wh_even' };
        expect(await listAll(query, 1)).toEqual(['dlv_06']);
        expect(await listAll({ ...query, webhookId: 'wh_odd' }, 1)).toEqual(['dlv_03', 'dlv_09']);
        expect(await listAll({ since: created(10), until: created(1) }, 3)).toEqual(ids.slice(2, 11));
        expect(await listAll({ since: created(10), until: created(1), status: 'succeeded' }, 3)).toEqual([]);
      });

      it('keeps the cursor position when a page holds a time range', async () => {
        const first = await store.deliveries.list(ACC_A, { limit: 2, since: created(8) });
        expect(first.map((d) => d.id)).toEqual(['dlv_00', 'dlv_01']);
        const next = await store.deliveries.list(ACC_A, { limit: 3, since: created(8), until: created(3), after: 'dlv_01' });
        expect(next.map((d) => d.id)).toEqual(['dlv_04', 'dlv_05', 'dlv_06']);
      });

      it("never lists another account's deliveries", async () => {
        expect(await store.deliveries.list(ACC_B, { limit: 10, entity: { type: 'ticket', id: '1042' }, since: created(4) })).toHaveLength(1);
        expect(await listAll({ since: created(3), until: created(2) })).toEqual(['dlv_03']);
      });

      it('rejects an invalid date with HERALD_VALIDATION', async () => {
        await expectHeraldError(store.deliveries.list(ACC_A, { limit: 10, since: new Date(Number.NaN) }), 'HERALD_VALIDATION');
        await expectHeraldError(store.deliveries.list(ACC_A, { limit: 10, until: new Date('nope') }), 'HERALD_VALIDATION');
      });
    });

    describe('retention: deliveries.deleteFinalOlderThanAcrossAccounts', () => {
      // `updatedAt` is set by the store from the real clock: the fixture lets time pass between
      // the old and the recent deliveries, and checks that it did.
      const OLD_FINAL = [
        newDelivery('dlv_old_s', { status: 'succeeded', nextAttemptAt: null }),
        newDelivery('dlv_old_f', { account: ACC_B, status: 'failed', nextAttemptAt: null }),
        newDelivery('dlv_old_x', { account: ACC_C, status: 'suppressed', nextAttemptAt: null }),
        newDelivery('dlv_old_c', { status: 'cancelled', nextAttemptAt: null }),
      ];
      let cutoff: Date;

      async function get(id: string): Promise<Delivery | null> {
        for (const account of [ACC_A, ACC_B, ACC_C]) {
          const d = await store.deliveries.get(account, id);
          if (d) return d;
        }
        return null;
      }

      beforeEach(async () => {
        // Oldest first, each a few ms after the one before.
        await store.deliveries.insertMany([newDelivery('dlv_old_pending', { createdAt: at(-900_000) })]);
        await store.deliveries.insertMany([newDelivery('dlv_finished_late', { createdAt: at(-900_000) })]);
        for (const d of OLD_FINAL) {
          await pause();
          await store.deliveries.insertMany([d]);
        }
        await store.attempts.insert(newAttempt('att_s1', 'dlv_old_s', 1, { success: false }));
        await store.attempts.insert(newAttempt('att_s2', 'dlv_old_s', 2));
        await store.attempts.insert(newAttempt('att_f1', 'dlv_old_f', 1, { account: ACC_B, success: false }));
        await store.attempts.insert(newAttempt('att_p1', 'dlv_old_pending', 1, { success: false }));
        await pause();
        cutoff = new Date();
        await pause();
        await store.deliveries.insertMany([newDelivery('dlv_new_s', { status: 'succeeded', nextAttemptAt: null, createdAt: at(-900_000) })]);
        await store.attempts.insert(newAttempt('att_n1', 'dlv_new_s', 1));
        // created long ago, but final only now: retention counts from when it became final
        expect(await store.deliveries.claim(ACC_A, 'dlv_finished_late', 'owner-1', LEASE_MS, T0)).not.toBeNull();
        expect(await store.deliveries.complete(ACC_A, 'dlv_finished_late', 'owner-1', FAILED)).toBe(true);

        const stamps = await Promise.all(OLD_FINAL.map((d) => get(d.id)));
        for (let i = 1; i < stamps.length; i++) expect(stamps[i]!.updatedAt.getTime()).toBeGreaterThan(stamps[i - 1]!.updatedAt.getTime());
        expect(stamps[stamps.length - 1]!.updatedAt.getTime()).toBeLessThan(cutoff.getTime());
        expect((await get('dlv_new_s'))!.updatedAt.getTime()).toBeGreaterThan(cutoff.getTime());
        expect((await get('dlv_finished_late'))!.updatedAt.getTime()).toBeGreaterThan(cutoff.getTime());
      });

      it('deletes the final deliveries older than the cutoff, of every account, with their attempts', async () => {
        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 100)).toBe(4);
        for (const d of OLD_FINAL) {
          expect(await get(d.id), d.id).toBeNull();
          expect(await store.attempts.listForDelivery(d.account, d.id)).toEqual([]);
        }
        // pending (however old), final after the cutoff: kept, attempts and all
        expect((await get('dlv_old_pending'))?.status).toBe('pending');
        expect((await store.attempts.listForDelivery(ACC_A, 'dlv_old_pending')).map((a) => a.id)).toEqual(['att_p1']);
        expect((await get('dlv_new_s'))?.status).toBe('succeeded');
        expect((await store.attempts.listForDelivery(ACC_A, 'dlv_new_s')).map((a) => a.id)).toEqual(['att_n1']);
        expect((await get('dlv_finished_late'))?.status).toBe('failed');
        expect((await store.deliveries.list(ACC_A, { limit: 100 })).map((d) => d.id).sort()).toEqual(['dlv_finished_late', 'dlv_new_s', 'dlv_old_pending']);

        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 100)).toBe(0);
        // a later cutoff takes the newer final ones, never the pending one
        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(new Date(Date.now() + 1000), 100)).toBe(2);
        expect((await store.deliveries.list(ACC_A, { limit: 100 })).map((d) => d.id)).toEqual(['dlv_old_pending']);
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_new_s')).toEqual([]);
      });

      it('deletes at most `limit` at a time, oldest first', async () => {
        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 3)).toBe(3);
        expect(await get('dlv_old_s')).toBeNull();
        expect(await get('dlv_old_f')).toBeNull();
        expect(await get('dlv_old_x')).toBeNull();
        expect((await get('dlv_old_c'))?.status).toBe('cancelled');
        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 3)).toBe(1);
        expect(await get('dlv_old_c')).toBeNull();
        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 3)).toBe(0);
      });

      it('leaves a deleted id free: the same delivery can be stored again', async () => {
        expect(await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 100)).toBe(4);
        expect(await store.deliveries.insertMany([newDelivery('dlv_old_s')])).toEqual({ inserted: ['dlv_old_s'] });
        await store.attempts.insert(newAttempt('att_again', 'dlv_old_s', 1));
        expect((await store.attempts.listForDelivery(ACC_A, 'dlv_old_s')).map((a) => a.id)).toEqual(['att_again']);
      });

      it('rejects a limit below 1 and an invalid cutoff with HERALD_VALIDATION', async () => {
        await expectHeraldError(store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, 0), 'HERALD_VALIDATION');
        await expectHeraldError(store.deliveries.deleteFinalOlderThanAcrossAccounts(new Date(Number.NaN), 10), 'HERALD_VALIDATION');
        expect(await get('dlv_old_s')).not.toBeNull();
      });
    });

    describe('retention: attempts.deleteForDeliveriesAcrossAccounts', () => {
      it('deletes every attempt of the given deliveries, of any account, and nothing else', async () => {
        await store.attempts.insert(newAttempt('att_1', 'dlv_1', 1));
        await store.attempts.insert(newAttempt('att_2', 'dlv_1', 2));
        await store.attempts.insert(newAttempt('att_3', 'dlv_2', 1, { account: ACC_B }));
        await store.attempts.insert(newAttempt('att_4', 'dlv_3', 1));
        expect(await store.attempts.deleteForDeliveriesAcrossAccounts(['dlv_1', 'dlv_2', 'dlv_none'])).toBe(3);
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_1')).toEqual([]);
        expect(await store.attempts.listForDelivery(ACC_B, 'dlv_2')).toEqual([]);
        expect((await store.attempts.listForDelivery(ACC_A, 'dlv_3')).map((a) => a.id)).toEqual(['att_4']);
        expect(await store.attempts.deleteForDeliveriesAcrossAccounts([])).toBe(0);
        // the numbers are free again
        await store.attempts.insert(newAttempt('att_5', 'dlv_1', 1));
        expect((await store.attempts.listForDelivery(ACC_A, 'dlv_1')).map((a) => a.id)).toEqual(['att_5']);
      });
    });

    describe('attempts', () => {
      it('lists the attempts of a delivery by number, with every field kept', async () => {
        const third = newAttempt('att_3', 'dlv_1', 3);
        const first = newAttempt('att_1', 'dlv_1', 1, {
          success: false,
          error: { class: 'timeout', message: 'no answer within 10000 ms' },
        });
        delete first.response;
        const second = newAttempt('att_2', 'dlv_1', 2, { success: false });
        await store.attempts.insert(third);
        await store.attempts.insert(first);
        await store.attempts.insert(second);
        await store.attempts.insert(newAttempt('att_x', 'dlv_2', 1));

        const listed = await store.attempts.listForDelivery(ACC_A, 'dlv_1');
        expect(listed).toStrictEqual([first, second, third]);
        expect(listed[0]).not.toHaveProperty('response');
        expect(listed[1]).not.toHaveProperty('error');
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_none')).toEqual([]);
      });

      it('refuses to log the same attempt twice with HERALD_CONFLICT', async () => {
        const original = newAttempt('att_1', 'dlv_1', 1);
        await store.attempts.insert(original);
        await expectHeraldError(store.attempts.insert(newAttempt('att_2', 'dlv_1', 1, { success: false })), 'HERALD_CONFLICT');
        await expectHeraldError(store.attempts.insert(original), 'HERALD_CONFLICT');
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_1')).toStrictEqual([original]);
        // the same number on another delivery is fine
        await store.attempts.insert(newAttempt('att_3', 'dlv_2', 1));
      });

      it('logs a batch with insertMany, skipping the attempts logged already (same delivery and number), in the store or earlier in the batch', async () => {
        const logged = newAttempt('att_1', 'dlv_1', 1);
        await store.attempts.insert(logged);
        const batch = [
          newAttempt('att_1', 'dlv_1', 1),
          newAttempt('att_1b', 'dlv_1', 1, { success: false }),
          newAttempt('att_2', 'dlv_1', 2, { success: false, error: { class: 'timeout', message: 'no answer within 10000 ms' } }),
          newAttempt('att_3', 'dlv_2', 1, { account: ACC_B }),
          newAttempt('att_3b', 'dlv_2', 1, { account: ACC_B, success: false }),
          newAttempt('att_4', 'dlv_3', 1),
        ];
        expect(await store.attempts.insertMany(batch)).toEqual({ inserted: 3 });
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_1')).toStrictEqual([logged, batch[2]]);
        expect(await store.attempts.listForDelivery(ACC_B, 'dlv_2')).toStrictEqual([batch[3]]);
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_2')).toEqual([]);
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_3')).toStrictEqual([batch[5]]);
        // a replayed batch is a no-op, an empty one too
        expect(await store.attempts.insertMany(batch)).toEqual({ inserted: 0 });
        expect(await store.attempts.insertMany([])).toEqual({ inserted: 0 });
        // insert refuses what insertMany logged, and insertMany skips what insert logged
        await expectHeraldError(store.attempts.insert(newAttempt('att_5', 'dlv_3', 1)), 'HERALD_CONFLICT');
        await store.attempts.insert(newAttempt('att_6', 'dlv_3', 2));
        expect(await store.attempts.insertMany([newAttempt('att_7', 'dlv_3', 2), newAttempt('att_8', 'dlv_3', 3)])).toEqual({ inserted: 1 });
        expect((await store.attempts.listForDelivery(ACC_A, 'dlv_3')).map((a) => a.id)).toEqual(['att_4', 'att_6', 'att_8']);
        // retention deletes what insertMany logged
        expect(await store.attempts.deleteForDeliveriesAcrossAccounts(['dlv_1', 'dlv_2', 'dlv_3'])).toBe(6);
        expect(await store.attempts.insertMany(batch)).toEqual({ inserted: 4 });
      });

      it('copies attempts in on insertMany: callers cannot change what is stored', async () => {
        const a = newAttempt('att_1', 'dlv_1', 1);
        await store.attempts.insertMany([a]);
        a.request.headers['x-changed'] = 'yes';
        a.startedAt.setTime(0);
        expect(await store.attempts.listForDelivery(ACC_A, 'dlv_1')).toStrictEqual([newAttempt('att_1', 'dlv_1', 1)]);
      });
    });

    describe('webhooks', () => {
      it('round-trips a webhook without its optional fields', async () => {
        const minimal = newWebhook('wh_1');
        await store.webhooks.upsert(minimal);
        const got = await store.webhooks.get(ACC_A, 'wh_1');
        expect(got).toStrictEqual(minimal);
        for (const key of ['description', 'projects', 'schema', 'retry', 'timeoutMs', 'secretHeaders', 'previousSecrets']) expect(got).not.toHaveProperty(key);
      });

      it('round-trips a webhook with every optional field', async () => {
        const full = fullWebhook('wh_1');
        await store.webhooks.upsert(full);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(full);
      });

      it('replaces a webhook on upsert, dropping fields the new version lacks', async () => {
        await store.webhooks.upsert(fullWebhook('wh_1'));
        const replacement = newWebhook('wh_1', { name: 'renamed', active: false, updatedAt: at(1000) });
        await store.webhooks.upsert(replacement);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(replacement);
        expect(await store.webhooks.list(ACC_A)).toHaveLength(1);
      });

      it('lists the webhooks of the account by id', async () => {
        for (const id of ['wh_c', 'wh_a', 'wh_b']) await store.webhooks.upsert(newWebhook(id));
        await store.webhooks.upsert(newWebhook('wh_z', { account: ACC_B }));
        expect((await store.webhooks.list(ACC_A)).map((w) => w.id)).toEqual(['wh_a', 'wh_b', 'wh_c']);
        expect(await store.webhooks.list(ACC_C)).toEqual([]);
      });

      it('deletes permanently and says whether it existed', async () => {
        await store.webhooks.upsert(newWebhook('wh_1'));
        await store.webhooks.upsert(newWebhook('wh_2'));
        expect(await store.webhooks.delete(ACC_A, 'wh_1')).toBe(true);
        expect(await store.webhooks.delete(ACC_A, 'wh_1')).toBe(false);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toBeNull();
        expect((await store.webhooks.list(ACC_A)).map((w) => w.id)).toEqual(['wh_2']);
      });

      it('copies values in and out: callers cannot change what is stored', async () => {
        const input = fullWebhook('wh_1');
        await store.webhooks.upsert(input);
        input.eventTypes.push('changed');
        input.headers['X-Added'] = 'changed';
        input.secretHeaders!['X-Added'] = 'changed';
        const out = await store.webhooks.get(ACC_A, 'wh_1');
        out!.auth['username'] = 'changed';
        out!.secretHeaders!['X-Vault.Token'] = 'changed';
        out!.retry!.schedule.push(1);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(fullWebhook('wh_1'));
      });
    });

    describe('schemas (account records)', () => {
      function schema(id: string, overrides: Partial<PayloadSchema> = {}): PayloadSchema {
        return {
          id, account: ACC_A, name: `Schema ${id}`, contentType: 'application/json',
          body: '{ "ref": {{ticket:ref}}, "$odd.key": [[1], []], "t": "Grüße 😀" }', strict: false,
          eventTypes: ['ticket.updated'], createdAt: at(0), updatedAt: at(10), ...overrides,
        };
      }

      it('round-trips a schema, optional fields and free-form text included', async () => {
        const full = schema('sch_1', { description: 'with a description', strict: true, contentType: 'application/xml', body: '<a x="{{ ticket.ref }}">{% if t %}\n{% endif %}</a>' });
        await store.schemas.upsert(full);
        await store.schemas.upsert(schema('sch_2'));
        expect(await store.schemas.get(ACC_A, 'sch_1')).toStrictEqual(full);
        expect(await store.schemas.get(ACC_A, 'sch_2')).toStrictEqual(schema('sch_2'));
        expect(await store.schemas.get(ACC_A, 'sch_2')).not.toHaveProperty('description');
      });

      it('keeps accounts apart: another account neither reads, lists, deletes nor takes over an id', async () => {
        await store.schemas.upsert(schema('sch_1'));
        expect(await store.schemas.get(ACC_B, 'sch_1')).toBeNull();
        expect(await store.schemas.list(ACC_B)).toEqual([]);
        expect(await store.schemas.delete(ACC_B, 'sch_1')).toBe(false);
        await expectHeraldError(store.schemas.upsert(schema('sch_1', { account: ACC_B })), 'HERALD_CONFLICT');
        expect(await store.schemas.get(ACC_A, 'sch_1')).toStrictEqual(schema('sch_1'));
      });

      it('replaces on upsert, lists and pages by id, deletes permanently', async () => {
        for (const id of ['sch_c', 'sch_a', 'sch_d', 'sch_b']) await store.schemas.upsert(schema(id));
        await store.schemas.upsert(schema('sch_a', { name: 'renamed', updatedAt: at(99) }));
        expect((await store.schemas.get(ACC_A, 'sch_a'))?.name).toBe('renamed');
        expect((await store.schemas.list(ACC_A)).map((x) => x.id)).toEqual(['sch_a', 'sch_b', 'sch_c', 'sch_d']);
        expect((await store.schemas.page(ACC_A, { limit: 2 })).map((x) => x.id)).toEqual(['sch_a', 'sch_b']);
        expect((await store.schemas.page(ACC_A, { limit: 2, after: 'sch_b' })).map((x) => x.id)).toEqual(['sch_c', 'sch_d']);
        expect((await store.schemas.page(ACC_A, { limit: 2, after: 'sch_bb' })).map((x) => x.id)).toEqual(['sch_c', 'sch_d']);
        await expectHeraldError(store.schemas.page(ACC_A, { limit: 0 }), 'HERALD_VALIDATION');
        expect(await store.schemas.delete(ACC_A, 'sch_c')).toBe(true);
        expect(await store.schemas.delete(ACC_A, 'sch_c')).toBe(false);
        expect((await store.schemas.list(ACC_A)).map((x) => x.id)).toEqual(['sch_a', 'sch_b', 'sch_d']);
      });

      it('keeps rule groups as they are given: condition values of any JSON shape, dotted and $ keys', async () => {
        const group: RuleGroup = {
          id: 'rg_1', account: ACC_A, name: 'Priority', position: 2, active: true, createdAt: at(0), updatedAt: at(5),
          rules: [{
            id: 'r_1', name: 'Priority changed', eventTypes: ['ticket.priority_changed'], match: 'any', stopRules: true, stopGroups: false,
            conditions: [
              { field: 'type', op: 'equals', value: 'ticket.priority_changed' },
              { field: 'data.tags', op: 'contains', value: { 'a.b': [[1], []], $x: null } },
              { field: 'data.priority', op: 'changed' },
            ],
            actions: [{ webhook: 'wh_1', schema: 'sch_1' }, { webhook: 'wh_2', schema: null }],
          }],
        };
        await store.ruleGroups.upsert(group);
        expect(await store.ruleGroups.get(ACC_A, 'rg_1')).toStrictEqual(group);
        expect(await store.ruleGroups.get(ACC_B, 'rg_1')).toBeNull();
        expect(await store.ruleGroups.list(ACC_A)).toStrictEqual([group]);
        expect(await store.schemas.get(ACC_A, 'rg_1')).toBeNull();
      });

      it('copies values in and out', async () => {
        const input = schema('sch_1');
        await store.schemas.upsert(input);
        input.eventTypes.push('changed');
        const out = await store.schemas.get(ACC_A, 'sch_1');
        out!.eventTypes.push('changed too');
        out!.createdAt.setTime(0);
        expect(await store.schemas.get(ACC_A, 'sch_1')).toStrictEqual(schema('sch_1'));
      });
    });

    describe('dedup claims', () => {
      const t0 = at(1_000_000);
      const later = (ms: number) => new Date(t0.getTime() + ms);

      it('gives a key to the first delivery, suppresses others within the window, and takes a new claim after it', async () => {
        expect(await store.dedup.claim(ACC_A, 'wh_1|null|ticket|1', 'dlv_1', t0, later(60_000))).toBe('dlv_1');
        expect(await store.dedup.claim(ACC_A, 'wh_1|null|ticket|1', 'dlv_2', later(59_999), later(119_999))).toBe('dlv_1');
        // claiming again is a no-op for the holder, also after its window
        expect(await store.dedup.claim(ACC_A, 'wh_1|null|ticket|1', 'dlv_1', later(10), later(60_010))).toBe('dlv_1');
        expect(await store.dedup.claim(ACC_A, 'wh_1|null|ticket|1', 'dlv_3', later(60_000), later(120_000))).toBe('dlv_3');
        expect(await store.dedup.claim(ACC_A, 'wh_1|null|ticket|1', 'dlv_4', later(61_000), later(121_000))).toBe('dlv_3');
        // other keys and other accounts are apart
        expect(await store.dedup.claim(ACC_A, 'wh_1|null|ticket|2', 'dlv_5', later(61_000), later(121_000))).toBe('dlv_5');
        expect(await store.dedup.claim(ACC_B, 'wh_1|null|ticket|1', 'dlv_6', later(61_000), later(121_000))).toBe('dlv_6');
      });

      it('lets exactly one of many concurrent claimers of a key win', async () => {
        const ids = Array.from({ length: 8 }, (_, i) => `dlv_c${i}`);
        const holders = await Promise.all(ids.map((id) => store.dedup.claim(ACC_A, 'k', id, t0, later(60_000))));
        expect(new Set(holders).size).toBe(1);
        expect(ids).toContain(holders[0]);
      });

      it('sweeps ended claims without letting a key be claimed twice', async () => {
        await store.dedup.claim(ACC_A, 'k1', 'dlv_1', t0, later(1_000));
        await store.dedup.claim(ACC_A, 'k1', 'dlv_2', later(2_000), later(3_000));
        await store.dedup.claim(ACC_A, 'k2', 'dlv_3', t0, later(100_000));
        expect(await store.dedup.deleteExpiredAcrossAccounts(later(50_000), 100)).toBeGreaterThanOrEqual(1);
        // k2 still holds; k1 is free again and claimed once
        expect(await store.dedup.claim(ACC_A, 'k2', 'dlv_4', later(60_000), later(70_000))).toBe('dlv_3');
        const again = await Promise.all(['dlv_5', 'dlv_6'].map((id) => store.dedup.claim(ACC_A, 'k1', id, later(60_000), later(70_000))));
        expect(again[0]).toBe(again[1]);
      });

      describe('claimMany (a whole batch at once)', () => {
        const c = (key: string, deliveryId: string, until: Date, account = ACC_A) => ({ account, key, deliveryId, until });

        it('lets every claim of a batch of distinct keys win, and holds them for the window', async () => {
          const claims = Array.from({ length: 60 }, (_, i) => c(`k${i}`, `dlv_${i}`, later(60_000), i % 2 === 0 ? ACC_A : ACC_B));
          expect(await store.dedup.claimMany(claims, t0)).toStrictEqual(claims.map((x) => x.deliveryId));
          const others = claims.map((x) => ({ ...x, deliveryId: `${x.deliveryId}_other` }));
          expect(await store.dedup.claimMany(others, later(59_999))).toStrictEqual(claims.map((x) => x.deliveryId));
          expect(await store.dedup.claim(ACC_A, 'k0', 'dlv_x', later(1), later(60_001))).toBe('dlv_0');
          // the same key in another account is another key
          expect(await store.dedup.claimMany([c('k1', 'dlv_y', later(60_001))], later(1))).toStrictEqual(['dlv_y']);
          expect(await store.dedup.claimMany([], t0)).toStrictEqual([]);
        });

        it('answers the holder of a held key, takes over an ended one, and claims a new one, in one call', async () => {
          expect(await store.dedup.claim(ACC_A, 'held', 'dlv_1', t0, later(60_000))).toBe('dlv_1');
          expect(await store.dedup.claim(ACC_A, 'ended', 'dlv_2', t0, later(1_000))).toBe('dlv_2');
          const holders = await store.dedup.claimMany(
            [c('held', 'dlv_3', later(61_000)), c('ended', 'dlv_4', later(61_000)), c('new', 'dlv_5', later(61_000))],
            later(1_000),
          );
          expect(holders).toStrictEqual(['dlv_1', 'dlv_4', 'dlv_5']);
          // the one that took over holds it now, also against the one it took it from
          expect(await store.dedup.claimMany([c('ended', 'dlv_2', later(62_000)), c('ended', 'dlv_6', later(62_000))], later(2_000))).toStrictEqual([
            'dlv_4',
            'dlv_4',
          ]);
          // and the held key is free once its window ended (until is exclusive)
          expect(await store.dedup.claimMany([c('held', 'dlv_7', later(120_000))], later(60_000))).toStrictEqual(['dlv_7']);
        });

        it('decides claims of one key within a call in order: the first claims, the later ones are held by its holder', async () => {
          expect(
            await store.dedup.claimMany(
              [c('k', 'dlv_1', later(60_000)), c('k', 'dlv_2', later(60_000)), c('other', 'dlv_3', later(60_000)), c('k', 'dlv_1', later(60_000)), c('k', 'dlv_4', later(60_000))],
              t0,
            ),
          ).toStrictEqual(['dlv_1', 'dlv_1', 'dlv_3', 'dlv_1', 'dlv_1']);
          // when the key is held already, by the holder's claim too
          expect(await store.dedup.claimMany([c('k', 'dlv_5', later(70_000)), c('k', 'dlv_1', later(70_000)), c('k', 'dlv_6', later(70_000))], later(10))).toStrictEqual([
            'dlv_1',
            'dlv_1',
            'dlv_1',
          ]);
          // a first claim that loses makes the later ones of the call lose to the same holder
          expect(await store.dedup.claimMany([c('other', 'dlv_7', later(70_000)), c('other', 'dlv_8', later(70_000))], later(10))).toStrictEqual(['dlv_3', 'dlv_3']);
        });

        it('returns the same holders when a call is replayed (own claims are kept, not taken twice)', async () => {
          await store.dedup.claim(ACC_A, 'held', 'dlv_0', t0, later(60_000));
          await store.dedup.claim(ACC_A, 'ended', 'dlv_00', t0, later(500));
          const claims = [
            c('held', 'dlv_1', later(61_000)),
            c('ended', 'dlv_2', later(61_000)),
            c('fresh', 'dlv_3', later(61_000)),
            c('fresh', 'dlv_4', later(61_000)),
            c('fresh2', 'dlv_5', later(61_000), ACC_B),
          ];
          const first = await store.dedup.claimMany(claims, later(1_000));
          expect(first).toStrictEqual(['dlv_0', 'dlv_2', 'dlv_3', 'dlv_3', 'dlv_5']);
          expect(await store.dedup.claimMany(claims, later(1_000))).toStrictEqual(first);
          expect(await store.dedup.claimMany(claims, later(30_000))).toStrictEqual(first);
          // own claims are kept also after their window
          expect(await store.dedup.claimMany([claims[1]!, claims[2]!, claims[4]!], later(90_000))).toStrictEqual(['dlv_2', 'dlv_3', 'dlv_5']);
        });

        it('takes over a key whose claim ended, again and again', async () => {
          for (let round = 0; round < 12; round++) {
            const now = later(round * 10_000);
            const holders = await store.dedup.claimMany([c('k', `dlv_${round}`, new Date(now.getTime() + 10_000)), c('k', `dlv_${round}_b`, now)], now);
            expect(holders).toStrictEqual([`dlv_${round}`, `dlv_${round}`]);
            expect(await store.dedup.claim(ACC_A, 'k', 'dlv_late', new Date(now.getTime() + 9_999), later(999_999))).toBe(`dlv_${round}`);
          }
        });

        it('never lets two concurrent calls both win a key', async () => {
          const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
          for (let round = 0; round < 20; round++) {
            // every round after the first takes over keys whose claims just ended
            const now = later(round * 100_000);
            const until = new Date(now.getTime() + 50_000);
            const a = keys.slice(0, 8).map((k) => c(k, `dlv_a${round}_${k}`, until));
            const b = keys.slice(4).map((k) => c(k, `dlv_b${round}_${k}`, until));
            // and the same key twice within a call
            a.push(c('k5', `dlv_a${round}_again`, until));
            const [ha, hb] = await Promise.all([store.dedup.claimMany(a, now), store.dedup.claimMany(b, now)]);
            const holderOf = new Map<string, string>();
            a.forEach((x, i) => {
              const known = holderOf.get(x.key);
              if (known === undefined) holderOf.set(x.key, ha[i]!);
              else expect(ha[i]).toBe(known);
            });
            b.forEach((x, i) => {
              const known = holderOf.get(x.key);
              if (known === undefined) holderOf.set(x.key, hb[i]!);
              else expect(hb[i], `round ${round}, key ${x.key}`).toBe(known);
            });
            for (const k of keys) {
              expect([`dlv_a${round}_${k}`, `dlv_b${round}_${k}`]).toContain(holderOf.get(k));
              // and the store agrees afterwards
              expect(await store.dedup.claim(ACC_A, k, 'dlv_probe', new Date(now.getTime() + 1), later(9_999_999))).toBe(holderOf.get(k));
            }
          }
        });

        it('claims keys again after deleteExpiredAcrossAccounts, and keeps the ones that hold', async () => {
          // several generations of k1..k3, then a claim of k4 that outlives the sweep
          for (let round = 0; round < 4; round++) {
            const now = later(round * 2_000);
            await store.dedup.claimMany([c('k1', `dlv_1_${round}`, later(round * 2_000 + 1_000)), c('k2', `dlv_2_${round}`, later(round * 2_000 + 1_000)), c('k3', `dlv_3_${round}`, later(round * 2_000 + 1_000), ACC_B)], now);
          }
          await store.dedup.claim(ACC_A, 'k4', 'dlv_4', later(7_000), later(500_000));
          let swept = 0;
          for (let i = 0; i < 10; i++) swept += await store.dedup.deleteExpiredAcrossAccounts(later(100_000), 2);
          expect(swept).toBeGreaterThanOrEqual(3);
          expect(await store.dedup.deleteExpiredAcrossAccounts(later(100_000), 100)).toBe(0);
          const now = later(200_000);
          const until = later(260_000);
          expect(await store.dedup.claimMany([c('k1', 'dlv_n1', until), c('k2', 'dlv_n2', until), c('k3', 'dlv_n3', until, ACC_B), c('k4', 'dlv_n4', until)], now)).toStrictEqual([
            'dlv_n1',
            'dlv_n2',
            'dlv_n3',
            'dlv_4',
          ]);
          expect(await store.dedup.claimMany([c('k1', 'dlv_m1', until), c('k3', 'dlv_m3', until, ACC_B)], later(200_001))).toStrictEqual(['dlv_n1', 'dlv_n3']);
          // and concurrent claimers of a swept key still agree
          await store.dedup.deleteExpiredAcrossAccounts(later(300_000), 100);
          const both = await Promise.all(['dlv_p', 'dlv_q'].map((id) => store.dedup.claimMany([c('k2', id, later(400_000))], later(300_000))));
          expect(both[0]).toStrictEqual(both[1]);
          expect(['dlv_p', 'dlv_q']).toContain(both[0]![0]);
        });
      });
    });

    describe('endpoint health (F14): webhookHealth and the webhook fields it sets', () => {
      const none = { consecutiveFailures: 0, failingSince: null };

      it('knows nothing of a webhook that never failed', async () => {
        expect(await store.webhookHealth.get(ACC_A, 'wh_1')).toStrictEqual(none);
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', true, at(0))).toStrictEqual(none);
        expect(await store.webhookHealth.get(ACC_A, 'wh_1')).toStrictEqual(none);
      });

      it('counts failures since the first of the run; a success clears the run and the next failure starts another', async () => {
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(1_000))).toStrictEqual({ consecutiveFailures: 1, failingSince: at(1_000) });
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(2_000))).toStrictEqual({ consecutiveFailures: 2, failingSince: at(1_000) });
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(3_000))).toStrictEqual({ consecutiveFailures: 3, failingSince: at(1_000) });
        expect(await store.webhookHealth.get(ACC_A, 'wh_1')).toStrictEqual({ consecutiveFailures: 3, failingSince: at(1_000) });
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', true, at(4_000))).toStrictEqual(none);
        expect(await store.webhookHealth.get(ACC_A, 'wh_1')).toStrictEqual(none);
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(5_000))).toStrictEqual({ consecutiveFailures: 1, failingSince: at(5_000) });
      });

      it('resets a run, and keeps webhooks and accounts apart', async () => {
        await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(0));
        await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(1));
        await store.webhookHealth.recordOutcome(ACC_A, 'wh_2', false, at(2));
        await store.webhookHealth.recordOutcome(ACC_B, 'wh_1', false, at(3));
        expect(await store.webhookHealth.get(ACC_C, 'wh_1')).toStrictEqual(none);
        await store.webhookHealth.reset(ACC_A, 'wh_1');
        await store.webhookHealth.reset(ACC_C, 'wh_2');
        expect(await store.webhookHealth.get(ACC_A, 'wh_1')).toStrictEqual(none);
        expect(await store.webhookHealth.get(ACC_A, 'wh_2')).toStrictEqual({ consecutiveFailures: 1, failingSince: at(2) });
        expect(await store.webhookHealth.get(ACC_B, 'wh_1')).toStrictEqual({ consecutiveFailures: 1, failingSince: at(3) });
        await store.webhookHealth.reset(ACC_A, 'wh_1');
        expect(await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(9))).toStrictEqual({ consecutiveFailures: 1, failingSince: at(9) });
      });

      it('records concurrent failures without failing; it may undercount them (never overcount)', async () => {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(100 + i))));
        for (const r of results) expect(r.consecutiveFailures).toBeGreaterThanOrEqual(1);
        const after = await store.webhookHealth.get(ACC_A, 'wh_1');
        expect(after.consecutiveFailures).toBeGreaterThanOrEqual(1);
        expect(after.consecutiveFailures).toBeLessThanOrEqual(8);
        expect(after.failingSince!.getTime()).toBeGreaterThanOrEqual(at(100).getTime());
        expect(after.failingSince!.getTime()).toBeLessThanOrEqual(at(107).getTime());
        // and the run goes on from there
        expect((await store.webhookHealth.recordOutcome(ACC_A, 'wh_1', false, at(200))).consecutiveFailures).toBe(after.consecutiveFailures + 1);
      });

      it('round-trips the limits and the disabled reason of a webhook, and drops them when a replacement lacks them', async () => {
        const disabled = newWebhook('wh_1', { active: false, maxConcurrency: 4, rateLimitPerSecond: 250, disabledReason: 'the endpoint answered 410 Gone', disabledAt: at(5_000) });
        await store.webhooks.upsert(disabled);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(disabled);
        expect(await store.webhooks.list(ACC_A)).toStrictEqual([disabled]);
        const enabled = newWebhook('wh_1', { active: true });
        await store.webhooks.upsert(enabled);
        const got = await store.webhooks.get(ACC_A, 'wh_1');
        expect(got).toStrictEqual(enabled);
        for (const key of ['maxConcurrency', 'rateLimitPerSecond', 'disabledReason', 'disabledAt']) expect(got).not.toHaveProperty(key);
      });
    });

    describe('webhooks.page and count', () => {
      // 23 webhooks of ACC_A inserted out of order, and a few of ACC_B around them.
      const ids = Array.from({ length: 23 }, (_, i) => `wh_${String(i).padStart(2, '0')}`);
      const active = (i: number) => i % 3 !== 0;
      const types = (i: number) => (i % 2 === 0 ? ['ticket.created', 'ticket.updated'] : i % 5 === 0 ? [] : ['ticket.updated']);

      beforeEach(async () => {
        for (const id of [...ids].sort((x, y) => hash(x) - hash(y))) {
          const i = ids.indexOf(id);
          await store.webhooks.upsert(newWebhook(id, { active: active(i), eventTypes: types(i) }));
        }
        for (const id of ['wh_00b', 'wh_05b', 'wh_99']) await store.webhooks.upsert(newWebhook(id, { account: ACC_B }));
      });

      async function pages(query: { active?: boolean; eventType?: string }, limit: number): Promise<string[][]> {
        const out: string[][] = [];
        let after: string | undefined;
        for (let guard = 0; guard < 100; guard++) {
          const page = await store.webhooks.page(ACC_A, { ...query, limit, ...(after === undefined ? {} : { after }) });
          if (page.length === 0) return out;
          expect(page.every((w) => w.account === ACC_A)).toBe(true);
          out.push(page.map((w) => w.id));
          after = page[page.length - 1]!.id;
        }
        throw new Error('pagination did not end');
      }

      it('pages by id with the cursor: every webhook of the account exactly once, in order', async () => {
        const all = await pages({}, 10);
        expect(all.map((p) => p.length)).toEqual([10, 10, 3]);
        expect(all.flat()).toEqual(ids);
        expect(await store.webhooks.page(ACC_A, { limit: 100 })).toStrictEqual(await store.webhooks.list(ACC_A));
        expect(await store.webhooks.page(ACC_A, { limit: 10, after: ids[22]! })).toEqual([]);
        expect((await store.webhooks.page(ACC_B, { limit: 10 })).map((w) => w.id)).toEqual(['wh_00b', 'wh_05b', 'wh_99']);
        expect(await store.webhooks.page(ACC_C, { limit: 10 })).toEqual([]);
      });

      it('filters by active and by event type (exact), alone and together, with pagination', async () => {
        const expectIds = (pred: (i: number) => boolean) => ids.filter((_, i) => pred(i));
        expect((await pages({ active: true }, 4)).flat()).toEqual(expectIds(active));
        expect((await pages({ active: false }, 4)).flat()).toEqual(expectIds((i) => !active(i)));
        expect((await pages({ eventType: 'ticket.created' }, 4)).flat()).toEqual(expectIds((i) => i % 2 === 0));
        expect((await pages({ eventType: 'ticket.updated' }, 4)).flat()).toEqual(expectIds((i) => types(i).length > 0));

        const both = expectIds((i) => !active(i) && types(i).includes('ticket.updated'));
        expect(both.length).toBeGreaterThan(3);
        const paged = await pages({ active: false, eventType: 'ticket.updated' }, 2);
        expect(paged.every((p) => p.length <= 2)).toBe(true);
        expect(paged.flat()).toEqual(both);

        for (const eventType of ['ticket', 'ticket.*', 'TICKET.UPDATED', 'updated']) {
          expect(await store.webhooks.page(ACC_A, { limit: 100, eventType }), eventType).toEqual([]);
        }
      });

      it('starts after the cursor id whether or not that webhook exists or matches the filter', async () => {
        // wh_03 is inactive; wh_04x and wh_05b are no webhooks of ACC_A
        expect((await store.webhooks.page(ACC_A, { limit: 3, active: true, after: 'wh_03' })).map((w) => w.id)).toEqual(['wh_04', 'wh_05', 'wh_07']);
        expect((await store.webhooks.page(ACC_A, { limit: 2, after: 'wh_04x' })).map((w) => w.id)).toEqual(['wh_05', 'wh_06']);
        expect((await store.webhooks.page(ACC_A, { limit: 2, after: 'wh_05b' })).map((w) => w.id)).toEqual(['wh_06', 'wh_07']);
        await store.webhooks.delete(ACC_A, 'wh_10');
        expect((await store.webhooks.page(ACC_A, { limit: 2, after: 'wh_10' })).map((w) => w.id)).toEqual(['wh_11', 'wh_12']);
      });

      it('rejects a limit below 1 or not whole', async () => {
        await expectHeraldError(store.webhooks.page(ACC_A, { limit: 0 }), 'HERALD_VALIDATION');
        await expectHeraldError(store.webhooks.page(ACC_A, { limit: 2.5 }), 'HERALD_VALIDATION');
      });

      it('counts the webhooks of the account only, active or not', async () => {
        expect(await store.webhooks.count(ACC_A)).toBe(23);
        expect(await store.webhooks.count(ACC_B)).toBe(3);
        expect(await store.webhooks.count(ACC_C)).toBe(0);
        await store.webhooks.delete(ACC_A, 'wh_00');
        await store.webhooks.upsert(newWebhook('wh_01', { name: 'replaced' }));
        expect(await store.webhooks.count(ACC_A)).toBe(22);
      });
    });

    describe('webhook encryption at rest', () => {
      let keyed: StoreUnderTest;

      beforeEach(async () => {
        keyed = await open({ encryptionKey: KEY_1 });
      });

      it('round-trips webhooks unchanged through a store with a key, and through another store with the same key', async () => {
        const full = fullWebhook('wh_1');
        const minimal = newWebhook('wh_2');
        await keyed.store.webhooks.upsert(full);
        await keyed.store.webhooks.upsert(minimal);
        await keyed.store.webhooks.upsert(newWebhook('wh_3', { account: ACC_B, auth: { type: 'basic', username: 'u', password: 'p' } }));
        for (const s of [keyed.store, await reopen(keyed, { encryptionKey: Buffer.from(KEY_1) })]) {
          expect(await s.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(full);
          expect(await s.webhooks.get(ACC_A, 'wh_2')).toStrictEqual(minimal);
          expect(await s.webhooks.list(ACC_A)).toStrictEqual([full, minimal]);
          expect(await s.webhooks.page(ACC_A, { limit: 1, after: 'wh_1' })).toStrictEqual([minimal]);
          expect((await s.webhooks.get(ACC_B, 'wh_3'))?.auth).toStrictEqual({ type: 'basic', username: 'u', password: 'p' });
        }
      });

      it('fails to read with another key: HERALD_CONFIG_INVALID naming the webhook and the key mismatch', async () => {
        await keyed.store.webhooks.upsert(fullWebhook('wh_1'));
        const other = await reopen(keyed, { encryptionKey: KEY_2 });
        for (const read of [
          () => other.webhooks.get(ACC_A, 'wh_1'),
          () => other.webhooks.list(ACC_A),
          () => other.webhooks.page(ACC_A, { limit: 10 }),
        ]) {
          const err = await expectHeraldError(read(), 'HERALD_CONFIG_INVALID');
          expect(err.message).toContain('wh_1');
          expect(err.message).toMatch(/encryption key does not match/);
          expect(err.message).not.toContain('whsec_');
        }
        // what needs no decryption still works, and nothing was changed by the failed reads
        expect(await other.webhooks.count(ACC_A)).toBe(1);
        expect(await other.webhooks.get(ACC_B, 'wh_1')).toBeNull();
        expect(await keyed.store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(fullWebhook('wh_1'));
        // the other key's store writes with its own key
        await other.webhooks.upsert(newWebhook('wh_2'));
        expect(await other.webhooks.get(ACC_A, 'wh_2')).toStrictEqual(newWebhook('wh_2'));
        await expectHeraldError(keyed.store.webhooks.get(ACC_A, 'wh_2'), 'HERALD_CONFIG_INVALID');
        expect(await other.webhooks.delete(ACC_A, 'wh_1')).toBe(true);
      });

      it('fails to read encrypted values without a key', async () => {
        await keyed.store.webhooks.upsert(newWebhook('wh_1'));
        const clear = await reopen(keyed, {});
        const err = await expectHeraldError(clear.webhooks.get(ACC_A, 'wh_1'), 'HERALD_CONFIG_INVALID');
        expect(err.message).toContain('wh_1');
        expect(err.message).toMatch(/encrypted/);
      });

      it('reads values written in clear before a key was set, and encrypts them on their next write', async () => {
        await store.webhooks.upsert(fullWebhook('wh_1'));
        const withKey = await reopen(made, { encryptionKey: KEY_1 });
        expect(await withKey.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(fullWebhook('wh_1'));
        await withKey.webhooks.upsert(fullWebhook('wh_1'));
        expect(await withKey.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(fullWebhook('wh_1'));
        // now encrypted: the store without a key can no longer read it
        await expectHeraldError(store.webhooks.get(ACC_A, 'wh_1'), 'HERALD_CONFIG_INVALID');
      });

      it('keeps the secret headers, names and values, out of the stored record with a key; in clear without one', async () => {
        const webhook = fullWebhook('wh_1');
        await keyed.store.webhooks.upsert(webhook);
        const sealed = await keyed.rawWebhook(keyed.store, ACC_A, 'wh_1');
        expect(sealed).not.toBeNull();
        for (const [name, value] of Object.entries(SECRET_HEADERS)) {
          expect(sealed).not.toContain(value);
          expect(sealed).not.toContain(name);
        }
        // what is not secret stays readable in the record
        expect(sealed).toContain('X-Tenant');
        expect(await keyed.store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(webhook);
        // the ciphertext is bound to its webhook: another key does not open it
        await expectHeraldError((await reopen(keyed, { encryptionKey: KEY_2 })).webhooks.get(ACC_A, 'wh_1'), 'HERALD_CONFIG_INVALID');

        await store.webhooks.upsert(webhook);
        const clear = await made.rawWebhook(store, ACC_A, 'wh_1');
        for (const value of Object.values(SECRET_HEADERS)) expect(clear).toContain(value);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(webhook);
      });

      it('stores an empty map of secret headers as none, and drops them when the webhook is replaced without', async () => {
        for (const under of [keyed, made]) {
          const s = under.store;
          await s.webhooks.upsert(newWebhook('wh_1', { secretHeaders: {} }));
          expect(await s.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(newWebhook('wh_1'));
          await s.webhooks.upsert(newWebhook('wh_1', { secretHeaders: { 'X-Once': 'sh-once-value' } }));
          expect((await s.webhooks.get(ACC_A, 'wh_1'))?.secretHeaders).toStrictEqual({ 'X-Once': 'sh-once-value' });
          await s.webhooks.upsert(newWebhook('wh_1'));
          expect(await s.webhooks.get(ACC_A, 'wh_1')).not.toHaveProperty('secretHeaders');
          expect(await under.rawWebhook(s, ACC_A, 'wh_1')).not.toContain('sh-once-value');
          await s.webhooks.delete(ACC_A, 'wh_1');
        }
      });

      it('refuses an encryption key that is not 32 bytes', async () => {
        for (const encryptionKey of [Buffer.alloc(16, 1), Buffer.alloc(31, 1), Buffer.alloc(64, 1)]) {
          const err = await expectHeraldError(makeStore({ encryptionKey }), 'HERALD_CONFIG_INVALID');
          expect(err.message).toContain('32 bytes');
        }
      });
    });

    describe('accounts', () => {
      it('creates and reads an account; an unknown id is null', async () => {
        const account = newAccount('acc_1');
        await store.accounts.create(account);
        expect(await store.accounts.get('acc_1')).toStrictEqual(account);
        expect(await store.accounts.get('acc_2')).toBeNull();
      });

      it('refuses an id that exists with HERALD_CONFLICT and keeps the original', async () => {
        await store.accounts.create(newAccount('acc_1'));
        await expectHeraldError(store.accounts.create(newAccount('acc_1', { name: 'Other', webhooksEnabled: false })), 'HERALD_CONFLICT');
        expect(await store.accounts.get('acc_1')).toStrictEqual(newAccount('acc_1'));
      });

      it('lists by id with the cursor: every account exactly once, in order', async () => {
        const ids = Array.from({ length: 23 }, (_, i) => `acc_${String(i).padStart(2, '0')}`);
        for (const id of [...ids].sort((x, y) => hash(x) - hash(y))) await store.accounts.create(newAccount(id));
        const pages: string[][] = [];
        let after: string | undefined;
        for (let guard = 0; guard < 10; guard++) {
          const page = await store.accounts.list({ limit: 10, ...(after === undefined ? {} : { after }) });
          if (page.length === 0) break;
          pages.push(page.map((a) => a.id));
          after = page[page.length - 1]!.id;
        }
        expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
        expect(pages.flat()).toEqual(ids);
        expect(await store.accounts.list({ limit: 1 })).toStrictEqual([newAccount('acc_00')]);
        // the cursor is a position, not necessarily an account
        expect((await store.accounts.list({ limit: 2, after: 'acc_10x' })).map((a) => a.id)).toEqual(['acc_11', 'acc_12']);
        expect(await store.accounts.list({ limit: 2, after: 'acc_22' })).toEqual([]);
        await expectHeraldError(store.accounts.list({ limit: 0 }), 'HERALD_VALIDATION');
      });

      it('updates the given fields and updatedAt only; an unknown id is null and not created', async () => {
        await store.accounts.create(newAccount('acc_1'));
        await store.accounts.create(newAccount('acc_2'));
        const renamed = await store.accounts.update('acc_1', { name: 'Renamed' }, at(1000));
        expect(renamed).toStrictEqual({ ...newAccount('acc_1'), name: 'Renamed', updatedAt: at(1000) });
        expect(await store.accounts.get('acc_1')).toStrictEqual(renamed);

        const disabled = await store.accounts.update('acc_1', { webhooksEnabled: false }, at(2000));
        expect(disabled).toStrictEqual({ ...newAccount('acc_1'), name: 'Renamed', webhooksEnabled: false, updatedAt: at(2000) });
        expect(await store.accounts.update('acc_1', {}, at(3000))).toStrictEqual({ ...disabled, updatedAt: at(3000) });
        expect(await store.accounts.get('acc_2')).toStrictEqual(newAccount('acc_2'));

        const before = Date.now();
        const now = await store.accounts.update('acc_2', { name: 'Now' });
        expect(now!.updatedAt.getTime()).toBeGreaterThanOrEqual(before);

        expect(await store.accounts.update('acc_nope', { name: 'x' }, at(1))).toBeNull();
        expect(await store.accounts.get('acc_nope')).toBeNull();
      });

      it('copies values in and out', async () => {
        const input = newAccount('acc_1');
        await store.accounts.create(input);
        input.name = 'changed';
        input.createdAt.setTime(0);
        (await store.accounts.get('acc_1'))!.updatedAt.setTime(0);
        (await store.accounts.update('acc_1', {}, at(5)))!.updatedAt.setTime(0);
        expect(await store.accounts.get('acc_1')).toStrictEqual({ ...newAccount('acc_1'), updatedAt: at(5) });
      });
    });

    describe('apiKeys', () => {
      it('inserts and reads a key with every field', async () => {
        const key = newApiKey('key_1');
        const used = newApiKey('key_2', { role: 'read', lastUsedAt: at(-1000) });
        await store.apiKeys.insert(key);
        await store.apiKeys.insert(used);
        expect(await store.apiKeys.get(ACC_A, 'key_1')).toStrictEqual(key);
        expect(await store.apiKeys.get(ACC_A, 'key_2')).toStrictEqual(used);
        expect(await store.apiKeys.get(ACC_A, 'key_3')).toBeNull();
      });

      it('refuses a duplicate id or a duplicate hash (in any account) with HERALD_CONFLICT', async () => {
        await store.apiKeys.insert(newApiKey('key_1'));
        await expectHeraldError(store.apiKeys.insert(newApiKey('key_1', { hash: sha('other') })), 'HERALD_CONFLICT');
        await expectHeraldError(store.apiKeys.insert(newApiKey('key_2', { hash: sha('key_1') })), 'HERALD_CONFLICT');
        await expectHeraldError(store.apiKeys.insert(newApiKey('key_3', { account: ACC_B, hash: sha('key_1') })), 'HERALD_CONFLICT');
        expect(await store.apiKeys.list(ACC_A)).toStrictEqual([newApiKey('key_1')]);
        expect(await store.apiKeys.list(ACC_B)).toEqual([]);
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('other'))).toBeNull();
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_1'))).toStrictEqual(newApiKey('key_1'));
      });

      it("finds an active key by hash whichever account holds it, and never a revoked one", async () => {
        await store.apiKeys.insert(newApiKey('key_a'));
        await store.apiKeys.insert(newApiKey('key_b', { account: ACC_B, role: 'read' }));
        await store.apiKeys.insert(newApiKey('key_old', { revokedAt: at(-1) }));
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_a'))).toStrictEqual(newApiKey('key_a'));
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_b'))).toStrictEqual(newApiKey('key_b', { account: ACC_B, role: 'read' }));
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_old'))).toBeNull();
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('nope'))).toBeNull();
        expect(await store.apiKeys.findActiveByHashAcrossAccounts('key_a')).toBeNull();

        await store.apiKeys.revoke(ACC_B, 'key_b', at(0));
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_b'))).toBeNull();
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_a'))).not.toBeNull();
      });

      it('lists the keys of the account, revoked ones included, by createdAt then id', async () => {
        const keys = [
          newApiKey('key_c', { createdAt: at(-3000) }),
          newApiKey('key_b', { createdAt: at(-1000) }),
          newApiKey('key_a', { createdAt: at(-1000), revokedAt: at(-500) }),
          newApiKey('key_d', { createdAt: at(-2000), lastUsedAt: at(-100) }),
        ];
        for (const k of keys) await store.apiKeys.insert(k);
        await store.apiKeys.insert(newApiKey('key_z', { account: ACC_B, createdAt: at(-5000) }));
        expect(await store.apiKeys.list(ACC_A)).toStrictEqual([keys[0], keys[3], keys[2], keys[1]]);
        expect((await store.apiKeys.list(ACC_B)).map((k) => k.id)).toEqual(['key_z']);
        expect(await store.apiKeys.list(ACC_C)).toEqual([]);
      });

      it('revokes idempotently: the first revokedAt stays', async () => {
        await store.apiKeys.insert(newApiKey('key_1'));
        const revoked = await store.apiKeys.revoke(ACC_A, 'key_1', at(1000));
        expect(revoked).toStrictEqual({ ...newApiKey('key_1'), revokedAt: at(1000) });
        expect(await store.apiKeys.revoke(ACC_A, 'key_1', at(2000))).toStrictEqual(revoked);
        expect(await store.apiKeys.get(ACC_A, 'key_1')).toStrictEqual(revoked);
        expect(await store.apiKeys.list(ACC_A)).toStrictEqual([revoked]);
        expect(await store.apiKeys.revoke(ACC_A, 'key_nope', at(1000))).toBeNull();

        await store.apiKeys.insert(newApiKey('key_2'));
        const before = Date.now();
        const now = await store.apiKeys.revoke(ACC_A, 'key_2');
        expect(now!.revokedAt!.getTime()).toBeGreaterThanOrEqual(before);
      });

      it('keeps the first revokedAt when revocations race', async () => {
        await store.apiKeys.insert(newApiKey('key_1'));
        const times = [1000, 2000, 3000, 4000, 5000].map(at);
        const results = await Promise.all(times.map((t) => store.apiKeys.revoke(ACC_A, 'key_1', t)));
        const first = results[0]!.revokedAt!;
        expect(times.map((t) => t.getTime())).toContain(first.getTime());
        expect(results.map((r) => r?.revokedAt)).toEqual(times.map(() => first));
        expect((await store.apiKeys.get(ACC_A, 'key_1'))?.revokedAt).toEqual(first);
      });

      it('touch records the last use, ignores unknown keys, and never undoes a revocation it races with', async () => {
        await store.apiKeys.insert(newApiKey('key_1'));
        await store.apiKeys.touch(ACC_A, 'key_1', at(100));
        expect(await store.apiKeys.get(ACC_A, 'key_1')).toStrictEqual({ ...newApiKey('key_1'), lastUsedAt: at(100) });
        await store.apiKeys.touch(ACC_A, 'key_1', at(200));
        expect((await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_1')))?.lastUsedAt).toEqual(at(200));
        await expect(store.apiKeys.touch(ACC_A, 'key_nope', at(300))).resolves.toBeUndefined();
        expect(await store.apiKeys.get(ACC_A, 'key_nope')).toBeNull();

        for (let round = 0; round < 5; round++) {
          const id = `key_race_${round}`;
          await store.apiKeys.insert(newApiKey(id));
          const touches = (from: number) => Array.from({ length: 6 }, (_, i) => store.apiKeys.touch(ACC_A, id, at(from + i)));
          await Promise.all([...touches(0), store.apiKeys.revoke(ACC_A, id, at(50)), ...touches(10)]);
          expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha(id)), id).toBeNull();
          expect((await store.apiKeys.get(ACC_A, id))?.revokedAt, id).toEqual(at(50));
        }
      });

      it("never shows, revokes or touches another account's keys", async () => {
        const theirs = newApiKey('key_b', { account: ACC_B });
        await store.apiKeys.insert(theirs);
        expect(await store.apiKeys.get(ACC_A, 'key_b')).toBeNull();
        expect(await store.apiKeys.list(ACC_A)).toEqual([]);
        expect(await store.apiKeys.revoke(ACC_A, 'key_b', at(1))).toBeNull();
        await store.apiKeys.touch(ACC_A, 'key_b', at(2));
        expect(await store.apiKeys.get(ACC_B, 'key_b')).toStrictEqual(theirs);
        expect(await store.apiKeys.findActiveByHashAcrossAccounts(sha('key_b'))).toStrictEqual(theirs);
      });

      it('copies values in and out', async () => {
        const input = newApiKey('key_1');
        await store.apiKeys.insert(input);
        input.name = 'changed';
        input.createdAt.setTime(0);
        (await store.apiKeys.get(ACC_A, 'key_1'))!.createdAt.setTime(0);
        (await store.apiKeys.revoke(ACC_A, 'key_1', at(7)))!.revokedAt!.setTime(0);
        (await store.apiKeys.list(ACC_A))[0]!.revokedAt!.setTime(0);
        expect(await store.apiKeys.get(ACC_A, 'key_1')).toStrictEqual({ ...newApiKey('key_1'), revokedAt: at(7) });
      });
    });

    describe('eventTypes', () => {
      it('creates and reads a type without schema or example; an unknown name is null', async () => {
        const plain = newEventType('ticket.created');
        await store.eventTypes.create(plain);
        const got = await store.eventTypes.get('ticket.created');
        expect(got).toStrictEqual(plain);
        expect(got).not.toHaveProperty('schema');
        expect(got).not.toHaveProperty('example');
        expect(await store.eventTypes.get('ticket.deleted')).toBeNull();
      });

      it('keeps a JSON Schema and an example exactly ($schema, $ref, dotted keys, nested arrays)', async () => {
        const full = newEventType('ticket.priority_changed', { schema: trickySchema(), example: trickyExample() });
        await store.eventTypes.create(full);
        expect(await store.eventTypes.get('ticket.priority_changed')).toStrictEqual(full);
        expect((await store.eventTypes.list({ includeArchived: false, limit: 10 }))[0]).toStrictEqual(full);
      });

      it('refuses a name that exists, archived or not, with HERALD_CONFLICT', async () => {
        await store.eventTypes.create(newEventType('ticket.created'));
        await store.eventTypes.create(newEventType('ticket.old', { archived: true }));
        await expectHeraldError(store.eventTypes.create(newEventType('ticket.created', { description: 'x' })), 'HERALD_CONFLICT');
        await expectHeraldError(store.eventTypes.create(newEventType('ticket.old')), 'HERALD_CONFLICT');
        expect(await store.eventTypes.get('ticket.created')).toStrictEqual(newEventType('ticket.created'));
        expect(await store.eventTypes.get('ticket.old')).toStrictEqual(newEventType('ticket.old', { archived: true }));
      });

      it('lists by name with the cursor, leaving archived types out unless asked', async () => {
        const names = Array.from({ length: 17 }, (_, i) => `ticket.t${String(i).padStart(2, '0')}`);
        const archived = (i: number) => i % 4 === 1;
        for (const name of [...names].sort((x, y) => hash(x) - hash(y))) {
          await store.eventTypes.create(newEventType(name, { archived: archived(names.indexOf(name)) }));
        }
        async function pages(includeArchived: boolean, limit: number): Promise<string[][]> {
          const out: string[][] = [];
          let after: string | undefined;
          for (let guard = 0; guard < 100; guard++) {
            const page = await store.eventTypes.list({ includeArchived, limit, ...(after === undefined ? {} : { after }) });
            if (page.length === 0) return out;
            out.push(page.map((t) => t.name));
            after = page[page.length - 1]!.name;
          }
          throw new Error('pagination did not end');
        }
        const all = await pages(true, 5);
        expect(all.map((p) => p.length)).toEqual([5, 5, 5, 2]);
        expect(all.flat()).toEqual(names);
        const current = await pages(false, 5);
        expect(current.flat()).toEqual(names.filter((_, i) => !archived(i)));
        expect(current.map((p) => p.length)).toEqual([5, 5, 3]);
        // an archived name is a valid position for the default listing too
        expect((await store.eventTypes.list({ includeArchived: false, limit: 2, after: 'ticket.t05' })).map((t) => t.name)).toEqual([
          'ticket.t06',
          'ticket.t07',
        ]);
        expect((await store.eventTypes.list({ includeArchived: true, limit: 1, after: 'ticket.t05' })).map((t) => t.name)).toEqual(['ticket.t06']);
        expect(await store.eventTypes.list({ includeArchived: true, limit: 5, after: 'ticket.t16' })).toEqual([]);
        await expectHeraldError(store.eventTypes.list({ includeArchived: true, limit: 0 }), 'HERALD_VALIDATION');
      });

      it('updates the given fields and updatedAt; null removes the schema or the example', async () => {
        await store.eventTypes.create(newEventType('ticket.updated', { schema: trickySchema(), example: trickyExample() }));
        const base = newEventType('ticket.updated', { schema: trickySchema(), example: trickyExample() });

        const described = await store.eventTypes.update('ticket.updated', { description: 'Changed' }, at(1000));
        expect(described).toStrictEqual({ ...base, description: 'Changed', updatedAt: at(1000) });

        const newSchema = { type: 'object', properties: { 'a.b': { $ref: '#/$defs/x' } }, $defs: { x: { enum: [[1], [2]] } } };
        const replaced = await store.eventTypes.update('ticket.updated', { schema: newSchema, example: null }, at(2000));
        const { example: _removed, ...withoutExample } = base;
        expect(replaced).toStrictEqual({ ...withoutExample, description: 'Changed', schema: newSchema, updatedAt: at(2000) });
        expect(replaced).not.toHaveProperty('example');
        expect(await store.eventTypes.get('ticket.updated')).toStrictEqual(replaced);

        const bare = await store.eventTypes.update('ticket.updated', { schema: null }, at(3000));
        expect(bare).not.toHaveProperty('schema');
        expect(bare).not.toHaveProperty('example');
        expect(bare).toStrictEqual(newEventType('ticket.updated', { description: 'Changed', updatedAt: at(3000) }));
        expect(await store.eventTypes.update('ticket.updated', { schema: null, example: null }, at(4000))).toStrictEqual({
          ...bare,
          updatedAt: at(4000),
        });
        const example = await store.eventTypes.update('ticket.updated', { example: trickyExample() }, at(5000));
        expect(example).toStrictEqual({ ...bare, example: trickyExample(), updatedAt: at(5000) });
        expect(await store.eventTypes.get('ticket.updated')).toStrictEqual(example);

        expect(await store.eventTypes.update('ticket.nope', { description: 'x' }, at(1))).toBeNull();
        expect(await store.eventTypes.get('ticket.nope')).toBeNull();
      });

      it('archives and restores: an archived type stays readable and leaves the default listing', async () => {
        await store.eventTypes.create(newEventType('ticket.created'));
        await store.eventTypes.create(newEventType('ticket.updated'));
        const archived = await store.eventTypes.update('ticket.created', { archived: true }, at(1000));
        expect(archived).toStrictEqual(newEventType('ticket.created', { archived: true, updatedAt: at(1000) }));
        expect(await store.eventTypes.get('ticket.created')).toStrictEqual(archived);
        expect((await store.eventTypes.list({ includeArchived: false, limit: 10 })).map((t) => t.name)).toEqual(['ticket.updated']);
        expect((await store.eventTypes.list({ includeArchived: true, limit: 10 })).map((t) => t.name)).toEqual(['ticket.created', 'ticket.updated']);

        await store.eventTypes.update('ticket.created', { archived: false }, at(2000));
        expect((await store.eventTypes.list({ includeArchived: false, limit: 10 })).map((t) => t.name)).toEqual(['ticket.created', 'ticket.updated']);
      });

      it('copies values in and out', async () => {
        const input = newEventType('ticket.created', { schema: trickySchema(), example: trickyExample() });
        await store.eventTypes.create(input);
        (input.schema!['properties'] as Record<string, unknown>)['added'] = true;
        input.example!['x'] = 1;
        const out = await store.eventTypes.get('ticket.created');
        out!.schema!['$schema'] = 'changed';
        out!.createdAt.setTime(0);
        const patch = { schema: trickySchema() };
        const updated = await store.eventTypes.update('ticket.created', patch, at(9));
        patch.schema['type'] = 'changed';
        updated!.example!['y'] = 2;
        expect(await store.eventTypes.get('ticket.created')).toStrictEqual(
          newEventType('ticket.created', { schema: trickySchema(), example: trickyExample(), updatedAt: at(9) }),
        );
      });
    });
  });
}

// --- fixtures ----------------------------------------------------------------------------------

const ACC_A = 'acc_a';
const ACC_B = 'acc_b';
const ACC_C = 'acc_c';
const LEASE_MS = 30_000;
/** Two encryption keys (32 bytes each). */
const KEY_1 = Buffer.alloc(32, 1);
const KEY_2 = Buffer.alloc(32, 2);
/** The test clock: claims take `now` explicitly, so time moves only when a test says so. */
const T0 = new Date('2031-03-01T10:00:00.000Z');
const SUCCEEDED: DeliveryOutcome = { status: 'succeeded', attempts: 1, nextAttemptAt: null };
const FAILED: DeliveryOutcome = { status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'gave up' };

function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** Lets the real clock move on a few milliseconds (for what the store stamps with it, e.g. `updatedAt`). */
function pause(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A stable pseudo-random order, so that insertion order never happens to match list order. */
function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function event(id: string): EventEnvelope {
  return {
    id: `evt_${id}`,
    type: 'ticket.updated',
    account: ACC_A,
    project: 'prj_1',
    entity: { type: 'ticket', id: '1042' },
    action: 'update',
    occurredAt: '2031-03-01T09:59:59Z',
    data: { ref: 'T-1042', priority: 'high' },
    previous: { priority: 'low' },
  };
}

function trickyEvent(): EventEnvelope {
  return {
    ...event('tricky'),
    data: {
      'dotted.key': { 'a.b': 1 },
      $dollar: { $nested: true },
      matrix: [
        [1, 2],
        [3, [4]],
      ],
      empty: {},
      emptyList: [],
      mixed: [{ x: null }, 'text', 0.5, -3, true],
      unicode: 'Grüße, blåbær, 😀',
      big: 9007199254740991,
    },
  };
}

function newDelivery(id: string, overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    account: ACC_A,
    webhookId: 'wh_1',
    schemaId: null,
    eventId: `evt_${id}`,
    eventType: 'ticket.updated',
    entity: { type: 'ticket', id: '1042' },
    event: event(id),
    status: 'pending',
    nextAttemptAt: at(0),
    createdAt: at(-10_000),
    ...overrides,
  };
}

function newAttempt(id: string, deliveryId: string, number: number, overrides: Partial<Attempt> = {}): Attempt {
  return {
    id,
    account: ACC_A,
    deliveryId,
    webhookId: 'wh_1',
    number,
    startedAt: at(number * 1000),
    durationMs: 120 + number,
    request: {
      url: 'https://example.com/hook',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': deliveryId, 'x.dotted': 'v', $odd: 'w' },
      body: '{"ref":"T-1042"}',
    },
    response: { status: 200, headers: { 'x.server': 'a', $weird: 'b' }, body: 'ok', truncated: false },
    success: true,
    ...overrides,
  };
}

function newWebhook(id: string, overrides: Partial<Webhook> = {}): Webhook {
  return {
    id,
    account: ACC_A,
    name: `Webhook ${id}`,
    url: 'https://example.com/hook',
    method: 'POST',
    active: true,
    eventTypes: ['ticket.updated'],
    auth: { type: 'none' },
    headers: {},
    secret: 'whsec_c2VjcmV0',
    dedupWindowSeconds: 60,
    createdAt: at(-100_000),
    updatedAt: at(-50_000),
    ...overrides,
  };
}

function fullWebhook(id: string): Webhook {
  return newWebhook(id, {
    description: 'Sends ticket changes to the ERP',
    method: 'PUT',
    eventTypes: ['ticket.updated', 'ticket.created'],
    projects: ['prj_1', 'prj_2'],
    auth: { type: 'headers', headers: { 'X-Api.Key': 'k', $odd: 'v' }, nested: [[1], { deep: {} }], username: 'u' },
    headers: { 'X-Tenant': 'acme', 'X-Trace.Id': '1' },
    schema: 'sch_1',
    dedupWindowSeconds: 0,
    retry: { schedule: [5, 30, 120] },
    timeoutMs: 10_000,
    previousSecrets: [{ secret: 'whsec_b2xkIHNlY3JldCBvbmU=', expiresAt: at(86_400_000) }],
    secretHeaders: { ...SECRET_HEADERS },
  });
}

/** Secret headers whose names and values appear nowhere else in the fixtures. */
const SECRET_HEADERS: Record<string, string> = { 'X-Vault.Token': 'sh-value-vault-0042', $odd: 'sh-value-odd-0042' };

function newAccount(id: string, overrides: Partial<Account> = {}): Account {
  return { id, name: `Account ${id}`, webhooksEnabled: true, createdAt: at(-100_000), updatedAt: at(-50_000), ...overrides };
}

/** A stand-in for the hex SHA-256 of a key: distinct per input, 64 hex digits. */
function sha(input: string): string {
  return Array.from({ length: 8 }, (_, i) => hash(`${i}:${input}`).toString(16).padStart(8, '0')).join('');
}

/** A key whose hash is `sha(id)`. */
function newApiKey(id: string, overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id,
    account: ACC_A,
    name: `Key ${id}`,
    role: 'admin',
    hash: sha(id),
    prefix: `hk_${id.slice(-4)}`,
    createdAt: at(-100_000),
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

function newEventType(name: string, overrides: Partial<EventType> = {}): EventType {
  return { name, description: `When ${name} happens`, archived: false, createdAt: at(-100_000), updatedAt: at(-50_000), ...overrides };
}

/** A JSON Schema with what document keys cannot safely hold (`$` keys, dotted keys) and nested arrays. */
function trickySchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://herald.example/schemas/ticket.priority_changed',
    type: 'object',
    required: ['priority'],
    properties: {
      priority: { $ref: '#/$defs/priority' },
      'meta.source': { type: 'string' },
      matrix: { type: 'array', items: { type: 'array', items: { type: 'number' } }, examples: [[[1, 2], [3]]] },
      nothing: {},
    },
    $defs: { priority: { enum: ['low', 'high', null] } },
    additionalProperties: false,
  };
}

function trickyExample(): Record<string, unknown> {
  return { priority: 'high', 'meta.source': 'ui', $odd: { 'x.y': [[1], []] }, matrix: [[1, 2], [3]], nothing: {}, text: 'Grüße 😀' };
}

async function allPages(
  store: Store,
  filter: { webhookId?: string; status?: Delivery['status']; eventType?: string },
  limit = 10,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const page = await store.deliveries.list(ACC_A, { ...filter, limit, ...(after === undefined ? {} : { after }) });
    if (page.length === 0) return pages;
    pages.push(page.map((d) => d.id));
    after = page[page.length - 1]!.id;
  }
  throw new Error('pagination did not end');
}

async function expectHeraldError(promise: Promise<unknown>, code: HeraldErrorCode): Promise<HeraldError> {
  const outcome = await promise.then(
    () => 'resolved',
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(HeraldError);
  expect((outcome as HeraldError).code).toBe(code);
  return outcome as HeraldError;
}
