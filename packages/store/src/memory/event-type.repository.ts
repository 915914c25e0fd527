import { HeraldError } from '@herald/core';
import type { EventType } from '../entities.ts';
import type { EventTypeListQuery, EventTypePatch, EventTypeRepository } from '../repositories.ts';
import { idPage } from '../internal/id-page.ts';
import { jsonCopy } from '../internal/json-value.ts';
import { copyEventType } from './copy.ts';

export class MemoryEventTypeRepository implements EventTypeRepository {
  readonly #byName = new Map<string, EventType>();

  async create(type: EventType): Promise<void> {
    if (this.#byName.has(type.name)) throw new HeraldError('HERALD_CONFLICT', `Event type ${type.name} already exists`);
    this.#byName.set(type.name, copyEventType(type));
  }

  async get(name: string): Promise<EventType | null> {
    const type = this.#byName.get(name);
    return type ? copyEventType(type) : null;
  }

  async list(query: EventTypeListQuery): Promise<EventType[]> {
    const candidates = [...this.#byName.values()].filter((t) => query.includeArchived || !t.archived);
    return idPage(candidates, (t) => t.name, query).map(copyEventType);
  }

  async update(name: string, patch: EventTypePatch, now: Date = new Date()): Promise<EventType | null> {
    const type = this.#byName.get(name);
    if (!type) return null;
    if (patch.description !== undefined) type.description = patch.description;
    if (patch.archived !== undefined) type.archived = patch.archived;
    if (patch.schema === null) delete type.schema;
    else if (patch.schema !== undefined) type.schema = jsonCopy(patch.schema);
    if (patch.example === null) delete type.example;
    else if (patch.example !== undefined) type.example = jsonCopy(patch.example);
    type.updatedAt = new Date(now.getTime());
    return copyEventType(type);
  }
}
