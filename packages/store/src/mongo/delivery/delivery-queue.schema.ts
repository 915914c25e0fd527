import { Schema } from 'mongoose';

/**
 * An entry of `delivery_queue`: a hint that the delivery `_id` may be claimable from `dueAt` on.
 * Every pending delivery that can be attempted again has one; final deliveries have none (but
 * an entry may outlive its delivery's last pending state: see delivery-queue.ts).
 */
export interface QueueEntryDoc {
  /** The delivery id. */
  _id: string;
  account: string;
  /** From when the scheduler should look at the delivery again. */
  dueAt: Date;
  /**
   * The lease generation (`leaseGen`) of the delivery state the entry was written for; written
   * with `$max`, so it never goes down. An entry newer than the delivery it names belongs to a
   * state whose delivery write has not landed (yet).
   */
  gen: number;
  /** When it was last written, by the writer's own clock. */
  writtenAt: Date;
}

export const DELIVERY_QUEUE_COLLECTION = 'delivery_queue';

export const deliveryQueueSchema = new Schema<QueueEntryDoc>(
  {
    _id: { type: String },
    account: { type: String },
    dueAt: { type: Date },
    gen: { type: Number },
    writtenAt: { type: Date },
  },
  { collection: DELIVERY_QUEUE_COLLECTION, versionKey: false, timestamps: false, autoIndex: false, autoCreate: false },
);

// The scheduler's read: due entries, soonest first. (mongo-java-server ignores it and scans the
// collection, which holds only the deliveries still to be attempted.)
deliveryQueueSchema.index({ dueAt: 1, _id: 1 });
