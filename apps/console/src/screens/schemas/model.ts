import type { HeraldClient } from '@herald/api-spec/client';
import type { components } from '@herald/api-spec';
import { call } from '../../api.ts';

export type EventType = components['schemas']['EventType'];
export type PayloadSchema = components['schemas']['PayloadSchema'];
export type ContentType = components['schemas']['PayloadContentType'];
export type Webhook = components['schemas']['Webhook'];

/** The content types a schema takes (the spec's PayloadContentType), with the words the seed uses. */
export const CONTENT_TYPES: { value: ContentType; labelKey: string }[] = [
  { value: 'text/plain', labelKey: 'schemas.type.text' },
  { value: 'application/json', labelKey: 'schemas.type.json' },
  { value: 'application/xml', labelKey: 'schemas.type.xml' },
];

/** A field of an event type's `data`, found by walking its JSON Schema. */
export interface SchemaField {
  /** Dotted path under `data` (`priority`, `customer.name`, `items.0.sku`). */
  path: string;
  /** The JSON Schema type(s), when the schema says (`string`, `number|null`, …). */
  type?: string;
  enum?: unknown[];
  description?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeOf(s: Obj): string | undefined {
  const t = s['type'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.filter((x) => typeof x === 'string').join('|');
  if (s['properties']) return 'object';
  if (s['enum'] && Array.isArray(s['enum'])) {
    const kinds = [...new Set((s['enum'] as unknown[]).map((v) => (v === null ? 'null' : typeof v)))];
    return kinds.join('|');
  }
  return undefined;
}

/** Resolves a local `$ref` (`#/$defs/x`) once; other references are left as they are. */
function resolve(root: Obj, s: Obj): Obj {
  const ref = s['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return s;
  let cur: unknown = root;
  for (const part of ref.slice(2).split('/')) cur = isObj(cur) ? cur[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObj(cur) ? cur : s;
}

/**
 * Every field of a JSON Schema of an object, depth first: nested objects give dotted paths
 * (`customer.name`), arrays of objects their first element's (`items.0.sku`). Objects are listed
 * too (a placeholder of an object inserts it as JSON), before their fields.
 */
export function schemaFields(schema: Obj | undefined, maxDepth = 6): SchemaField[] {
  if (!schema) return [];
  const out: SchemaField[] = [];
  const walk = (s: Obj, prefix: string, depth: number) => {
    s = resolve(schema, s);
    const props = s['properties'];
    if (!isObj(props) || depth > maxDepth) return;
    for (const [name, raw] of Object.entries(props)) {
      if (!isObj(raw)) continue;
      const child = resolve(schema, raw);
      const path = prefix ? `${prefix}.${name}` : name;
      const type = typeOf(child);
      out.push({
        path,
        ...(type ? { type } : {}),
        ...(Array.isArray(child['enum']) ? { enum: child['enum'] as unknown[] } : {}),
        ...(typeof child['description'] === 'string' ? { description: child['description'] } : {}),
      });
      if (isObj(child['properties'])) walk(child, path, depth + 1);
      const items = child['items'];
      if (isObj(items)) {
        const item = resolve(schema, items);
        if (isObj(item['properties'])) walk(item, `${path}.0`, depth + 1);
      }
    }
  };
  walk(schema, '', 0);
  return out;
}

/** The model of an event type's placeholders: its name up to the first dot (`ticket.priority_changed` → `ticket`), as the API's preview names the record. */
export function modelOf(eventType: string): string {
  const dot = eventType.indexOf('.');
  return dot > 0 ? eventType.slice(0, dot) : eventType;
}

/** Line and column of an API template error (`… at line 2, column 3 of the template`). */
export function positionOf(message: string): { line: number; column: number; inTemplate: boolean } | undefined {
  const m = /line (\d+), column (\d+)( of the template)?/.exec(message);
  if (!m) return undefined;
  return { line: Number(m[1]), column: Number(m[2]), inTemplate: Boolean(m[3]) || !/rendered output/.test(message) };
}

/** The offset in `text` of a 1-based line and column. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

/** All pages of a list (at most `max` items). */
async function all<T>(page: (after: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>, max = 1000): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const p = await page(after);
    out.push(...p.data);
    if (!p.nextCursor || out.length >= max) return out;
    after = p.nextCursor;
  }
}

export function loadSchemas(client: HeraldClient): Promise<PayloadSchema[]> {
  return all((after) => call(client.GET('/v1/schemas', { params: { query: { limit: 100, ...(after ? { after } : {}) } } })));
}

export function loadEventTypes(client: HeraldClient): Promise<EventType[]> {
  return all((after) => call(client.GET('/v1/event-types', { params: { query: { limit: 100, ...(after ? { after } : {}) } } })));
}

export function loadWebhooks(client: HeraldClient): Promise<Webhook[]> {
  return all((after) => call(client.GET('/v1/webhooks', { params: { query: { limit: 100, ...(after ? { after } : {}) } } })));
}
