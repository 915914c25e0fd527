import { Schema } from 'mongoose';
import type { ApiKey, ApiKeyRole } from '../../entities.ts';

/**
 * An API key as stored in `api_keys` (`_id` = key id). Its revocation is not in this document
 * but in `api_key_revocations` (see api-key-revocation.schema.ts): `touch` writes this document
 * on every authenticated request, and a revocation kept apart from it cannot be undone by a
 * write to the key, whatever the server does with concurrent updates.
 */
export interface ApiKeyDoc {
  _id: string;
  account: string;
  name: string;
  role: ApiKeyRole;
  hash: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export const API_KEYS_COLLECTION = 'api_keys';

export const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String },
    account: { type: String },
    name: { type: String },
    role: { type: String },
    hash: { type: String },
    prefix: { type: String },
    createdAt: { type: Date },
    lastUsedAt: { type: Date },
  },
  { collection: API_KEYS_COLLECTION, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
);

// Authentication looks keys up by hash, across accounts; two keys never share one.
apiKeySchema.index({ hash: 1 }, { unique: true });
// An account's keys, oldest first.
apiKeySchema.index({ account: 1, createdAt: 1, _id: 1 });

export function toApiKeyDoc(k: ApiKey): ApiKeyDoc {
  return {
    _id: k.id,
    account: k.account,
    name: k.name,
    role: k.role,
    hash: k.hash,
    prefix: k.prefix,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
  };
}

export function toApiKey(doc: ApiKeyDoc, revokedAt: Date | null): ApiKey {
  return {
    id: doc._id,
    account: doc.account,
    name: doc.name,
    role: doc.role,
    hash: doc.hash,
    prefix: doc.prefix,
    createdAt: doc.createdAt,
    revokedAt,
    lastUsedAt: doc.lastUsedAt ?? null,
  };
}
