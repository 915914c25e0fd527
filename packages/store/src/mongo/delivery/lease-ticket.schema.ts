import { Schema } from 'mongoose';

/**
 * One lease generation of one delivery, taken by inserting it: `_id` is
 * `<deliveryId>#<gen>`, so of several takers exactly one succeeds (see lease-tickets.ts).
 */
export interface LeaseTicketDoc {
  _id: string;
  account: string;
  deliveryId: string;
  gen: number;
  owner: string;
  /** Until when the taker may still be writing under this generation. */
  leaseUntil: Date;
  createdAt: Date;
}

export const LEASE_TICKETS_COLLECTION = 'delivery_lease_tickets';

export const leaseTicketSchema = new Schema<LeaseTicketDoc>(
  {
    _id: { type: String },
    account: { type: String },
    deliveryId: { type: String },
    gen: { type: Number },
    owner: { type: String },
    leaseUntil: { type: Date },
    createdAt: { type: Date },
  },
  { collection: LEASE_TICKETS_COLLECTION, versionKey: false, timestamps: false, autoIndex: false, autoCreate: false },
);

// Retention: the expired tickets of the deliveries it deletes (completions and requeues clear
// theirs by `_id`).
leaseTicketSchema.index({ deliveryId: 1, gen: 1 });

export function leaseTicketId(deliveryId: string, gen: number): string {
  return `${deliveryId}#${gen}`;
}
