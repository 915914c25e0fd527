import type { AccountId, DedupRepository } from '../repositories.ts';

interface Claim {
  account: string;
  deliveryId: string;
  until: number;
}

/** The memory store's de-duplication claims: the latest claim of each key. */
export class MemoryDedupRepository implements DedupRepository {
  readonly #latest = new Map<string, Claim>();

  async claim(account: AccountId, key: string, deliveryId: string, now: Date, until: Date): Promise<string> {
    const k = `${account}\u0000${key}`;
    const latest = this.#latest.get(k);
    if (latest && (latest.deliveryId === deliveryId || latest.until > now.getTime())) return latest.deliveryId;
    this.#latest.set(k, { account, deliveryId, until: until.getTime() });
    return deliveryId;
  }

  async deleteExpiredAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    let n = 0;
    for (const [k, c] of this.#latest) {
      if (n >= limit) break;
      if (c.until < cutoff.getTime()) {
        this.#latest.delete(k);
        n++;
      }
    }
    return n;
  }
}
