import type { Model } from 'mongoose';
import { HeraldError } from '@herald/core';
import type { AccountId, AccountRecord, AccountRecordRepository, IdPageQuery } from '../../repositories.ts';
import { decodeAccountRecord, encodeAccountRecord } from '../../internal/account-record-codec.ts';
import { assertListLimit } from '../../internal/list-query.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { afterId } from '../id-cursor.ts';
import type { AccountRecordDoc } from './account-record.schema.ts';

function fromDoc<T extends AccountRecord>(doc: AccountRecordDoc): T {
  return decodeAccountRecord<T>({ id: doc._id, account: doc.account, data: doc.data, createdAt: doc.createdAt, updatedAt: doc.updatedAt });
}

/** The MongoDB store's account records of one kind; every query carries the account. */
export class MongoAccountRecordRepository<T extends AccountRecord> implements AccountRecordRepository<T> {
  constructor(
    private readonly model: Model<AccountRecordDoc>,
    private readonly what: string,
  ) {}

  async upsert(record: T): Promise<void> {
    const { id, ...encoded } = encodeAccountRecord(record);
    try {
      // Matched by id and account: an id another account holds collides on _id instead.
      await this.model.replaceOne({ _id: id, account: record.account }, { _id: id, ...encoded }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `${this.what} id ${id} is taken`, { cause: err });
    }
  }

  async get(account: AccountId, id: string): Promise<T | null> {
    const doc = await this.model.findOne({ _id: id, account }).lean<AccountRecordDoc>();
    return doc ? fromDoc<T>(doc) : null;
  }

  async list(account: AccountId): Promise<T[]> {
    const docs = await this.model.find({ account }).sort({ _id: 1 }).lean<AccountRecordDoc[]>();
    return docs.map((d) => fromDoc<T>(d));
  }

  async page(account: AccountId, query: IdPageQuery): Promise<T[]> {
    assertListLimit(query.limit);
    const docs = await this.model.find({ account, ...afterId(query.after) }).sort({ _id: 1 }).limit(query.limit).lean<AccountRecordDoc[]>();
    return docs.map((d) => fromDoc<T>(d));
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    const result = await this.model.deleteOne({ _id: id, account });
    return result.deletedCount === 1;
  }
}
