import { findJsonSyntaxProblem } from './json-check.ts';
import { lineColumn } from './text-position.ts';
import { findXmlSyntaxProblem } from './xml-check.ts';

/** The formats whose well-formedness Herald checks before a body is sent. */
export type BodyFormat = 'JSON' | 'XML';

/**
 * The format a `Content-Type` says a body is in, when it is one Herald checks: JSON for
 * `application/json` and any `+json` type, XML for `application/xml`, `text/xml` and any `+xml`
 * type (parameters such as `; charset=utf-8` and letter case aside); null for anything else.
 */
export function bodyFormatOf(contentType: string): BodyFormat | null {
  if (contentType === 'application/json') return 'JSON';
  if (contentType === 'application/xml') return 'XML';
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type === 'application/json' || (type.endsWith('+json') && type.includes('/'))) return 'JSON';
  if (type === 'application/xml' || type === 'text/xml' || (type.endsWith('+xml') && type.includes('/'))) return 'XML';
  return null;
}

export interface BodyProblem {
  format: BodyFormat;
  /** What is wrong, e.g. `unexpected "}", expected a value`. */
  reason: string;
  /** UTF-16 offset in the body. */
  offset: number;
  /** 1-based; columns count code points (see lineColumn). */
  line: number;
  column: number;
}

export type BodyCheckResult = { ok: true } | ({ ok: false } & BodyProblem);

const OK: BodyCheckResult = Object.freeze({ ok: true });

/**
 * Whether a body is well-formed for its content type: one JSON document (RFC 8259) for a JSON
 * type, one XML 1.0 document for an XML type (see xml-check.ts for how strict); any body of
 * another type is ok. Used on a schema's sample render when it is saved and on every rendered
 * payload before it is sent.
 */
export function checkBodyWellFormed(contentType: string, body: string): BodyCheckResult {
  const format = bodyFormatOf(contentType);
  if (format === null) return OK;
  const problem = format === 'JSON' ? findJsonSyntaxProblem(body) : findXmlSyntaxProblem(body);
  if (problem === null) return OK;
  const { line, column } = lineColumn(body, problem.offset);
  return { ok: false, format, reason: problem.message, offset: problem.offset, line, column };
}
