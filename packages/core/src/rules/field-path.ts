/**
 * Field paths of rule conditions: `data.ticket.status` → `['data', 'ticket', 'status']`, read from
 * an event without ever throwing, whatever the event holds.
 */

/** The envelope fields a condition may name, and whether a path may go below them. */
const ROOTS: Readonly<Record<string, 'leaf' | 'entity' | 'record'>> = {
  id: 'leaf',
  type: 'leaf',
  account: 'leaf',
  project: 'leaf',
  action: 'leaf',
  occurredAt: 'leaf',
  entity: 'entity',
  data: 'record',
  previous: 'record',
};

export const EVENT_FIELD_ROOTS: readonly string[] = Object.keys(ROOTS);

const SEGMENT = /^[^.\s]+$/;
const INDEX = /^(?:0|[1-9][0-9]{0,8})$/;
const MAX_SEGMENTS = 32;

export type FieldPathCheck = { ok: true; segments: string[] } | { ok: false; message: string };

/** Splits and checks a condition's field path (syntax and envelope root, not the event type's schema). */
export function checkFieldPath(field: unknown): FieldPathCheck {
  if (typeof field !== 'string' || field.length === 0) return { ok: false, message: 'must be a non-empty field path such as data.priority' };
  const segments = field.split('.');
  if (segments.length > MAX_SEGMENTS) return { ok: false, message: `must have at most ${MAX_SEGMENTS} segments` };
  if (!segments.every((s) => SEGMENT.test(s))) {
    return { ok: false, message: 'must be dot-separated names without spaces, such as data.ticket.status' };
  }
  const root = segments[0]!;
  const kind = Object.hasOwn(ROOTS, root) ? ROOTS[root] : undefined;
  if (kind === undefined) return { ok: false, message: `must start with one of ${EVENT_FIELD_ROOTS.join(', ')}` };
  if (kind === 'leaf' && segments.length > 1) return { ok: false, message: `${root} has no fields below it` };
  if (kind === 'entity' && (segments.length > 2 || (segments.length === 2 && segments[1] !== 'type' && segments[1] !== 'id'))) {
    return { ok: false, message: 'entity has only the fields entity.type and entity.id' };
  }
  return { ok: true, segments };
}

/** Whether the path reads a field under `data` (the only fields `changed` can compare). */
export function isDataPath(segments: readonly string[]): boolean {
  return segments.length > 1 && segments[0] === 'data';
}

/**
 * The value at a path, or undefined when any step is missing. Only own properties are read (so
 * `data.constructor` is missing, not `Object`); arrays are read only at decimal indexes; strings
 * and other primitives have no fields.
 */
export function readPath(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (let i = 0; i < segments.length; i++) {
    if (typeof value !== 'object' || value === null) return undefined;
    const key = segments[i]!;
    if (Array.isArray(value)) {
      if (!INDEX.test(key)) return undefined;
    }
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
