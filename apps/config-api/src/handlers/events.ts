import { entityKey, HeraldError, unknownReferenceErrors, validateEnvelope, type EventEnvelope } from '@herald/core';
import { EventDataValidator } from '@herald/runtime';
import type { EventType } from '@herald/store';
import { encodeJson } from '@herald/bus';
import type { OperationHandler } from '../openapi-router.ts';
import { KnownNames } from '../known-names.ts';
import type { ApiDeps } from './context.ts';

/** The header that flags an accepted event whose data failed its event type's schema. */
export const DATA_INVALID_HEADER = 'herald-data-invalid';

/** What the `detail` of a 422 says for each unknown reference (its `errors` name the fields). */
function unknownDetail(event: EventEnvelope, known: { account: boolean; type: boolean }): string {
  const parts: string[] = [];
  if (!known.account) parts.push(`no account ${event.account} exists`);
  if (!known.type) parts.push(`the event type ${event.type} is not in the event type catalog (an operator declares it with POST /v1/event-types)`);
  return `The event cannot be taken: ${parts.join(', and ')}`;
}

export function eventHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  const validator = new EventDataValidator((type) => deps.store.eventTypes.get(type));
  // Remembered once found (accounts and event types are never deleted), so that the hot path
  // reads the store for neither an account nor a deleted entity's type it has seen lately.
  const accounts = new KnownNames(async (id) => (await deps.store.accounts.get(id)) !== null);
  const types = new KnownNames(async (name) => (await deps.store.eventTypes.get(name)) !== null);

  /**
   * The event's type: looked up on every event that carries data, as the schema check always did
   * (its schema may just have changed), and remembered as known; a delete (no data to check)
   * needs only to know that the type exists.
   */
  async function lookupType(event: EventEnvelope): Promise<{ known: boolean; type: EventType | null }> {
    if (event.action === 'delete') return { known: await types.has(event.type), type: null };
    const type = await deps.store.eventTypes.get(event.type);
    if (type) types.remember(type.name);
    return { known: type !== null, type };
  }

  return {
    async postEvent({ principal, body }) {
      const r = validateEnvelope(body);
      if (!r.ok) throw HeraldError.validation('The event is invalid', r.errors);
      const event = r.value;
      if (principal?.kind === 'account' && principal.account !== event.account) {
        throw new HeraldError('HERALD_FORBIDDEN', 'An account key may only post events of its own account', { errors: [{ field: '/account', message: 'is not the key\'s account' }] });
      }
      const [accountKnown, { known: typeKnown, type }] = await Promise.all([accounts.has(event.account), lookupType(event)]);
      const unknown = unknownReferenceErrors({ account: accountKnown, type: typeKnown });
      if (unknown.length > 0) {
        throw new HeraldError('HERALD_VALIDATION', unknownDetail(event, { account: accountKnown, type: typeKnown }), { errors: unknown, status: 422 });
      }
      const headers: Record<string, string> = { 'herald-event-id': event.id };
      if (event.action !== 'delete') {
        const errors = validator.errorsFor(event.type, type, event.data);
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
