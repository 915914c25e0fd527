/**
 * JSON Pointers (RFC 6901), the `field` of every `FieldError`: one place that writes them, so
 * that a key holding `/` or `~` is escaped (`~1`, `~0`) the same way everywhere. A key `a/b` is
 * `/a~1b`, a key `/data` is `/~1data`, never `//data`.
 */

/** One reference token, escaped: `~` as `~0`, then `/` as `~1`. */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The pointer of a path of keys and indexes: `['retry', 'schedule', 0]` → `/retry/schedule/0`; `[]` → `` (the whole document). */
export function jsonPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}

/** A pointer (already escaped, e.g. ajv's `instancePath`) followed by more keys, each escaped. */
export function appendPointer(pointer: string, ...tokens: (string | number)[]): string {
  return pointer + jsonPointer(tokens);
}

/** The keys and indexes of a pointer, unescaped: `/a~1b/0` → `['a/b', '0']`. */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`A JSON Pointer starts with "/": ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** What Herald reads of a JSON Schema validation error (ajv's `ErrorObject` has this shape). */
export interface SchemaErrorLike {
  /** Where the failing value is: a JSON Pointer, already escaped. */
  instancePath: string;
  keyword: string;
  params?: Record<string, unknown>;
}

/**
 * The pointer of the field a schema error is about: the failing value, or for `required`,
 * `dependentRequired` and `additionalProperties` the property that is missing or unknown, and
 * for `propertyNames` the property whose name is refused. `base` is put in front (e.g. `/data`
 * when the schema describes the `data` of an event).
 */
export function schemaErrorPointer(error: SchemaErrorLike, base = ''): string {
  const p = error.params ?? {};
  const at = base + error.instancePath;
  if ((error.keyword === 'required' || error.keyword === 'dependentRequired' || error.keyword === 'dependencies') && typeof p['missingProperty'] === 'string') {
    return appendPointer(at, p['missingProperty']);
  }
  if (error.keyword === 'additionalProperties' && typeof p['additionalProperty'] === 'string') return appendPointer(at, p['additionalProperty']);
  if (error.keyword === 'unevaluatedProperties' && typeof p['unevaluatedProperty'] === 'string') return appendPointer(at, p['unevaluatedProperty']);
  if (error.keyword === 'propertyNames' && typeof p['propertyName'] === 'string') return appendPointer(at, p['propertyName']);
  return at;
}
