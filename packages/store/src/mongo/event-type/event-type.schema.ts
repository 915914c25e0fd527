import { Schema } from 'mongoose';
import type { EventType } from '../../entities.ts';
import { fromJsonText, toJsonText } from '../../internal/json-value.ts';

/**
 * An event type as stored in `event_types` (`_id` = its name). Product-wide: no tenant field.
 * The JSON Schema and the example are JSON text: a schema's `$schema`/`$ref` keys, dotted
 * property names and nested arrays come back exactly as given (see internal/json-value.ts).
 */
export interface EventTypeDoc {
  _id: string;
  description: string;
  schema?: string;
  example?: string;
  archived: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const EVENT_TYPES_COLLECTION = 'event_types';

export const eventTypeSchema = new Schema<EventTypeDoc>(
  {
    _id: { type: String },
    description: { type: String },
    schema: { type: String },
    example: { type: String },
    archived: { type: Boolean },
    createdAt: { type: Date },
    updatedAt: { type: Date },
  },
  { collection: EVENT_TYPES_COLLECTION, versionKey: false, minimize: false, timestamps: false, autoIndex: false, autoCreate: false },
);
// The catalog is small and pages by _id: the default _id index serves it.

export function toEventTypeDoc(t: EventType): EventTypeDoc {
  const doc: EventTypeDoc = {
    _id: t.name,
    description: t.description,
    archived: t.archived,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
  if (t.schema !== undefined) doc.schema = toJsonText(t.schema);
  if (t.example !== undefined) doc.example = toJsonText(t.example);
  return doc;
}

export function toEventType(doc: EventTypeDoc): EventType {
  const t: EventType = {
    name: doc._id,
    description: doc.description,
    archived: doc.archived,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.schema != null) t.schema = fromJsonText<Record<string, unknown>>(doc.schema);
  if (doc.example != null) t.example = fromJsonText<Record<string, unknown>>(doc.example);
  return t;
}
