import { Ajv2020 } from 'ajv/dist/2020.js';
import { HeraldError, schemaErrorPointer, type FieldError } from '@herald/core';
import type { EventType } from '@herald/store';
import type { OperationHandler } from '../openapi-router.ts';
import { pageOf, presentEventType } from '../presenters.ts';
import { notFound, publishConfigChange, type ApiDeps } from './context.ts';

const ajv = new Ajv2020({ strict: false, allErrors: true });

/** Checks that a schema compiles and the example fits it; errors name the field. */
export function checkSchemaAndExample(schema: Record<string, unknown> | undefined, example: Record<string, unknown> | undefined): void {
  if (!schema) return;
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw HeraldError.validation('The schema is not a valid JSON Schema', [{ field: '/schema', message: `is not a valid JSON Schema: ${(err as Error).message}` }]);
  }
  if (example !== undefined && !validate(example)) {
    const errors: FieldError[] = (validate.errors ?? []).map((e) => ({
      field: schemaErrorPointer(e, '/example'),
      message: e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a known field' : (e.message ?? 'is invalid'),
    }));
    throw HeraldError.validation('The example does not match the schema', errors);
  }
}

export function eventTypeHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  return {
    async createEventType({ body }) {
      const b = body as { name: string; description: string; schema?: Record<string, unknown>; example?: Record<string, unknown> };
      checkSchemaAndExample(b.schema, b.example);
      const now = new Date();
      const t: EventType = { name: b.name, description: b.description, ...(b.schema ? { schema: b.schema } : {}), ...(b.example ? { example: b.example } : {}), archived: false, createdAt: now, updatedAt: now };
      try {
        await deps.store.eventTypes.create(t);
      } catch (err) {
        if ((err as { code?: string }).code === 'HERALD_CONFLICT') {
          throw new HeraldError('HERALD_CONFLICT', `An event type ${t.name} exists already`, { errors: [{ field: '/name', message: 'is taken' }] });
        }
        throw err;
      }
      await publishConfigChange(deps, { kind: 'event-type', id: t.name });
      return { status: 201, body: presentEventType(t) };
    },
    async listEventTypes({ query }) {
      const limit = (query.limit as number | undefined) ?? 20;
      const items = await deps.store.eventTypes.list({
        includeArchived: query.includeArchived === true,
        limit: limit + 1,
        ...(query.after ? { after: query.after as string } : {}),
      });
      return { status: 200, body: pageOf(items, limit, (t) => t.name, presentEventType) };
    },
    async getEventType({ params }) {
      const t = await deps.store.eventTypes.get(params.name!);
      if (!t) throw notFound('event type', params.name!);
      return { status: 200, body: presentEventType(t) };
    },
    async updateEventType({ params, body }) {
      const b = body as { description?: string; schema?: Record<string, unknown> | null; example?: Record<string, unknown> | null; archived?: boolean };
      const current = await deps.store.eventTypes.get(params.name!);
      if (!current) throw notFound('event type', params.name!);
      const schema = b.schema === undefined ? current.schema : (b.schema ?? undefined);
      const example = b.example === undefined ? current.example : (b.example ?? undefined);
      checkSchemaAndExample(schema, example);
      const t = await deps.store.eventTypes.update(params.name!, b);
      if (!t) throw notFound('event type', params.name!);
      await publishConfigChange(deps, { kind: 'event-type', id: t.name });
      return { status: 200, body: presentEventType(t) };
    },
    async archiveEventType({ params }) {
      const t = await deps.store.eventTypes.update(params.name!, { archived: true });
      if (!t) throw notFound('event type', params.name!);
      await publishConfigChange(deps, { kind: 'event-type', id: t.name });
      return { status: 204 };
    },
  };
}
