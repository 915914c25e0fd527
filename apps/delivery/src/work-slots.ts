/**
 * The instance's work slots: at most `capacity` deliveries being worked on at once — claimed and
 * read, or sent and recorded — across all webhooks. Waiting for a webhook's turn holds none.
 * `acquire` waits for a free slot, in arrival order, except that `first` callers (work that is
 * finishing, and holds a webhook's turn) go ahead of the others; `release` gives it back.
 */
export class WorkSlots {
  #busy = 0;
  readonly #waiting: (() => void)[] = [];
  /** How many of the waiting are `first` (they sit at the front, in arrival order). */
  #firsts = 0;

  constructor(readonly capacity: number) {}

  get busy(): number {
    return this.#busy;
  }

  get free(): number {
    return Math.max(0, this.capacity - this.#busy - this.#waiting.length);
  }

  async acquire(first = false): Promise<void> {
    if (this.#busy < this.capacity && this.#waiting.length === 0) {
      this.#busy++;
      return;
    }
    // The releaser hands its slot over: `busy` stays as it is.
    await new Promise<void>((r) => {
      if (first) this.#waiting.splice(this.#firsts++, 0, r);
      else this.#waiting.push(r);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (!next) {
      this.#busy--;
      return;
    }
    if (this.#firsts > 0) this.#firsts--;
    next();
  }

  /** Runs `task` in a slot. */
  async with<T>(task: () => Promise<T>, first = false): Promise<T> {
    await this.acquire(first);
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}
