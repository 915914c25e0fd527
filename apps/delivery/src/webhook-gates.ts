/** The limits of one webhook's attempts (F14), per delivery instance. */
export interface WebhookLimits {
  /** Most attempts in flight at once. */
  maxConcurrency: number;
  /** Most attempts started per second; absent = no limit. */
  rateLimitPerSecond?: number;
}

/** A turn of a webhook: hold it for the length of the attempt, then release it (once). */
export interface WebhookTurn {
  /**
   * Ends the turn. `busyMs`: how long the endpoint was actually busy with it (the request's
   * time), which paces the estimates of how fast the webhook's queue drains; default: the time
   * since the turn was granted (which also counts this process's own delays).
   */
  release(busyMs?: number): void;
}

export interface WebhookGatesOptions {
  /**
   * Most attempts of one slow webhook waiting for a turn at once (and at most 4 × its
   * `maxConcurrency`); more are refused at once, so that one slow webhook cannot take all the
   * room of an instance. A webhook whose queue is expected to drain within `QUICK_QUEUE_MS` is
   * not slow: its attempts may all wait. Default 64.
   */
  maxWaitingPerWebhook?: number;
  /** How long a turn is assumed to last before one was measured. Default 100 ms. */
  assumedTurnMs?: number;
  /** The clock, in ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * How far ahead of its slot a start may go: the rate limit's tolerance for timer granularity
 * (a timer cannot wake every 0.1 ms for 10,000/s). Over any window of W ms a webhook gets at
 * most `1 + (W + RATE_TOLERANCE_MS) × rate / 1000` starts; on average they are `1000 / rate` apart.
 */
export const RATE_TOLERANCE_MS = 10;

/**
 * A queue expected to drain within this is never refused for its length (see
 * `maxWaitingPerWebhook`): generous, since the estimate also counts this process's own delays
 * (a burst of work inflates it for a while).
 */
export const QUICK_QUEUE_MS = 10_000;

/**
 * A webhook whose turns are expected to last longer than this is slow (`isSlow`). A slow webhook's
 * gate is remembered for `REMEMBER_SLOW_MS` after its last turn, so that the next attempt,
 * even seconds later (a retry), is known to be slow before it is sent.
 */
export const SLOW_TURN_MS = 250;
export const REMEMBER_SLOW_MS = 60_000;

/** `deferUntil` sends a delivery at most this far ahead: estimates change, and it is re-judged when it comes back. */
export const MAX_DEFER_MS = 60_000;

interface Waiter {
  resolve(turn: WebhookTurn | null): void;
  timer: NodeJS.Timeout;
}

interface Gate {
  limits: WebhookLimits;
  running: number;
  waiters: Waiter[];
  /** Rate limit: the earliest start of the next attempt (a GCRA "theoretical arrival time"). */
  nextStartAt: number;
  /** Wakes the queue when the rate allows the next start. */
  wake: NodeJS.Timeout | undefined;
  /** Refused attempts are sent back to the store due one after another from here (`deferUntil`). */
  deferCursor: number;
  /** Moving average of how long this webhook's turns last (the endpoint's busy time, see `release`); the first measured turn sets it. */
  avgTurnMs: number;
  /** When each running turn started: a turn still running counts in the estimate by its age so far. */
  runningSince: Set<{ at: number }>;
  /** When a turn last ended. */
  lastReleasedAt: number;
  /** Whether `avgTurnMs` holds a measured turn yet (else it is `assumedTurnMs`). */
  measured: boolean;
}

/**
 * The per-webhook concurrency cap and rate limit of the delivery engine (F14), in memory: each
 * delivery instance applies them on its own, so N instances may run N × the cap, N × the rate.
 *
 * An attempt waits for its webhook's turn here — without holding one of the instance's work
 * slots, so other webhooks' attempts go on meanwhile — for a bounded time. Turns go in arrival
 * order; a turn needs fewer than `maxConcurrency` attempts of the webhook running and, with a
 * rate limit, its start slot: starts are spaced `1000 / rateLimitPerSecond` ms apart (no bursts
 * beyond `RATE_TOLERANCE_MS`). An attempt that gets no turn in time, or finds a long queue of
 * a slow webhook already (see `maxWaitingPerWebhook`), gets `null`: the caller hands the delivery back to the store, due at `deferUntil`.
 */
export class WebhookGates {
  readonly #gates = new Map<string, Gate>();
  readonly #maxWaiting: number;
  readonly #now: () => number;
  readonly #assumedTurnMs: number;
  #sweptAt = 0;

