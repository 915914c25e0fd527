import { Schema } from 'mongoose';

/**
 * A revoked API key, in `api_key_revocations` (`_id` = key id). Revoking inserts this record
 * and never updates it: the unique `_id` keeps the first revocation's time even when two race
 * (an insert is the one compare-and-set every server does cheaply: a conditional update would
 * scan the collection on mongo-java-server), and no write to the key document can undo it. It
 * was introduced for a test server whose updates were not atomic, and stays: it needs no
 * conditional write, and keys stored so far read the same.
 */
export interface ApiKeyRevocationDoc {
  _id: string;
  account: string;
  revokedAt: Date;
}

export const API_KEY_REVOCATIONS_COLLECTION = 'api_key_revocations';

export const apiKeyRevocationSchema = new Schema<ApiKeyRevocationDoc>(
  {
    _id: { type: String },
    account: { type: String },
    revokedAt: { type: Date },
  },
  {
    collection: API_KEY_REVOCATIONS_COLLECTION,
    versionKey: false,
    minimize: false,
    timestamps: false,
    autoIndex: false,
    autoCreate: false,
  },
);

// The revocations of an account's keys (listing them).
apiKeyRevocationSchema.index({ account: 1 });
