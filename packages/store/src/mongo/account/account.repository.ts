import type { Model } from 'mongoose';
import { HeraldError } from '@herald/core';
import type { Account } from '../../entities.ts';
import type { AccountPatch, AccountRepository, IdPageQuery } from '../../repositories.ts';
import { assertListLimit } from '../../internal/list-query.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { afterId } from '../id-cursor.ts';
import { toAccount, toAccountDoc, type AccountDoc } from './account.schema.ts';

/**
 * Accounts are operator-level: these queries carry no tenant id (the account *is* the id).
 * An update is one `findOneAndUpdate` by `_id`, atomic on its document (on MongoDB and on
 * mongo-java-server): of two concurrent updates of one account, both apply, the last one's
 * fields win.
 */
export class MongoAccountRepository implements AccountRepository {
  readonly #model: Model<AccountDoc>;

  constructor(model: Model<AccountDoc>) {
    this.#model = model;
  }

  async create(account: Account): Promise<void> {
    try {
      await this.#model.insertMany([toAccountDoc(account)], { lean: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Account ${account.id} already exists`, { cause: err });
    }
  }

  async get(id: string): Promise<Account | null> {
    const doc = await this.#model.findOne({ _id: id }).lean<AccountDoc>();
    return doc ? toAccount(doc) : null;
  }

  async list(query: IdPageQuery): Promise<Account[]> {
    assertListLimit(query.limit);
    const docs = await this.#model.find(afterId(query.after)).sort({ _id: 1 }).limit(query.limit).lean<AccountDoc[]>();
    return docs.map(toAccount);
  }

  async update(id: string, patch: AccountPatch, now: Date = new Date()): Promise<Account | null> {
    const set: Partial<AccountDoc> = { updatedAt: now };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.webhooksEnabled !== undefined) set.webhooksEnabled = patch.webhooksEnabled;
    const doc = await this.#model.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'after' }).lean<AccountDoc>();
    return doc ? toAccount(doc) : null;
  }
}
