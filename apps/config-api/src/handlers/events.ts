import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { entityKey, HeraldError, validateEnvelope, type FieldError } from '@herald/core';
import { encodeJson } from '@herald/bus';
import type { OperationHandler } from '../openapi-router.ts';
import type { ApiDeps } from './context.ts';

/** The header that flags an accepted event whose data failed its event type's schema. */
export const DATA_INVALID_HEADER = 'herald-data-invalid';

export function eventHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const compiled = new Map<string, { at: number; validate: ValidateFunction }>();

  async function dataErrors(type: string, data: unknown): Promise<FieldError[]> {
    const t = await deps.store.eventTypes.get(type);
    if (!t?.schema) return [];
    let entry = compiled.get(type);
    if (!entry || entry.at !== t.updatedAt.getTime()) {
      entry = { at: t.updatedAt.getTime(), validate: ajv.compile(t.schema) };
      compiled.set(type, entry);
    }
    if (entry.validate(data ?? {})) return [];
    return (entry.validate.errors ?? []).map((e) => ({ field: `/data${e.instancePath}`, message: e.message ?? 'is invalid' }));
  }

  return {
    async postEvent({ principal, body }) {
      const r = validateEnvelope(body);
      if (!r.ok) throw HeraldError.validation('The event is invalid', r.errors);
      const event = r.value;
      if (principal?.kind === 'account' && principal.account !== event.account) {
        throw new HeraldError('HERALD_FORBIDDEN', 'An account key may only post events of its own account', { errors: [{ field: '/account', message: 'is not the key\'s account' }] });
      }
      const headers: Record<string, string> = { 'herald-event-id': event.id };
      if (event.action !== 'delete') {
        const errors = await dataErrors(event.type, event.data);
        if (errors.length > 0) {
          if (deps.eventValidation === 'reject') throw HeraldError.validation(`The data does not match the schema of ${event.type}`, errors);
          headers[DATA_INVALID_HEADER] = JSON.stringify(errors);
        }
      }
      await deps.bus.publish(deps.topics.events, [{ key: entityKey(event), value: encodeJson(event), headers }]);
      return { status: 202, body: { id: event.id, status: 'accepted' } };
    },
  };
}
