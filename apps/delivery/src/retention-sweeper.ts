import type { DedupRepository, DeliveryRepository } from '@herald/store';
import type { Logger } from '@herald/runtime';

export const DAY_MS = 86_400_000;
/** How long after its end a de-duplication claim is deleted. */
const CLAIM_GRACE_MS = 60 * 60 * 1000;

/** How often the sweeper runs unless told otherwise. */
export const DEFAULT_RETENTION_SWEEP_INTERVAL_MS = 3_600_000;
/** Deliveries deleted per store call: small enough to keep each call short on a busy database. */
export const DEFAULT_RETENTION_BATCH_SIZE = 500;

export interface RetentionSweeperOptions {
  /** Any Store: only its deletion of old deliveries is used. */
  store: { deliveries: Pick<DeliveryRepository, 'deleteFinalOlderThanAcrossAccounts'>; dedup: Pick<DedupRepository, 'deleteExpiredAcrossAccounts'> };
  logger: Logger;
  /**
   * A final delivery (succeeded, failed, suppressed, cancelled) is deleted with its attempts this
   * many days after it ended. 0 = keep everything: the sweeper never runs.
   */
  retentionDays: number;
  /** How often to sweep. Default 1 hour. */
  intervalMs?: number;
  /** Deliveries deleted per store call. Default 500. */
  batchSize?: number;
  /** The clock (tests). */
  now?: () => Date;
}

export interface RetentionSweeper {
  /** Sweeps at once, then every `intervalMs`. Does nothing when retention is 0 (keep forever). */
  start(): void;
  /** No sweep starts after this; waits for the one in flight, which stops after its current batch. */
  stop(): Promise<void>;
  /**
   * One sweep: deletes, batch by batch, the final deliveries that ended before now minus the
   * retention, until none is left; answers how many were deleted.
   */
  sweep(): Promise<number>;
}

/**
 * Enforces the delivery log's retention (F7, `HERALD_RETENTION_DAYS`). The test server (mongo-java-server) has no TTL
 * indexes, so the deletion is done here, in bounded batches, by every delivery instance: the
 * store's deletion is idempotent, so instances that sweep at the same time only share the work.
 * Pending deliveries are never deleted, however old; the age of a final one counts from when it
 * ended (its `updatedAt`), so a delivery retried for days is kept for the full period after it.
 */
export function createRetentionSweeper(options: RetentionSweeperOptions): RetentionSweeper {
  const { store, logger } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_RETENTION_SWEEP_INTERVAL_MS;
  const batchSize = options.batchSize ?? DEFAULT_RETENTION_BATCH_SIZE;
  const now = options.now ?? (() => new Date());
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 0) {
    throw new RangeError(`retentionDays must be a whole number of days >= 0, not ${options.retentionDays}`);
  }
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let running: Promise<void> = Promise.resolve();

  /** De-duplication claims that ended over an hour ago (far longer than any claim takes: see the store's dedup docs). */
  async function sweepClaims(): Promise<void> {
    const cutoff = new Date(now().getTime() - CLAIM_GRACE_MS);
    let deleted = 0;
    for (;;) {
      const n = await store.dedup.deleteExpiredAcrossAccounts(cutoff, batchSize);
      deleted += n;
      if (n < batchSize || stopping) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) logger.info({ deleted }, 'retention: ended de-duplication claims deleted');
  }

  async function sweep(): Promise<number> {
    await sweepClaims();
    if (options.retentionDays === 0) return 0;
    const cutoff = new Date(now().getTime() - options.retentionDays * DAY_MS);
    let deleted = 0;
    for (;;) {
      const n = await store.deliveries.deleteFinalOlderThanAcrossAccounts(cutoff, batchSize);
      deleted += n;
      if (n < batchSize || stopping) break;
      // Let other work in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) logger.info({ deleted, cutoff: cutoff.toISOString(), retentionDays: options.retentionDays }, 'retention: old deliveries deleted');
    return deleted;
  }

  function schedule(delayMs: number): void {
    if (stopping) return;
    timer = setTimeout(() => {
      running = sweep()
        .then(
          () => undefined,
          (err: unknown) => logger.error({ err }, 'retention sweep failed; the next one tries again'),
        )
        .finally(() => schedule(intervalMs));
    }, delayMs);
    // The sweeper never keeps the process alive on its own.
    timer.unref();
  }

  return {
    start() {
      if (options.retentionDays === 0) logger.info('retention: HERALD_RETENTION_DAYS is 0, deliveries are kept forever (ended de-duplication claims are still swept)');
      stopping = false;
      logger.info({ retentionDays: options.retentionDays, intervalMs }, 'retention sweeper started');
      schedule(0);
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    sweep,
  };
}
