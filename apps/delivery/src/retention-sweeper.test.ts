import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliveryIdFor, type Attempt, type DeliveryStatus } from '@herald/core';
import { createMemoryStore, type NewDelivery, type Store } from '@herald/store';
import { silentLogger } from '@herald/runtime';
import { createRetentionSweeper, DAY_MS, type RetentionSweeper } from './retention-sweeper.ts';
import { readDeliveryEnv } from './env.ts';

let sweeper: RetentionSweeper | undefined;

afterEach(async () => {
  await sweeper?.stop();
  sweeper = undefined;
  vi.useRealTimers();
});

function delivery(n: number, status: DeliveryStatus, account = 'acc_1'): NewDelivery {
  const eventId = `evt_${n}`;
  return {
    id: deliveryIdFor(eventId, 'wh_1', null), account, webhookId: 'wh_1', schemaId: null, eventId, eventType: 'ticket.created',
    entity: { type: 'ticket', id: String(n) }, status, nextAttemptAt: status === 'pending' ? new Date() : null,
    event: { id: eventId, type: 'ticket.created', account, entity: { type: 'ticket', id: String(n) }, action: 'new', occurredAt: '2026-11-24T10:55:27Z', data: {} },
  };
}

function attempt(d: NewDelivery, number: number): Attempt {
  return {
    id: `att_${d.id}_${number}`, account: d.account, deliveryId: d.id, webhookId: d.webhookId, number, startedAt: new Date(), durationMs: 3,
    request: { url: 'https://example.com/h', method: 'POST', headers: {}, body: '{}' }, success: number === 2,
  };
}

async function ids(store: Store, account = 'acc_1'): Promise<string[]> {
  return (await store.deliveries.list(account, { limit: 100 })).map((d) => d.id).sort();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose deletions are counted (and can be made to fail). */
function countingStore(inner: Store, fail = false) {
  const calls: Array<{ cutoff: Date; limit: number }> = [];
  const store = {
    deliveries: {
      deleteFinalOlderThanAcrossAccounts: async (cutoff: Date, limit: number) => {
        calls.push({ cutoff, limit });
        if (fail) throw new Error('database down');
        return inner.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, limit);
      },
    },
    dedup: inner.dedup,
  };
  return { store, calls };
}

