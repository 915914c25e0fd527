import { HeraldError } from '@herald/core';
import type { ApiKey } from '../entities.ts';
import type { AccountId, ApiKeyRepository } from '../repositories.ts';
import { compareIds } from '../internal/id-page.ts';
import { copyApiKey } from './copy.ts';

/** Oldest first: `createdAt` ascending, then id ascending. */
function oldestFirst(a: ApiKey, b: ApiKey): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id);
}

export class MemoryApiKeyRepository implements ApiKeyRepository {
  readonly #byId = new Map<string, ApiKey>();
  /** hash -> key id: the unique index the MongoDB store has on `hash`. */
  readonly #idByHash = new Map<string, string>();

  async insert(key: ApiKey): Promise<void> {
    if (this.#byId.has(key.id) || this.#idByHash.has(key.hash)) {
      throw new HeraldError('HERALD_CONFLICT', `API key ${key.id} conflicts with a stored key (same id or same hash)`);
    }
    this.#byId.set(key.id, copyApiKey(key));
    this.#idByHash.set(key.hash, key.id);
  }

  async findActiveByHashAcrossAccounts(hash: string): Promise<ApiKey | null> {
    const id = this.#idByHash.get(hash);
    const key = id === undefined ? undefined : this.#byId.get(id);
    return key && key.revokedAt === null ? copyApiKey(key) : null;
  }

  async list(account: AccountId): Promise<ApiKey[]> {
    return [...this.#byId.values()].filter((k) => k.account === account).sort(oldestFirst).map(copyApiKey);
  }

  async get(account: AccountId, id: string): Promise<ApiKey | null> {
    const key = this.#find(account, id);
    return key ? copyApiKey(key) : null;
  }

  async revoke(account: AccountId, id: string, now: Date = new Date()): Promise<ApiKey | null> {
    const key = this.#find(account, id);
    if (!key) return null;
    key.revokedAt ??= new Date(now.getTime());
    return copyApiKey(key);
  }

  async touch(account: AccountId, id: string, now: Date): Promise<void> {
    const key = this.#find(account, id);
    if (key) key.lastUsedAt = new Date(now.getTime());
  }

  #find(account: AccountId, id: string): ApiKey | undefined {
    const key = this.#byId.get(id);
    return key && key.account === account ? key : undefined;
  }
}
