import { Schema } from 'mongoose';
import type { Account } from '../../entities.ts';

/** An account as stored in `accounts` (`_id` = account id). Operator-level: no tenant field. */
export interface AccountDoc {
  _id: string;
  name: string;
  webhooksEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const ACCOUNTS_COLLECTION = 'accounts';

export const accountSchema = new Schema<AccountDoc>(
  {
    _id: { type: String },
    name: { type: String },
    webhooksEnabled: { type: Boolean },
    createdAt: { type: Date },
    updatedAt: { type: Date },
  },
  { collection: ACCOUNTS_COLLECTION, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
);
// Lists page by _id: the default _id index is all they need.

export function toAccountDoc(a: Account): AccountDoc {
  return { _id: a.id, name: a.name, webhooksEnabled: a.webhooksEnabled, createdAt: a.createdAt, updatedAt: a.updatedAt };
}

export function toAccount(doc: AccountDoc): Account {
  return { id: doc._id, name: doc.name, webhooksEnabled: doc.webhooksEnabled, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}
