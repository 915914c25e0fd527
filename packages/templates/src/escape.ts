import { Drop, toValue } from 'liquidjs';
import type { SchemaContentType } from './content-types.ts';

/**
 * How a value is written where a template inserts it (`{{ … }}` and `{% echo %}`), per content type.
 *
 * | value                | text/plain     | application/json                        | application/xml          |
 * |----------------------|----------------|-----------------------------------------|--------------------------|
 * | string               | as is          | escaped as the inside of a JSON string  | `& < > " '` escaped      |
 * | number, boolean      | `String(v)`    | as is (non-finite numbers: `null`)      | `String(v)`              |
 * | missing, null        | empty          | empty                                   | empty                    |
 * | object, array        | compact JSON   | compact JSON (a JSON value)             | compact JSON, escaped    |
 * | `{{ x \| json }}`    | JSON text      | JSON text, not escaped again            | JSON text, escaped       |
 *
 * So in a JSON schema `"title": "{{ ticket.title }}"` stays a valid string whatever the title holds,
 * `"prio": {{ ticket.priority }}` stays a number, `"customer": {{ ticket.customer }}` and
 * `"title": {{ ticket.title | json }}` insert JSON values. `| raw` as the last filter opts out of
 * escaping (liquidjs' rule); the schema check on save still demands a well-formed result.
 */
export type OutputEscaper = (value: unknown) => string;

/** The result of the `json` filter in JSON schemas: already JSON, so it is inserted verbatim. */
export class JsonText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Objects and arrays as compact JSON; never `[object Object]`. */
function toJson(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

function plain(value: unknown): unknown {
  return value instanceof Drop ? toValue(value) : value;
}

/** text/plain: strings as they are, objects and arrays as JSON. */
export function textOutput(input: unknown): string {
  const value = plain(input);
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && !(value instanceof JsonText)) return toJson(value);
  return String(value);
}

/** A string escaped as the content of a JSON string literal (no surrounding quotes). */
export function escapeJsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // `"`, `\`, control characters and (possibly lone) surrogates: let JSON.stringify decide.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s).slice(1, -1);
  }
  return s;
}

/** application/json: see the table above. */
export function jsonOutput(input: unknown): string {
  const value = plain(input);
  if (typeof value === 'string') return escapeJsonString(value);
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (value instanceof JsonText) return value.text;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return toJson(value);
  return escapeJsonString(String(value));
}

const XML_SPECIAL = /[&<>"'\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/;
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };
// Characters XML 1.0 cannot carry at all, not even as references; they become U+FFFD.
const XML_FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/**
 * A string escaped for XML text and attribute values: `& < > " '` as entities, a carriage return
 * as `&#13;` (so a parser keeps it), and characters XML 1.0 forbids (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) replaced by U+FFFD.
 */
export function escapeXml(s: string): string {
  if (!XML_SPECIAL.test(s)) return s;
  return s.replace(XML_FORBIDDEN, '\ufffd').replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c] ?? c);
}

/** application/xml: see the table above. */
export function xmlOutput(input: unknown): string {
  return escapeXml(textOutput(input));
}

export function escaperFor(contentType: SchemaContentType): OutputEscaper {
  switch (contentType) {
    case 'application/json':
      return jsonOutput;
    case 'application/xml':
      return xmlOutput;
    case 'text/plain':
      return textOutput;
  }
}
