/** An access token and the time (ms since the epoch, on the plugin's clock) it stops being used. */
export interface CachedToken {
  accessToken: string;
  /** Already shortened by the safety margin: at this time the plugin fetches a new token. */
  expiresAt: number;
}

/**
 * Where the plugin keeps tokens between deliveries. The default is in memory, per process;
 * pass your own to `createOAuth2Plugin` (e.g. to share tokens between workers, or to look
 * inside in a test). Keys are opaque strings; values must not be logged.
 */
export interface TokenCache {
  get(key: string): CachedToken | undefined;
  set(key: string, token: CachedToken): void;
  delete(key: string): void;
}

/**
 * An in-memory TokenCache with a bound on its size: past `maxEntries`, it drops the expired
 * entries and then the oldest ones, so a stream of distinct credentials cannot grow it forever.
 */
export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CachedToken | undefined {
    return this.#entries.get(key);
  }

  set(key: string, token: CachedToken): void {
    this.#entries.delete(key);
    this.#entries.set(key, token);
    if (this.#entries.size <= this.#maxEntries) return;
    const now = this.#now();
    for (const [k, v] of this.#entries) if (v.expiresAt <= now) this.#entries.delete(k);
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(k);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
