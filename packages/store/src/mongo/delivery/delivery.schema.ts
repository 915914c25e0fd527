import { Schema } from 'mongoose';
import { DELIVERY_STATUSES, type Delivery, type DeliveryStatus, type EventEnvelope } from '@herald/core';
import { fromJsonText, toJsonText } from '../../internal/json-value.ts';

/** A delivery as stored in `deliveries`. */
export interface DeliveryDoc {
  /** The delivery id. */
  _id: string;
  account: string;
  webhookId: string;
  schemaId: string | null;
  eventId: string;
  eventType: string;
  entity: { type: string; id: string };
  /** The event envelope as JSON text (see internal/json-value.ts for why). */
  event: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
  /** Who holds the lease; not part of the core type. */
  leaseOwner: string | null;
  /** Lease generation: raised by every claim, completion and requeue (see lease-tickets.ts). */
  leaseGen: number;
  lastError?: string;
  suppressedBy?: string;
  /** A Test button delivery (F6); absent = false. */
  test?: boolean;
  /** The last attempt number allowed (set by a resend or replay, F13); absent = the retry schedule decides. */
  attemptLimit?: number;
  createdAt: Date;
  updatedAt: Date;
}

export const DELIVERIES_COLLECTION = 'deliveries';

export const deliverySchema = new Schema<DeliveryDoc>(
  {
    _id: { type: String },
    account: { type: String },
    webhookId: { type: String },
    schemaId: { type: String },
    eventId: { type: String },
    eventType: { type: String },
    entity: { type: { type: String }, id: { type: String } },
    event: { type: String },
    status: { type: String, enum: [...DELIVERY_STATUSES] },
    attempts: { type: Number },
    nextAttemptAt: { type: Date },
    leaseUntil: { type: Date },
    leaseOwner: { type: String },
    leaseGen: { type: Number },
    lastError: { type: String },
    suppressedBy: { type: String },
    test: { type: Boolean },
    attemptLimit: { type: Number },
    createdAt: { type: Date },
    updatedAt: { type: Date },
  },
  { collection: DELIVERIES_COLLECTION, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
);

// The pending deliveries (init()'s queue backfill; the retry scheduler reads delivery_queue).
deliverySchema.index({ status: 1, nextAttemptAt: 1 });
// The delivery log: latest first, with the id as tie-breaker for the cursor.
deliverySchema.index({ account: 1, createdAt: -1, _id: -1 });
// The delivery log of one webhook, and cancelling a webhook's pending deliveries.
deliverySchema.index({ account: 1, webhookId: 1, createdAt: -1 });
// The delivery log of one entity (the `entity` filter).
deliverySchema.index({ account: 1, 'entity.type': 1, 'entity.id': 1, createdAt: -1 });
// Retention: final deliveries by when they became final, oldest first.
deliverySchema.index({ status: 1, updatedAt: 1 });

export function toDeliveryDoc(d: Delivery): DeliveryDoc {
  const doc: DeliveryDoc = {
    _id: d.id,
    account: d.account,
    webhookId: d.webhookId,
    schemaId: d.schemaId,
    eventId: d.eventId,
    eventType: d.eventType,
    entity: { type: d.entity.type, id: d.entity.id },
    event: toJsonText(d.event),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    leaseUntil: d.leaseUntil,
    leaseOwner: null,
    leaseGen: 0,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
  if (d.lastError !== undefined) doc.lastError = d.lastError;
  if (d.suppressedBy !== undefined) doc.suppressedBy = d.suppressedBy;
  if (d.test === true) doc.test = true;
  if (d.attemptLimit !== undefined) doc.attemptLimit = d.attemptLimit;
  return doc;
}

/** The core type: `_id` as `id`, the lease bookkeeping left out. */
export function toDelivery(doc: DeliveryDoc): Delivery {
  const d: Delivery = {
    id: doc._id,
    account: doc.account,
    webhookId: doc.webhookId,
    schemaId: doc.schemaId ?? null,
    eventId: doc.eventId,
    eventType: doc.eventType,
    entity: { type: doc.entity.type, id: doc.entity.id },
    event: fromJsonText<EventEnvelope>(doc.event),
    status: doc.status,
    attempts: doc.attempts,
    nextAttemptAt: doc.nextAttemptAt ?? null,
    leaseUntil: doc.leaseUntil ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.lastError !== undefined && doc.lastError !== null) d.lastError = doc.lastError;
  if (doc.suppressedBy !== undefined && doc.suppressedBy !== null) d.suppressedBy = doc.suppressedBy;
  if (doc.test === true) d.test = true;
  if (typeof doc.attemptLimit === 'number') d.attemptLimit = doc.attemptLimit;
  return d;
}
