import type Database from 'better-sqlite3';
import { HeraldError } from '@herald/core';
import type { EventType } from '../entities.ts';
import type { EventTypeListQuery, EventTypePatch, EventTypeRepository } from '../repositories.ts';
import { assertListLimit } from '../internal/list-query.ts';
import { fromJsonText, toJsonText } from '../internal/json-value.ts';
import { fromFlag, toDate, toFlag, toMillis } from './columns.ts';
import { isUniqueViolation } from './constraint-error.ts';

interface EventTypeRow {
  name: string;
  description: string;
  archived: number;
  /** JSON text; null = none published. */
  schema: string | null;
  example: string | null;
  created_at: number;
  updated_at: number;
}

function toRow(t: EventType): EventTypeRow {
  return {
    name: t.name,
    description: t.description,
    archived: toFlag(t.archived),
    schema: t.schema === undefined ? null : toJsonText(t.schema),
    example: t.example === undefined ? null : toJsonText(t.example),
    created_at: toMillis(t.createdAt),
    updated_at: toMillis(t.updatedAt),
  };
}

function fromRow(row: EventTypeRow): EventType {
  const t: EventType = { name: row.name, description: row.description, archived: fromFlag(row.archived), createdAt: toDate(row.created_at), updatedAt: toDate(row.updated_at) };
  if (row.schema !== null) t.schema = fromJsonText<Record<string, unknown>>(row.schema);
  if (row.example !== null) t.example = fromJsonText<Record<string, unknown>>(row.example);
  return t;
}

/** The event type catalog (product-wide), by name. */
export class SqliteEventTypeRepository implements EventTypeRepository {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[EventTypeRow]>;
  readonly #get: Database.Statement<[string], EventTypeRow>;
  readonly #page: Database.Statement<[{ after: string | null; all: number; limit: number }], EventTypeRow>;
  readonly #save: Database.Statement<[EventTypeRow]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(`
      INSERT INTO event_types (name, description, archived, schema, example, created_at, updated_at)
      VALUES (@name, @description, @archived, @schema, @example, @created_at, @updated_at)`);
    this.#get = db.prepare(`SELECT * FROM event_types WHERE name = ?`);
    this.#page = db.prepare(`
      SELECT * FROM event_types WHERE (@after IS NULL OR name > @after) AND (@all = 1 OR archived = 0) ORDER BY name LIMIT @limit`);
    this.#save = db.prepare(`
      UPDATE event_types SET description = @description, archived = @archived, schema = @schema, example = @example, updated_at = @updated_at
      WHERE name = @name`);
  }

  async create(type: EventType): Promise<void> {
    try {
      this.#insert.run(toRow(type));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new HeraldError('HERALD_CONFLICT', `Event type ${type.name} already exists`, { cause: err });
    }
  }

  async get(name: string): Promise<EventType | null> {
    const row = this.#get.get(name);
    return row ? fromRow(row) : null;
  }

  async list(query: EventTypeListQuery): Promise<EventType[]> {
    assertListLimit(query.limit);
    return this.#page.all({ after: query.after ?? null, all: toFlag(query.includeArchived), limit: query.limit }).map(fromRow);
  }

  async update(name: string, patch: EventTypePatch, now: Date = new Date()): Promise<EventType | null> {
    return this.#db.transaction(() => {
      const row = this.#get.get(name);
      if (!row) return null;
      const type = fromRow(row);
      if (patch.description !== undefined) type.description = patch.description;
      if (patch.archived !== undefined) type.archived = patch.archived;
      if (patch.schema === null) delete type.schema;
      else if (patch.schema !== undefined) type.schema = patch.schema;
      if (patch.example === null) delete type.example;
      else if (patch.example !== undefined) type.example = patch.example;
      type.updatedAt = new Date(now.getTime());
      const saved = toRow(type);
      this.#save.run(saved);
      // What was written, read back through JSON: the caller's patch objects are not handed back.
      return fromRow(saved);
    }).immediate();
  }
}
