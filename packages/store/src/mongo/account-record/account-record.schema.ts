import { Schema } from 'mongoose';

/** An account record as stored (see internal/account-record-codec.ts): `data` is JSON text. */
export interface AccountRecordDoc {
  _id: string;
  account: string;
  data: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The schema of one kind of account record, in its own collection. */
export function accountRecordSchema(collection: string): Schema<AccountRecordDoc> {
  const schema = new Schema<AccountRecordDoc>(
    {
      _id: { type: String },
      account: { type: String },
      data: { type: String },
      createdAt: { type: Date },
      updatedAt: { type: Date },
    },
    { collection, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
  );
  // An account's records, paged by id.
  schema.index({ account: 1, _id: 1 });
  return schema;
}
