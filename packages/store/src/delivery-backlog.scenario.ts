import { expect, it } from 'vitest';
import type { NewDelivery, Store } from './repositories.ts';

function delivery(id: string, overrides: Partial<NewDelivery>): NewDelivery {
  return {
    id,
    account: 'acc_backlog',
    webhookId: 'wh_1',
    schemaId: null,
    eventId: `evt_${id}`,
    eventType: 'ticket.updated',
    entity: { type: 'ticket', id: '1' },
    event: { id: `evt_${id}`, type: 'ticket.updated', account: 'acc_backlog', entity: { type: 'ticket', id: '1' }, action: 'update', occurredAt: '2031-03-01T10:00:00Z', data: {} },
    status: 'pending',
    nextAttemptAt: new Date(),
    ...overrides,
  };
}

/**
 * `deliveries.backlog()` (the retry-backlog metric): pending deliveries due now, and those due
 * later; final ones never count, and a due one stops counting as due once it is claimed.
 */
export function deliveryBacklogScenario(open: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
  it('counts pending deliveries due now and due later, never final ones', async () => {
    const { store, cleanup } = await open();
    try {
      await store.init();
      expect(await store.deliveries.backlog!()).toEqual({ due: 0, scheduled: 0 });
      const now = Date.now();
      await store.deliveries.insertMany([
        delivery('dlv_due1', { nextAttemptAt: new Date(now - 1_000) }),
        delivery('dlv_due2', { nextAttemptAt: new Date(now - 500) }),
        delivery('dlv_later', { nextAttemptAt: new Date(now + 3_600_000), attempts: 1, lastError: 'timeout: no answer' }),
        delivery('dlv_done', { status: 'succeeded', nextAttemptAt: null, attempts: 1 }),
        delivery('dlv_failed', { status: 'failed', nextAttemptAt: null, attempts: 14, lastError: 'http_status: 500' }),
      ]);
      expect(await store.deliveries.backlog!()).toEqual({ due: 2, scheduled: 1 });
      // The later one is due once its time has come.
      expect(await store.deliveries.backlog!(new Date(now + 3_600_001))).toEqual({ due: 3, scheduled: 0 });
      // A claimed (leased) delivery is not claimable now: it no longer counts as due.
      const [claimed] = await store.deliveries.claimDueAcrossAccounts('me', 60_000, 1);
      expect(claimed).toBeDefined();
      const after = await store.deliveries.backlog!();
      expect(after.due).toBe(1);
      expect(after.due + after.scheduled).toBe(3);
    } finally {
      await store.close();
      await cleanup();
    }
  });
}
