import { Schema } from 'mongoose';

/**
 * A revoked API key, in `api_key_revocations` (`_id` = key id). Revoking inserts this record
 * and never updates it, which makes revocation exact on FerretDB too (whose updates are not
 * atomic, but whose unique-key inserts are): the first revocation's time is kept even when two
 * race, and no concurrent write to the key document can undo it.
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
