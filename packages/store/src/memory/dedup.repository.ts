import type { AccountId, DedupClaim, DedupRepository } from '../repositories.ts';

interface Claim {
  account: string;
  deliveryId: string;
  until: number;
}

/** The memory store's de-duplication claims: the latest claim of each key. */
export class MemoryDedupRepository implements DedupRepository {
  readonly #latest = new Map<string, Claim>();

  async claim(account: AccountId, key: string, deliveryId: string, now: Date, until: Date): Promise<string> {
    const [holder] = await this.claimMany([{ account, key, deliveryId, until }], now);
    return holder!;
  }

  async claimMany(claims: readonly DedupClaim[], now: Date): Promise<string[]> {
    // The holder of each key decided in this call: later claims of the key are held by it.
    const decided = new Map<string, string>();
    return claims.map(({ account, key, deliveryId, until }) => {
      const k = `${account}\u0000${key}`;
      const known = decided.get(k);
      if (known !== undefined) return known;
      const latest = this.#latest.get(k);
      let holder: string;
      if (latest && (latest.deliveryId === deliveryId || latest.until > now.getTime())) {
        holder = latest.deliveryId;
      } else {
        this.#latest.set(k, { account, deliveryId, until: until.getTime() });
        holder = deliveryId;
      }
      decided.set(k, holder);
      return holder;
    });
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
