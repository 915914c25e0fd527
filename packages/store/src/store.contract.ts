import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeraldError, type Attempt, type Delivery, type EventEnvelope, type HeraldErrorCode, type Webhook } from '@herald/core';
import type { DeliveryOutcome, NewDelivery, Store } from './repositories.ts';

export interface StoreUnderTest {
  store: Store;
  /** Runs after the suite closed the store (e.g. drops the test database). */
  cleanup?: () => Promise<void>;
}

/**
 * The one behaviour every Store implements, run against each of them (memory in the unit
 * project, MongoDB/FerretDB in the integration project). `makeStore` is called once per test
 * and must hand back an empty store; the suite calls `init()` and `close()` itself.
 */
export function storeContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
      await store.init();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
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
    });

    describe('webhooks', () => {
      it('round-trips a webhook without its optional fields', async () => {
        const minimal = newWebhook('wh_1');
        await store.webhooks.upsert(minimal);
        const got = await store.webhooks.get(ACC_A, 'wh_1');
        expect(got).toStrictEqual(minimal);
        for (const key of ['description', 'projects', 'schema', 'retry', 'timeoutMs']) expect(got).not.toHaveProperty(key);
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
        const out = await store.webhooks.get(ACC_A, 'wh_1');
        out!.auth['username'] = 'changed';
        out!.retry!.schedule.push(1);
        expect(await store.webhooks.get(ACC_A, 'wh_1')).toStrictEqual(fullWebhook('wh_1'));
      });
    });
  });
}

// --- fixtures ----------------------------------------------------------------------------------

const ACC_A = 'acc_a';
const ACC_B = 'acc_b';
const ACC_C = 'acc_c';
const LEASE_MS = 30_000;
/** The test clock: claims take `now` explicitly, so time moves only when a test says so. */
const T0 = new Date('2031-03-01T10:00:00.000Z');
const SUCCEEDED: DeliveryOutcome = { status: 'succeeded', attempts: 1, nextAttemptAt: null };
const FAILED: DeliveryOutcome = { status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'gave up' };

function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
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
  });
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

async function expectHeraldError(promise: Promise<unknown>, code: HeraldErrorCode): Promise<void> {
  const outcome = await promise.then(
    () => 'resolved',
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(HeraldError);
  expect((outcome as HeraldError).code).toBe(code);
}
