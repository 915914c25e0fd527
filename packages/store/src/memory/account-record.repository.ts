import { HeraldError } from '@herald/core';
import type { AccountId, AccountRecord, AccountRecordRepository, IdPageQuery } from '../repositories.ts';
import { compareIds, idPage } from '../internal/id-page.ts';
import { decodeAccountRecord, encodeAccountRecord, type EncodedAccountRecord } from '../internal/account-record-codec.ts';

/** The memory store's account records of one kind (`what` names the kind in errors). */
export class MemoryAccountRecordRepository<T extends AccountRecord> implements AccountRecordRepository<T> {
  readonly #byId = new Map<string, EncodedAccountRecord>();

  constructor(private readonly what: string) {}

  async upsert(record: T): Promise<void> {
    const existing = this.#byId.get(record.id);
    if (existing && existing.account !== record.account) throw new HeraldError('HERALD_CONFLICT', `${this.what} id ${record.id} is taken`);
    this.#byId.set(record.id, encodeAccountRecord(record));
  }

  async get(account: AccountId, id: string): Promise<T | null> {
    const stored = this.#byId.get(id);
    return stored && stored.account === account ? decodeAccountRecord<T>(stored) : null;
  }

  async list(account: AccountId): Promise<T[]> {
    return this.#ofAccount(account)
      .sort((a, b) => compareIds(a.id, b.id))
      .map((r) => decodeAccountRecord<T>(r));
  }

  async page(account: AccountId, query: IdPageQuery): Promise<T[]> {
    return idPage(this.#ofAccount(account), (r) => r.id, query).map((r) => decodeAccountRecord<T>(r));
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    const stored = this.#byId.get(id);
    if (!stored || stored.account !== account) return false;
    return this.#byId.delete(id);
  }

  #ofAccount(account: AccountId): EncodedAccountRecord[] {
    return [...this.#byId.values()].filter((r) => r.account === account);
  }
}
