/**
 * Whether a JSON Schema (an event type's schema of `data`, F16) has a field path, so that a rule's
 * `data.priority` can be checked when it is saved.
 */

/**
 * - `present`: the schema declares the path (through `properties`, `patternProperties`, an
 *   `additionalProperties` schema, `items`/`prefixItems` for decimal segments, local `$ref`s and
 *   `allOf`/`anyOf`/`oneOf`/`then`/`else` branches);
 * - `absent`: the schema describes the object on the way and the path is not in it (a property not
 *   in `properties` — unless `additionalProperties` is `true` or a schema — or a field below a
 *   scalar);
 * - `open`: the schema does not describe that far (`{}`, `{ "type": "object" }` without
 *   properties, `additionalProperties: true`, a remote `$ref`), so nothing can be said.
 */
export type SchemaPathResult = 'present' | 'absent' | 'open';

const INDEX = /^(?:0|[1-9][0-9]{0,8})$/;
const MAX_STEPS = 2000;

type Schema = Record<string, unknown>;

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Whether a schema's `type` rules the segment out by itself: a non-object has no named fields, and
 * only an array has decimal ones.
 */
function typeExcludes(s: Schema, index: boolean): boolean {
  const t = s['type'];
  const types = typeof t === 'string' ? [t] : Array.isArray(t) ? t : undefined;
  if (types === undefined || types.includes('object')) return false;
  return !index || !types.includes('array');
}

/** Whether `schema` (whose document is `root`, for `$ref`s) has the path `segments`. */
export function schemaPath(root: unknown, segments: readonly string[]): SchemaPathResult {
  let steps = 0;

  /** The schema and its branches, `$ref`s resolved; `open` when a part cannot be resolved. */
  function expand(node: unknown, out: Schema[], seen: Set<unknown>): boolean {
    if (++steps > MAX_STEPS) return false;
    if (typeof node === 'boolean') return true; // `true` admits anything, `false` nothing: no fields described
    if (!isObject(node)) return false;
    if (seen.has(node)) return true;
    seen.add(node);
    out.push(node);
    const ref = node['$ref'];
    if (typeof ref === 'string') {
      const target = resolvePointer(root, ref);
      if (target === undefined || !expand(target, out, seen)) return false;
    }
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = node[key];
      if (Array.isArray(list)) for (const s of list) if (!expand(s, out, seen)) return false;
    }
    for (const key of ['then', 'else'] as const) {
      if (node[key] !== undefined && !expand(node[key], out, seen)) return false;
    }
    return true;
  }

  function walk(node: unknown, i: number): SchemaPathResult {
    if (i === segments.length) return 'present';
    if (steps > MAX_STEPS) return 'open';
    const alternatives: Schema[] = [];
    if (!expand(node, alternatives, new Set())) return 'open';
    const seg = segments[i]!;
    const index = INDEX.test(seg);
    let describes = false;
    let open = false;
    const results: SchemaPathResult[] = [];
    for (const s of alternatives) {
      if (typeExcludes(s, index)) describes = true;
      const props = s['properties'];
      let matched = false;
      if (isObject(props)) {
        describes = true;
        if (Object.hasOwn(props, seg)) {
          matched = true;
          results.push(walk(props[seg], i + 1));
        }
      }
      const patterns = s['patternProperties'];
      if (isObject(patterns)) {
        describes = true;
        for (const [pattern, sub] of Object.entries(patterns)) {
          let re: RegExp | undefined;
          try {
            re = new RegExp(pattern, 'u');
          } catch {
            re = undefined;
          }
          if (re === undefined) open = true;
          else if (re.test(seg)) {
            matched = true;
            results.push(walk(sub, i + 1));
          }
        }
      }
      const additional = s['additionalProperties'];
      if (!matched && additional !== undefined) {
        describes = true;
        if (additional === true) open = true;
        else if (isObject(additional)) results.push(walk(additional, i + 1));
      }
      if (index) {
        const prefix = s['prefixItems'];
        const n = Number(seg);
        if (Array.isArray(prefix)) {
          describes = true;
          if (n < prefix.length) results.push(walk(prefix[n], i + 1));
          else if (s['items'] !== undefined && s['items'] !== false) results.push(walk(s['items'], i + 1));
        } else if (s['items'] !== undefined) {
          describes = true;
          if (s['items'] !== false) results.push(walk(s['items'], i + 1));
        }
      }
    }
    if (results.includes('present')) return 'present';
    if (open || results.includes('open') || !describes) return 'open';
    return 'absent';
  }

  return walk(root, 0);
}
