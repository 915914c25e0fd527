import { entityKey, HeraldError, validateEnvelope } from '@herald/core';
import { EventDataValidator } from '@herald/runtime';
import { encodeJson } from '@herald/bus';
import type { OperationHandler } from '../openapi-router.ts';
import type { ApiDeps } from './context.ts';

/** The header that flags an accepted event whose data failed its event type's schema. */
export const DATA_INVALID_HEADER = 'herald-data-invalid';

export function eventHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  const validator = new EventDataValidator((type) => deps.store.eventTypes.get(type));

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
        const errors = await validator.errors(event.type, event.data);
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