describe('retention sweeper', () => {
  it('deletes the final deliveries (and their attempts) that ended more than the retention ago, and nothing else', async () => {
    const store = createMemoryStore();
    const old = [delivery(1, 'succeeded'), delivery(2, 'failed', 'acc_2'), delivery(3, 'suppressed'), delivery(4, 'cancelled')];
    const pending = delivery(5, 'pending');
    await store.deliveries.insertMany([...old, pending]);
    for (const d of [old[0]!, old[1]!, pending]) for (const n of [1, 2]) await store.attempts.insert(attempt(d, n));
    await pause(5);
    const recent = delivery(6, 'succeeded');
    await store.deliveries.insertMany([recent]);
    await store.attempts.insert(attempt(recent, 1));
    const endedOld = (await store.deliveries.get('acc_1', old[0]!.id))!.updatedAt.getTime();
    const endedRecent = (await store.deliveries.get('acc_1', recent.id))!.updatedAt.getTime();
    expect(endedRecent).toBeGreaterThan(endedOld + 1);
    const oldEnds = await Promise.all(old.map(async (d) => (await store.deliveries.get(d.account, d.id))!.updatedAt.getTime()));
    const latestOld = Math.max(...oldEnds);
    expect(latestOld).toBeLessThan(endedRecent);

    // 30 days after the old ones ended (but not yet after the recent one)
    let clock = new Date(latestOld + 30 * DAY_MS - 1);
    sweeper = createRetentionSweeper({ store, logger: silentLogger(), retentionDays: 30, now: () => clock });
    expect(await sweeper.sweep()).toBe(0);
    clock = new Date(latestOld + 30 * DAY_MS + 1);
    expect(await sweeper.sweep()).toBe(4);

    expect(await ids(store)).toEqual([pending.id, recent.id].sort());
    expect(await ids(store, 'acc_2')).toEqual([]);
    for (const d of old) expect(await store.attempts.listForDelivery(d.account, d.id)).toEqual([]);
    expect(await store.attempts.listForDelivery('acc_1', pending.id)).toHaveLength(2);
    expect(await store.attempts.listForDelivery('acc_1', recent.id)).toHaveLength(1);

    // much later: the recent one goes too; the pending one stays however old
    clock = new Date(endedRecent + 365 * DAY_MS);
    expect(await sweeper.sweep()).toBe(1);
    expect(await ids(store)).toEqual([pending.id]);
  });

  it('deletes in bounded batches until nothing old is left', async () => {
    const memory = createMemoryStore();
    await memory.deliveries.insertMany(Array.from({ length: 7 }, (_, i) => delivery(i, 'succeeded')));
    const { store, calls } = countingStore(memory);
    const clock = new Date(Date.now() + 31 * DAY_MS);
    sweeper = createRetentionSweeper({ store, logger: silentLogger(), retentionDays: 30, batchSize: 2, now: () => clock });
    expect(await sweeper.sweep()).toBe(7);
    expect(calls.map((c) => c.limit)).toEqual([2, 2, 2, 2]);
    expect(calls.every((c) => c.cutoff.getTime() === clock.getTime() - 30 * DAY_MS)).toBe(true);
    expect(await ids(memory)).toEqual([]);
  });

  it('sweeps de-duplication claims that ended over an hour ago, also when deliveries are kept forever', async () => {
    const memory = createMemoryStore();
    const t = new Date('2031-01-01T12:00:00Z');
    const cutoffs: Date[] = [];
    const store = { ...memory, dedup: { ...memory.dedup, deleteExpiredAcrossAccounts: async (cutoff: Date, limit: number) => {
      cutoffs.push(cutoff);
      return memory.dedup.deleteExpiredAcrossAccounts(cutoff, limit);
    } } } as Store;
    sweeper = createRetentionSweeper({ store, logger: silentLogger(), retentionDays: 0, now: () => t });
    await sweeper.sweep();
    expect(cutoffs).toEqual([new Date('2031-01-01T11:00:00Z')]);
  });

  it('keeps every delivery when retention is 0: no delivery is ever swept', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    const memory = createMemoryStore();
    await memory.deliveries.insertMany([delivery(1, 'failed')]);
    const { store, calls } = countingStore(memory);
    sweeper = createRetentionSweeper({ store, logger: silentLogger(), retentionDays: 0, intervalMs: 1000, now: () => new Date(Date.now() + 9999 * DAY_MS) });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual([]);
    expect(await sweeper.sweep()).toBe(0);
    expect(await ids(memory)).toHaveLength(1);
  });

  it('sweeps at start, then every interval, until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    const { store, calls } = countingStore(createMemoryStore());
    sweeper = createRetentionSweeper({ store, logger: silentLogger(), retentionDays: 30, intervalMs: 60_000 });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(4);
    await sweeper.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(4);
  });

  it('logs a failed sweep and tries again at the next interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    const { store, calls } = countingStore(createMemoryStore(), true);
    const logger = silentLogger();
    const errors = vi.spyOn(logger, 'error');
    sweeper = createRetentionSweeper({ store, logger, retentionDays: 1, intervalMs: 1000 });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    expect(errors).toHaveBeenCalledTimes(2);
  });

  it('stop() waits for the sweep in flight, which ends after its current batch', async () => {
    const memory = createMemoryStore();
    await memory.deliveries.insertMany(Array.from({ length: 6 }, (_, i) => delivery(i, 'succeeded')));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const store = {
      deliveries: {
        deleteFinalOlderThanAcrossAccounts: async (cutoff: Date, limit: number) => {
          calls++;
          await gate;
          return memory.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, limit);
        },
      },
      dedup: memory.dedup,
    };
    sweeper = createRetentionSweeper({ store, logger: silentLogger(), retentionDays: 1, batchSize: 2, now: () => new Date(Date.now() + 2 * DAY_MS) });
    sweeper.start();
    await vi.waitFor(() => expect(calls).toBe(1));
    let stopped = false;
    const stopping = sweeper.stop().then(() => (stopped = true));
    await pause(10);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(calls).toBe(1);
    expect(await ids(memory)).toHaveLength(4);
  });

  it('refuses a negative or fractional retention', () => {
    expect(() => createRetentionSweeper({ store: createMemoryStore(), logger: silentLogger(), retentionDays: -1 })).toThrow(RangeError);
    expect(() => createRetentionSweeper({ store: createMemoryStore(), logger: silentLogger(), retentionDays: 1.5 })).toThrow(RangeError);
  });
});

describe('HERALD_RETENTION_DAYS', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/herald', HERALD_ENCRYPTION_KEY: '11'.repeat(32) };

  it('is 30 days by default; 0 keeps everything', () => {
    expect(readDeliveryEnv(base).HERALD_RETENTION_DAYS).toBe(30);
    expect(readDeliveryEnv({ ...base, HERALD_RETENTION_DAYS: '0' }).HERALD_RETENTION_DAYS).toBe(0);
    expect(readDeliveryEnv({ ...base, HERALD_RETENTION_DAYS: '7' }).HERALD_RETENTION_DAYS).toBe(7);
  });

  it('refuses what is not a whole number of days, naming the variable', () => {
    for (const bad of ['-1', '1.5', 'a month']) {
      expect(() => readDeliveryEnv({ ...base, HERALD_RETENTION_DAYS: bad }), bad).toThrow(/HERALD_RETENTION_DAYS/);
    }
  });
});
