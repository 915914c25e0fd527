import { Schema, type Model } from 'mongoose';
import type { AccountId, DedupRepository } from '../../repositories.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';

/** One claim of a de-duplication key: `_id` = key and generation, so a generation is taken once. */
export interface DedupClaimDoc {
  _id: string;
  account: string;
  key: string;
  generation: number;
  deliveryId: string;
  until: Date;
}

export const dedupClaimSchema = new Schema<DedupClaimDoc>(
  {
    _id: { type: String },
    account: { type: String },
    key: { type: String },
    generation: { type: Number },
    deliveryId: { type: String },
    until: { type: Date },
  },
  { collection: 'dedup_claims', versionKey: false, timestamps: false, autoIndex: false, autoCreate: false },
);
// The latest generation of a key; the sweeper's expired claims.
dedupClaimSchema.index({ account: 1, key: 1, generation: -1 });
dedupClaimSchema.index({ until: 1 });

/** Tries before giving up on a key that other claimers keep taking (each try is one read and one insert). */
const MAX_TRIES = 8;

/**
 * De-duplication claims on MongoDB/FerretDB, insert-only: a claim takes the next generation of its
 * key through the unique `_id`, so two claimers of one generation cannot both win, whatever the
 * server's update semantics.
 */
export class MongoDedupRepository implements DedupRepository {
  constructor(private readonly model: Model<DedupClaimDoc>) {}

  async claim(account: AccountId, key: string, deliveryId: string, now: Date, until: Date): Promise<string> {
    for (let i = 0; i < MAX_TRIES; i++) {
      const latest = await this.model.findOne({ account, key }).sort({ generation: -1 }).lean<DedupClaimDoc>();
      if (latest && (latest.deliveryId === deliveryId || latest.until.getTime() > now.getTime())) return latest.deliveryId;
      const generation = latest ? latest.generation + 1 : 0;
      try {
        await this.model.insertMany([{ _id: `${account}\u0000${key}\u0000${generation}`, account, key, generation, deliveryId, until }], { lean: true });
        return deliveryId;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // Someone took this generation first: look again.
      }
    }
    throw new Error(`could not claim the de-duplication key of delivery ${deliveryId}: it changed hands ${MAX_TRIES} times in a row`);
  }

  async deleteExpiredAcrossAccounts(cutoff: Date, limit: number): Promise<number> {
    const docs = await this.model.find({ until: { $lt: cutoff } }, { _id: 1, account: 1, key: 1, generation: 1 }).limit(limit).lean<DedupClaimDoc[]>();
    if (docs.length === 0) return 0;
    // Keep the latest generation of each key, expired or not: the next claim reads it to know its number.
    const keep = new Set<string>();
    for (const d of docs) {
      const latest = await this.model.findOne({ account: d.account, key: d.key }, { _id: 1 }).sort({ generation: -1 }).lean<{ _id: string }>();
      if (latest) keep.add(latest._id);
    }
    const ids = docs.map((d) => d._id).filter((id) => !keep.has(id));
    if (ids.length === 0) return 0;
    const r = await this.model.deleteMany({ _id: { $in: ids } });
    return r.deletedCount ?? 0;
  }
}
