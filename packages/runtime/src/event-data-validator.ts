import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { schemaErrorPointer, type FieldError } from '@herald/core';

/** What the validator needs of an event type (the store's EventType fits). */
export interface EventTypeSchemaSource {
  schema?: Record<string, unknown>;
  updatedAt: Date;
}

/**
 * Checks an event's `data` against its event type's JSON Schema (F16), for the HTTP intake and
 * the Kafka path alike. Compiled schemas are cached until the type changes (`updatedAt`); a
 * type without a schema, or not in the catalog, accepts anything.
 */
export class EventDataValidator {
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #compiled = new Map<string, { at: number; validate: ValidateFunction }>();

  constructor(private readonly lookup: (type: string) => Promise<EventTypeSchemaSource | null>) {}

  async errors(type: string, data: unknown): Promise<FieldError[]> {
    return this.errorsFor(type, await this.lookup(type), data);
  }

  /** As `errors`, for a type the caller has looked up already (null: not in the catalog). */
  errorsFor(type: string, t: EventTypeSchemaSource | null, data: unknown): FieldError[] {
    if (!t?.schema) return [];
    let entry = this.#compiled.get(type);
    if (!entry || entry.at !== t.updatedAt.getTime()) {
      entry = { at: t.updatedAt.getTime(), validate: this.#ajv.compile(t.schema) };
      this.#compiled.set(type, entry);
    }
    if (entry.validate(data ?? {})) return [];
    return (entry.validate.errors ?? []).map((e) => ({
      field: schemaErrorPointer(e, '/data'),
      message: e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid'),
    }));
  }
}
