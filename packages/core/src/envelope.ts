import { z } from 'zod';
import { HeraldError, type FieldError } from './errors.ts';
import { appendPointer, jsonPointer } from './json-pointer.ts';

/** What happened to the entity. `test` is never accepted at intake: only the Test button sends it. */
export const ENTITY_ACTIONS = ['new', 'update', 'delete'] as const;
export type EntityAction = (typeof ENTITY_ACTIONS)[number];

/** The event envelope: the Kafka value on `herald.events`, and the body of `POST /v1/events`. */
export interface EventEnvelope {
  id: string;
  type: string;
  account: string;
  project?: string;
  entity: { type: string; id: string };
  action: EntityAction;
  occurredAt: string;
  data?: Record<string, unknown>;
  previous?: Record<string, unknown>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const plainObject = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  { message: 'must be a JSON object' },
);

const envelopeSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    type: z.string().min(1).max(200).regex(NAME, 'must be a dotted name such as ticket.priority_changed'),
    account: z.string().min(1).max(200),
    project: z.string().min(1).max(200).optional(),
    entity: z.strictObject({
      type: z.string().min(1).max(100).regex(NAME, 'must be a name of letters, digits, _ . : -'),
      id: z.string().min(1).max(200),
    }),
    action: z.enum(ENTITY_ACTIONS),
    occurredAt: z.iso.datetime({ offset: true }),
    data: plainObject.optional(),
    previous: plainObject.optional(),
  })
  .superRefine((env, ctx) => {
    if (env.action !== 'delete' && env.data === undefined) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `is required when action is "${env.action}"` });
    }
  });

function describe(issue: z.core.$ZodIssue, input: unknown): FieldError[] {
  const field = jsonPointer(issue.path.map((p) => (typeof p === 'number' ? p : String(p))));
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({ field: appendPointer(field, k), message: 'is not a known field' }));
    case 'invalid_type': {
      let value: unknown = input;
      for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p];
      if (value === undefined) return [{ field, message: 'is required' }];
      return [{ field, message: `must be ${issue.expected === 'object' ? 'a JSON object' : `a ${issue.expected}`}` }];
    }
    case 'invalid_value':
      return [{ field, message: `must be one of ${issue.values.map(String).join(', ')}` }];
    case 'too_small':
      return [{ field, message: 'must not be empty' }];
    case 'too_big':
      return [{ field, message: `must be at most ${String(issue.maximum)} characters` }];
    case 'invalid_format':
      if (issue.format === 'datetime') return [{ field, message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-11-24T10:55:27Z' }];
      return [{ field, message: issue.message }];
    default:
      return [{ field, message: issue.message }];
  }
}

export type EnvelopeResult = { ok: true; value: EventEnvelope } | { ok: false; errors: FieldError[] };

/** Checks an untrusted value against the envelope; errors name each bad field by JSON Pointer. */
export function validateEnvelope(input: unknown): EnvelopeResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', message: 'the event must be a JSON object' }] };
  }
  const parsed = envelopeSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data as EventEnvelope };
  return { ok: false, errors: parsed.error.issues.flatMap((i) => describe(i, input)) };
}

/** Like validateEnvelope, but throws a HERALD_VALIDATION error. */
export function parseEnvelope(input: unknown): EventEnvelope {
  const r = validateEnvelope(input);
  if (!r.ok) throw HeraldError.validation('The event envelope is invalid', r.errors);
  return r.value;
}

/**
 * Why a well-formed event is refused because Herald does not know what it names: an account that
 * does not exist, or a type that is not in the event type catalog (F16; archived types are in it).
 * The HTTP intake answers these with 422, the matcher sends such an event to `herald.events.dlq`
 * with them in its `herald-error` header: one wording for both paths.
 */
export function unknownReferenceErrors(known: { account: boolean; type: boolean }): FieldError[] {
  const errors: FieldError[] = [];
  if (!known.account) errors.push({ field: '/account', message: 'is not a known account' });
  if (!known.type) errors.push({ field: '/type', message: 'is not in the event type catalog' });
  return errors;
}
