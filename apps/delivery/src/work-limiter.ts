/**
 * Runs at most `capacity` tasks at once. `schedule` resolves when the task has started
 * (so a producer slows down when the workers are busy); `drain` waits for all to finish.
 */
export class WorkLimiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #idle: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  get running(): number {
    return this.#running;
  }

  get free(): number {
    return Math.max(0, this.capacity - this.#running);
  }

  async schedule(task: () => Promise<void>): Promise<void> {
    while (this.#running >= this.capacity) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    void task()
      .catch(() => undefined)
      .finally(() => {
        this.#running--;
        this.#waiting.shift()?.();
        if (this.#running === 0) for (const r of this.#idle.splice(0)) r();
      });
  }

  drain(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }
}
