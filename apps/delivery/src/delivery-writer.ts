import type { Attempt } from '@herald/core';
import type { InsertLease, NewDelivery, Store } from '@herald/store';
import type { Logger } from '@herald/runtime';

export interface DeliveryWriterOptions {
  store: Store;
  logger: Logger;
  /** Flush once this many records wait. Default 500. */
  maxBatch?: number;
  /** Flush at the latest this long after the first record of a batch came. Default 5 ms. */
  maxDelayMs?: number;
  /** Wait before retrying a flush that failed; doubles up to 2 s. Default 50 ms. */
  retryDelayMs?: number;
  /** Told the number of records of each flush that was written (the store-batch metric). */
  onFlush?: (records: number) => void;
}

/** What a record came to once it was flushed. */
export type WriteResult = 'inserted' | 'existed';

interface Pending {
  delivery: NewDelivery;
  attempt?: Attempt;
  lease?: InsertLease;
  resolve(result: WriteResult): void;
  reject(err: Error): void;
}

/**
 * The delivery engine's new deliveries and their first attempts, written in bulk: records wait at
 * most `maxDelayMs` (or until `maxBatch` wait) and then go to the store in one flush — the
 * attempts in one unordered insert, then the deliveries in one unordered insert per lease (most
 * have none). A record's promise resolves once both are durable. A flush that fails is retried,
 * with a growing pause, until it succeeds or the writer is closed (then the records' promises
 * reject: their Kafka batch is not committed, so their jobs are handed again; nothing is lost).
 *
 * Attempts go first: a crash between the two inserts leaves an attempt whose delivery is missing,
 * and the job (not committed) comes again; its new attempt 1 is then skipped as a duplicate of the
 * logged one, and its delivery inserted. A delivery already stored (a job handed twice) is left
 * as it is: its record resolves `existed`.
 */
export class DeliveryWriter {
  readonly #o: Required<Omit<DeliveryWriterOptions, 'store' | 'logger' | 'onFlush'>> & Pick<DeliveryWriterOptions, 'store' | 'logger' | 'onFlush'>;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Shutting down: a flush that keeps failing gives up (its records reject) instead of retrying forever. */
  #closing = false;
  #flushing = 0;
  readonly #idle: (() => void)[] = [];

  constructor(options: DeliveryWriterOptions) {
    this.#o = { maxBatch: 500, maxDelayMs: 5, retryDelayMs: 50, ...options };
  }

  /** Queues a new delivery (and the attempt it had, if any); resolves once it is durable. */
  write(delivery: NewDelivery, attempt?: Attempt, lease?: InsertLease): Promise<WriteResult> {
    if (this.#closed) return Promise.reject(new Error('the delivery writer is closed'));
    return new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ delivery, ...(attempt ? { attempt } : {}), ...(lease ? { lease } : {}), resolve, reject });
      if (this.#queue.length >= this.#o.maxBatch) this.#flushNow();
      else this.#timer ??= setTimeout(() => this.#flushNow(), this.#o.maxDelayMs);
    });
  }

  /** Records waiting or being written. */
  get backlog(): number {
    return this.#queue.length;
  }

  /**
   * From now on a flush that keeps failing gives up after a few tries and rejects its records (at
   * shutdown: their Kafka batches are then not committed, and their jobs come again).
   */
  giveUpOnFailure(): void {
    this.#closing = true;
  }

  /** Writes what waits, then stops taking records; what cannot be written by then is rejected. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#flushNow();
    if (this.#flushing > 0) await new Promise<void>((r) => this.#idle.push(r));
    this.#closed = true;
  }

  #flushNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#flushing++;
    void this.#flush(batch).finally(() => {
      this.#flushing--;
      if (this.#flushing === 0) for (const r of this.#idle.splice(0)) r();
    });
  }

  async #flush(batch: Pending[]): Promise<void> {
    const { store, logger } = this.#o;
    let delay = this.#o.retryDelayMs;
    for (let tries = 1; ; tries++) {
      try {
        const attempts = batch.flatMap((p) => (p.attempt ? [p.attempt] : []));
        if (attempts.length > 0) await store.attempts.insertMany(attempts);
        const inserted = new Set<string>();
        for (const [lease, group] of byLease(batch)) {
          const r = await store.deliveries.insertMany(group.map((p) => p.delivery), lease);
          for (const id of r.inserted) inserted.add(id);
        }
        this.#o.onFlush?.(batch.length);
        for (const p of batch) p.resolve(inserted.has(p.delivery.id) ? 'inserted' : 'existed');
        return;
      } catch (err) {
        logger.warn({ err, records: batch.length, tries }, 'writing deliveries failed; trying again');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(2_000, delay * 2);
        if (this.#closing && tries >= 5) {
          for (const p of batch) p.reject(err as Error);
          return;
        }
      }
    }
  }

}

/** The records grouped by lease (none, or each distinct owner and length), in their order. */
function byLease(batch: Pending[]): [InsertLease | undefined, Pending[]][] {
  const groups = new Map<string, [InsertLease | undefined, Pending[]]>();
  for (const p of batch) {
    const k = p.lease ? `${p.lease.owner}\u0000${p.lease.leaseMs}` : '';
    const g = groups.get(k);
    if (g) g[1].push(p);
    else groups.set(k, [p.lease, [p]]);
  }
  return [...groups.values()];
}