  constructor(options: WebhookGatesOptions = {}) {
    this.#maxWaiting = Math.max(1, options.maxWaitingPerWebhook ?? 64);
    this.#now = options.now ?? Date.now;
    this.#assumedTurnMs = options.assumedTurnMs ?? 10;
  }

  /**
   * Waits up to `maxWaitMs` for a turn of webhook `key` under `limits` (the webhook's current
   * ones: they replace those of earlier calls). Null when none came in time, or when the queue
   * is full or its rate alone would make the wait longer than `maxWaitMs`.
   */
  enter(key: string, limits: WebhookLimits, maxWaitMs: number): Promise<WebhookTurn | null> {
    const admitted = this.admit(key, limits, maxWaitMs);
    return 'wait' in admitted ? admitted.wait : Promise.resolve(admitted.turn);
  }

  /**
   * `enter`, saying at once which way it went: a turn now, `turn: null` (refused now), or a
   * wait. The caller may act before a wait (e.g. store what will wait a while).
   */
  admit(key: string, limits: WebhookLimits, maxWaitMs: number): { turn: WebhookTurn | null } | { wait: Promise<WebhookTurn | null> } {
    const now = this.#now();
    this.#sweep(now);
    const gate = this.#gateOf(key, limits);
    if (gate.waiters.length === 0 && this.#mayStart(gate, now)) return { turn: this.#start(key, gate, now) };
    if (maxWaitMs <= 0) return { turn: null };
    const waiting = gate.waiters.length;
    const interval = intervalOf(gate.limits);
    // When the last of the queue is expected to start: by the rate (exact), or by the cap and
    // how long this webhook's turns have lasted (an estimate).
    const byRate = interval > 0 ? Math.max(0, gate.nextStartAt - now) + waiting * interval : 0;
    const byCap = Math.ceil((waiting + 1) / gate.limits.maxConcurrency) * this.#turnMs(gate, now);
    if (byRate > maxWaitMs) return { turn: null };
    if (waiting >= Math.min(this.#maxWaiting, 4 * gate.limits.maxConcurrency) && Math.max(byRate, byCap) > QUICK_QUEUE_MS) return { turn: null };
    const wait = new Promise<WebhookTurn | null>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = gate.waiters.indexOf(waiter);
          if (i >= 0) gate.waiters.splice(i, 1);
          resolve(null);
          this.#forgetIfIdle(key, gate);
        }, maxWaitMs),
      };
      gate.waiters.push(waiter);
      this.#pump(key, gate);
    });
    return { wait };
  }

  /**
   * When a delivery refused a turn should be due again. Successive refusals of one webhook get
   * successive slots, each an estimated turn apart (the rate's interval, or the webhook's
   * average attempt time over its cap), after the ones already waiting: a backlog comes back
   * from the store about as fast as the webhook takes it, instead of all at once.
   */
  deferUntil(key: string, limits: WebhookLimits): number {
    const gate = this.#gateOf(key, limits);
    const now = this.#now();
    const perTurn = Math.max(intervalOf(gate.limits), this.#turnMs(gate, now) / gate.limits.maxConcurrency, 1);
    const at = Math.min(now + MAX_DEFER_MS, Math.max(gate.deferCursor, now + Math.max(250, (gate.waiters.length + gate.running) * perTurn)));
    gate.deferCursor = at + perTurn;
    return Math.ceil(at);
  }

  /**
   * How long a turn of the webhook is expected to last: the moving average of its finished turns,
   * or the age of its oldest running turn if that is longer (an endpoint that has stopped
   * answering shows at once, not only once its first slow answers came). 0 for a webhook unseen.
   */
  turnMs(key: string): number {
    const gate = this.#gates.get(key);
    return gate ? this.#turnMs(gate, this.#now()) : 0;
  }

  /** Whether the webhook's turns are expected to last longer than SLOW_TURN_MS. */
  isSlow(key: string): boolean {
    return this.turnMs(key) > SLOW_TURN_MS;
  }

  /** Attempts of the webhook running now (for tests and metrics). */
  running(key: string): number {
    return this.#gates.get(key)?.running ?? 0;
  }

  /** Attempts of the webhook waiting for a turn now. */
  waiting(key: string): number {
    return this.#gates.get(key)?.waiters.length ?? 0;
  }

  /** Gates kept (webhooks with something running, waiting or recently deferred). */
  get size(): number {
    return this.#gates.size;
  }

  /** Refuses every waiter (null) and stops the timers; turns in hand may still be released. */
  close(): void {
    for (const gate of this.#gates.values()) {
      if (gate.wake) clearTimeout(gate.wake);
      gate.wake = undefined;
      for (const w of gate.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve(null);
      }
    }
  }

  #gateOf(key: string, limits: WebhookLimits): Gate {
    let gate = this.#gates.get(key);
    if (!gate) {
      gate = { limits, running: 0, waiters: [], nextStartAt: 0, wake: undefined, deferCursor: 0, avgTurnMs: this.#assumedTurnMs, runningSince: new Set(), lastReleasedAt: 0, measured: false };
      this.#gates.set(key, gate);
    } else if (gate.limits.maxConcurrency !== limits.maxConcurrency || gate.limits.rateLimitPerSecond !== limits.rateLimitPerSecond) {
      gate.limits = limits;
      // A raised cap or rate may let waiters go now.
      queueMicrotask(() => this.#pump(key, gate!));
    }
    return gate;
  }

  /** Every 10 s at most: drops the gates of webhooks that went quiet. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < 10_000) return;
    this.#sweptAt = now;
    for (const [key, gate] of this.#gates) this.#forgetIfIdle(key, gate);
  }

  #turnMs(gate: Gate, now: number): number {
    // Turns start in time order and a Set keeps insertion order: the first is the oldest running.
    const oldest = gate.runningSince.values().next().value;
    return Math.max(gate.avgTurnMs, oldest ? now - oldest.at : 0);
  }

  #mayStart(gate: Gate, now: number): boolean {
    return gate.running < gate.limits.maxConcurrency && (intervalOf(gate.limits) === 0 || now >= gate.nextStartAt - RATE_TOLERANCE_MS);
  }

  #start(key: string, gate: Gate, now: number): WebhookTurn {
    gate.running++;
    const since = { at: now };
    gate.runningSince.add(since);
    const interval = intervalOf(gate.limits);
    if (interval > 0) gate.nextStartAt = Math.max(now, gate.nextStartAt) + interval;
    let released = false;
    return {
      release: (busyMs?: number) => {
        if (released) return;
        released = true;
        gate.running--;
        gate.runningSince.delete(since);
        gate.lastReleasedAt = this.#now();
        const busy = Math.max(0, busyMs ?? this.#now() - now);
        // The first measured turn replaces the assumption; later ones move the average.
        gate.avgTurnMs = gate.measured ? gate.avgTurnMs * 0.8 + busy * 0.2 : busy;
        gate.measured = true;
        this.#pump(key, gate);
        this.#forgetIfIdle(key, gate);
      },
    };
  }

  #pump(key: string, gate: Gate): void {
    while (gate.waiters.length > 0) {
      const now = this.#now();
      if (gate.running >= gate.limits.maxConcurrency) return;
      if (!this.#mayStart(gate, now)) {
        if (!gate.wake) {
          gate.wake = setTimeout(() => {
            gate.wake = undefined;
            this.#pump(key, gate);
          }, Math.max(1, gate.nextStartAt - RATE_TOLERANCE_MS - now));
        }
        return;
      }
      const waiter = gate.waiters.shift()!;
      clearTimeout(waiter.timer);
      waiter.resolve(this.#start(key, gate, now));
    }
  }

  /**
   * Drops a gate with nothing to remember: nothing running or waiting, no pending slot, and not a
   * slow webhook's gate whose last turn ended less than REMEMBER_SLOW_MS ago.
   */
  #forgetIfIdle(key: string, gate: Gate): void {
    const now = this.#now();
    const remembersSlow = gate.avgTurnMs > SLOW_TURN_MS && now - gate.lastReleasedAt < REMEMBER_SLOW_MS;
    if (gate.running === 0 && gate.waiters.length === 0 && !gate.wake && gate.nextStartAt <= now && gate.deferCursor <= now && !remembersSlow && this.#gates.get(key) === gate) {
      this.#gates.delete(key);
    }
  }
}

function intervalOf(limits: WebhookLimits): number {
  return limits.rateLimitPerSecond ? 1000 / limits.rateLimitPerSecond : 0;
}
