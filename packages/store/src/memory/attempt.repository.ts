import { HeraldError, type Attempt } from '@herald/core';
import type { AccountId, AttemptRepository } from '../repositories.ts';
import { copyAttempt } from './copy.ts';

/** `deliveryId` NUL `number`: what identifies an attempt, as the MongoDB `_id` does. */
function keyOf(a: Pick<Attempt, 'deliveryId' | 'number'>): string {
  return `${a.deliveryId}\u0000${a.number}`;
}

export class MemoryAttemptRepository implements AttemptRepository {
  readonly #byKey = new Map<string, Attempt>();

  async insert(attempt: Attempt): Promise<void> {
    const key = keyOf(attempt);
    if (this.#byKey.has(key)) {
      throw new HeraldError('HERALD_CONFLICT', `Attempt ${attempt.number} of delivery ${attempt.deliveryId} is already logged`);
    }
    this.#byKey.set(key, copyAttempt(attempt));
  }

  async insertMany(attempts: Attempt[]): Promise<{ inserted: number }> {
    let inserted = 0;
    for (const attempt of attempts) {
      const key = keyOf(attempt);
      if (this.#byKey.has(key)) continue;
      this.#byKey.set(key, copyAttempt(attempt));
      inserted++;
    }
    return { inserted };
  }

  async listForDelivery(account: AccountId, deliveryId: string): Promise<Attempt[]> {
    return [...this.#byKey.values()]
      .filter((a) => a.account === account && a.deliveryId === deliveryId)
      .sort((a, b) => a.number - b.number)
      .map(copyAttempt);
  }

  async deleteForDeliveriesAcrossAccounts(deliveryIds: readonly string[]): Promise<number> {
    const ids = new Set(deliveryIds);
    let deleted = 0;
    for (const [key, a] of this.#byKey) {
      if (!ids.has(a.deliveryId)) continue;
      this.#byKey.delete(key);
      deleted++;
    }
    return deleted;
  }
}
