import { HeraldError } from '@herald/core';
import type { Account } from '../entities.ts';
import type { AccountPatch, AccountRepository, IdPageQuery } from '../repositories.ts';
import { idPage } from '../internal/id-page.ts';
import { copyAccount } from './copy.ts';

export class MemoryAccountRepository implements AccountRepository {
  readonly #byId = new Map<string, Account>();

  async create(account: Account): Promise<void> {
    if (this.#byId.has(account.id)) throw new HeraldError('HERALD_CONFLICT', `Account ${account.id} already exists`);
    this.#byId.set(account.id, copyAccount(account));
  }

  async get(id: string): Promise<Account | null> {
    const account = this.#byId.get(id);
    return account ? copyAccount(account) : null;
  }

  async list(query: IdPageQuery): Promise<Account[]> {
    return idPage(this.#byId.values(), (a) => a.id, query).map(copyAccount);
  }

  async update(id: string, patch: AccountPatch, now: Date = new Date()): Promise<Account | null> {
    const account = this.#byId.get(id);
    if (!account) return null;
    if (patch.name !== undefined) account.name = patch.name;
    if (patch.webhooksEnabled !== undefined) account.webhooksEnabled = patch.webhooksEnabled;
    account.updatedAt = new Date(now.getTime());
    return copyAccount(account);
  }
}
