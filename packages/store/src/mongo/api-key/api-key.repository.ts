import type { Model } from 'mongoose';
import { HeraldError } from '@herald/core';
import type { ApiKey } from '../../entities.ts';
import type { AccountId, ApiKeyRepository } from '../../repositories.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import type { ApiKeyRevocationDoc } from './api-key-revocation.schema.ts';
import { toApiKey, toApiKeyDoc, type ApiKeyDoc } from './api-key.schema.ts';

/**
 * Keys live in `api_keys`, revocations in `api_key_revocations` (why: api-key.schema.ts). Every
 * query names the account, except `findActiveByHashAcrossAccounts`, which authentication needs
 * before it knows the account.
 */
export class MongoApiKeyRepository implements ApiKeyRepository {
  readonly #keys: Model<ApiKeyDoc>;
  readonly #revocations: Model<ApiKeyRevocationDoc>;

  constructor(keys: Model<ApiKeyDoc>, revocations: Model<ApiKeyRevocationDoc>) {
    this.#keys = keys;
    this.#revocations = revocations;
  }

  async insert(key: ApiKey): Promise<void> {
    try {
      await this.#keys.insertMany([toApiKeyDoc(key)], { lean: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `API key ${key.id} conflicts with a stored key (same id or same hash)`, { cause: err });
    }
    if (key.revokedAt !== null) await this.#revoke(key.account, key.id, key.revokedAt);
  }

  async findActiveByHashAcrossAccounts(hash: string): Promise<ApiKey | null> {
    const doc = await this.#keys.findOne({ hash }).lean<ApiKeyDoc>();
    if (!doc) return null;
    return (await this.#revokedAt(doc.account, doc._id)) === null ? toApiKey(doc, null) : null;
  }

  async list(account: AccountId): Promise<ApiKey[]> {
    const docs = await this.#keys.find({ account }).sort({ createdAt: 1, _id: 1 }).lean<ApiKeyDoc[]>();
    if (docs.length === 0) return [];
    const revocations = await this.#revocations
      .find({ account, _id: { $in: docs.map((d) => d._id) } })
      .lean<ApiKeyRevocationDoc[]>();
    const revokedAt = new Map(revocations.map((r) => [r._id, r.revokedAt]));
    return docs.map((doc) => toApiKey(doc, revokedAt.get(doc._id) ?? null));
  }

  async get(account: AccountId, id: string): Promise<ApiKey | null> {
    const doc = await this.#keys.findOne({ _id: id, account }).lean<ApiKeyDoc>();
    return doc ? toApiKey(doc, await this.#revokedAt(account, id)) : null;
  }

  async revoke(account: AccountId, id: string, now: Date = new Date()): Promise<ApiKey | null> {
    const doc = await this.#keys.findOne({ _id: id, account }).lean<ApiKeyDoc>();
    if (!doc) return null;
    return toApiKey(doc, await this.#revoke(account, id, now));
  }

  async touch(account: AccountId, id: string, now: Date): Promise<void> {
    await this.#keys.updateOne({ _id: id, account }, { $set: { lastUsedAt: now } });
  }

  /** Records the revocation unless there is one; returns the time of the one that stands. */
  async #revoke(account: AccountId, id: string, now: Date): Promise<Date> {
    try {
      await this.#revocations.insertMany([{ _id: id, account, revokedAt: now }], { lean: true });
      return now;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const first = await this.#revokedAt(account, id);
    if (first === null) throw new HeraldError('HERALD_INTERNAL', `The revocation of API key ${id} collided but cannot be read`);
    return first;
  }

  async #revokedAt(account: AccountId, id: string): Promise<Date | null> {
    const revocation = await this.#revocations.findOne({ _id: id, account }).lean<ApiKeyRevocationDoc>();
    return revocation?.revokedAt ?? null;
  }
}
