import type Database from 'better-sqlite3';
import type { AccountId, DedupClaim, DedupRepository } from '../repositories.ts';
import { toMillis } from './columns.ts';

interface ClaimRow {
  delivery_id: string;
  until: number;
}

/**
 * De-duplication claims (F8): the latest claim of each (account, key), as the memory store keeps
 * them. A whole `claimMany` call is one IMMEDIATE transaction: it reads and writes under the
 * database's write lock, so of concurrent claimers of a key — in this process or in another on
 * the same file — exactly one wins, without the ticket scheme the MongoDB store needs for that.
 */
export class SqliteDedupRepository implements DedupRepository {
  readonly #db: Database.Database;
  readonly #latest: Database.Statement<[string, string], ClaimRow>;
  readonly #put: Database.Statement<[{ account: string; key: string; deliveryId: string; until: number }]>;
  readonly #sweep: Database.Statement<[number, number]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#latest = db.prepare(`SELECT delivery_id, until FROM dedup_claims WHERE account = ? AND key = ?`);
    this.#put = db.prepare(`
      INSERT INTO dedup_claims (account, key, delivery_id, until) VALUES (@account, @key, @deliveryId, @until)
      ON CONFLICT (account, key) DO UPDATE SET delivery_id = excluded.delivery_id, until = excluded.until`);
    this.#sweep = db.prepare(`DELETE FROM dedup_claims WHERE rowid IN (SELECT rowid FROM dedup_claims WHERE until < ? ORDER BY until LIMIT ?)`);
  }

  async claim(account: AccountId, key: string, deliveryId: string, now: Date, until: Date): Promise<string> {
    const [holder] = await this.claimMany([{ account, key, deliveryId, until }], now);
    return holder!;
  }

  async claimMany(claims: readonly DedupClaim[], now: Date): Promise<string[]> {
    if (claims.length === 0) return [];
    const at = toMillis(now);
    return this.#db.transaction(() => {
      // The holder of each key decided in this call: later claims of the key are held by it.
      const decided = new Map<string, string>();
      return claims.map(({ account, key, deliveryId, until }) => {
        const k = `${account}\u0000${key}`;
        const known = decided.get(k);
        if (known !== undefined) return known;
        const latest = this.#latest.get(account, key);
        let holder: string;
        if (latest && (latest.delivery_id === deliveryId || latest.until > at)) {
          holder = latest.delivery_id;
        } else {
          this.#put.run({ account, key, deliveryId, until: toMillis(until) });
          holder = deliveryId;
        }
        decided.set(k, holder);
        return holder;
      });
    }).immediate();
  }

  async deleteExpiredAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    if (!(limit >= 1)) return 0;
    return this.#sweep.run(toMillis(cutoff), Math.floor(limit)).changes;
  }
}
