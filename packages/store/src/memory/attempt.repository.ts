import { HeraldError, type Attempt } from '@herald/core';
import type { AccountId, AttemptRepository } from '../repositories.ts';
import { copyAttempt } from './copy.ts';

export class MemoryAttemptRepository implements AttemptRepository {
  readonly #byId = new Map<string, Attempt>();
  /** `deliveryId` NUL `number`: the unique key the MongoDB index enforces. */
  readonly #numbers = new Set<string>();

  async insert(attempt: Attempt): Promise<void> {
    const key = `${attempt.deliveryId}\u0000${attempt.number}`;
    if (this.#byId.has(attempt.id) || this.#numbers.has(key)) {
      throw new HeraldError('HERALD_CONFLICT', `Attempt ${attempt.number} of delivery ${attempt.deliveryId} is already logged`);
    }
    this.#byId.set(attempt.id, copyAttempt(attempt));
    this.#numbers.add(key);
  }

  async listForDelivery(account: AccountId, deliveryId: string): Promise<Attempt[]> {
    return [...this.#byId.values()]
      .filter((a) => a.account === account && a.deliveryId === deliveryId)
      .sort((a, b) => a.number - b.number)
      .map(copyAttempt);
  }

  async deleteForDeliveriesAcrossAccounts(deliveryIds: readonly string[]): Promise<number> {
    const ids = new Set(deliveryIds);
    let deleted = 0;
    for (const [id, a] of this.#byId) {
      if (!ids.has(a.deliveryId)) continue;
      this.#byId.delete(id);
      this.#numbers.delete(`${a.deliveryId}\u0000${a.number}`);
      deleted++;
    }
    return deleted;
  }
}
