import type { Model, UpdateQuery } from 'mongoose';
import { HeraldError } from '@herald/core';
import type { EventType } from '../../entities.ts';
import type { EventTypeListQuery, EventTypePatch, EventTypeRepository } from '../../repositories.ts';
import { toJsonText } from '../../internal/json-value.ts';
import { assertListLimit } from '../../internal/list-query.ts';
import { isDuplicateKeyError } from '../duplicate-key.ts';
import { afterId } from '../id-cursor.ts';
import { toEventType, toEventTypeDoc, type EventTypeDoc } from './event-type.schema.ts';

/**
 * The product-wide catalog: these queries carry no tenant id. As with accounts, an update is one
 * atomic `findOneAndUpdate` by `_id`: of two concurrent updates of one type, the last one's
 * fields win.
 */
export class MongoEventTypeRepository implements EventTypeRepository {
  readonly #model: Model<EventTypeDoc>;

  constructor(model: Model<EventTypeDoc>) {
    this.#model = model;
  }

  async create(type: EventType): Promise<void> {
    try {
      await this.#model.insertMany([toEventTypeDoc(type)], { lean: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Event type ${type.name} already exists`, { cause: err });
    }
  }

  async get(name: string): Promise<EventType | null> {
    const doc = await this.#model.findOne({ _id: name }).lean<EventTypeDoc>();
    return doc ? toEventType(doc) : null;
  }

  async list(query: EventTypeListQuery): Promise<EventType[]> {
    assertListLimit(query.limit);
    const filter = { ...afterId(query.after), ...(query.includeArchived ? {} : { archived: false }) };
    const docs = await this.#model.find(filter).sort({ _id: 1 }).limit(query.limit).lean<EventTypeDoc[]>();
    return docs.map(toEventType);
  }

  async update(name: string, patch: EventTypePatch, now: Date = new Date()): Promise<EventType | null> {
    const set: Partial<EventTypeDoc> = { updatedAt: now };
    const unset: Partial<Record<'schema' | 'example', 1>> = {};
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.archived !== undefined) set.archived = patch.archived;
    if (patch.schema === null) unset.schema = 1;
    else if (patch.schema !== undefined) set.schema = toJsonText(patch.schema);
    if (patch.example === null) unset.example = 1;
    else if (patch.example !== undefined) set.example = toJsonText(patch.example);
    const update: UpdateQuery<EventTypeDoc> = { $set: set };
    if (Object.keys(unset).length > 0) update.$unset = unset;
    const doc = await this.#model.findOneAndUpdate({ _id: name }, update, { returnDocument: 'after' }).lean<EventTypeDoc>();
    return doc ? toEventType(doc) : null;
  }
}
