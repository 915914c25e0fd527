import { Schema } from 'mongoose';
import type { Attempt, AttemptErrorClass } from '@herald/core';
import { fromJsonText, toJsonText } from '../../internal/json-value.ts';

/**
 * An attempt as stored in `attempts`. Header maps are JSON text: names may hold `.` or `$`.
 *
 * `_id` is `<deliveryId>#<number>` (`attemptDocId`), so logging an attempt twice is a duplicate
 * `_id`, which every server checks on insert (mongo-java-server by a hash lookup), and
 * `attempts.insertMany` skips the attempts already logged by their E11000s. The attempt's own id
 * is the field `id`. Attempts logged before that have the attempt id as `_id` and no `id`; they
 * read the same (`toAttempt`).
 */
export interface AttemptDoc {
  _id: string;
  /** The attempt id (`att_…`); absent in attempts logged when `_id` was the attempt id. */
  id?: string;
  account: string;
  deliveryId: string;
  webhookId: string;
  number: number;
  startedAt: Date;
  durationMs: number;
  request: { url: string; method: string; headers: string; body: string };
  response?: { status: number; headers: string; body: string; truncated: boolean };
  error?: { class: AttemptErrorClass; message: string };
  success: boolean;
}

export const ATTEMPTS_COLLECTION = 'attempts';

export const attemptSchema = new Schema<AttemptDoc>(
  {
    _id: { type: String },
    id: { type: String },
    account: { type: String },
    deliveryId: { type: String },
    webhookId: { type: String },
    number: { type: Number },
    startedAt: { type: Date },
    durationMs: { type: Number },
    request: { url: String, method: String, headers: String, body: String },
    response: { status: Number, headers: String, body: String, truncated: Boolean },
    error: { class: String, message: String },
    success: { type: Boolean },
  },
  { collection: ATTEMPTS_COLLECTION, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
);

// One log entry per attempt: logging the same attempt twice is a conflict. The `_id` says so for
// attempts logged with a derived `_id`; this index also for those logged before (and is what a
// MongoDB plans a delivery's attempts by).
attemptSchema.index({ deliveryId: 1, number: 1 }, { unique: true });
// The attempts of a delivery, within its account.
attemptSchema.index({ account: 1, deliveryId: 1 });

/** The `_id` of an attempt document: what makes (deliveryId, number) unique. */
export function attemptDocId(deliveryId: string, number: number): string {
  return `${deliveryId}#${number}`;
}

export function toAttemptDoc(a: Attempt): AttemptDoc {
  const doc: AttemptDoc = {
    _id: attemptDocId(a.deliveryId, a.number),
    id: a.id,
    account: a.account,
    deliveryId: a.deliveryId,
    webhookId: a.webhookId,
    number: a.number,
    startedAt: a.startedAt,
    durationMs: a.durationMs,
    request: { url: a.request.url, method: a.request.method, headers: toJsonText(a.request.headers), body: a.request.body },
    success: a.success,
  };
  if (a.response !== undefined) {
    doc.response = {
      status: a.response.status,
      headers: toJsonText(a.response.headers),
      body: a.response.body,
      truncated: a.response.truncated,
    };
  }
  if (a.error !== undefined) doc.error = { class: a.error.class, message: a.error.message };
  return doc;
}

export function toAttempt(doc: AttemptDoc): Attempt {
  const a: Attempt = {
    id: doc.id ?? doc._id,
    account: doc.account,
    deliveryId: doc.deliveryId,
    webhookId: doc.webhookId,
    number: doc.number,
    startedAt: doc.startedAt,
    durationMs: doc.durationMs,
    request: {
      url: doc.request.url,
      method: doc.request.method,
      headers: fromJsonText<Record<string, string>>(doc.request.headers),
      body: doc.request.body,
    },
    success: doc.success,
  };
  if (doc.response) {
    a.response = {
      status: doc.response.status,
      headers: fromJsonText<Record<string, string>>(doc.response.headers),
      body: doc.response.body,
      truncated: doc.response.truncated,
    };
  }
  if (doc.error) a.error = { class: doc.error.class, message: doc.error.message };
  return a;
}
