import type { EventEnvelope } from '@herald/core';
import { checkBodyWellFormed } from './body-check.ts';
import { compileTemplate, type SchemaTemplate, type TemplateOptions } from './schema-template.ts';
import { buildTemplateContext, type TemplateContextOptions } from './template-context.ts';
import { templateError, type TemplateProblem } from './template-error.ts';

export interface SchemaCheckOptions extends TemplateOptions, TemplateContextOptions {}

export interface SchemaCheckResult {
  ok: true;
  /** The sample render, e.g. for the console's preview. */
  rendered: string;
}

function wellFormedProblem(contentType: SchemaTemplate['contentType'], rendered: string): TemplateProblem | null {
  const r = checkBodyWellFormed(contentType, rendered);
  if (r.ok) return null;
  return { message: `the rendered output is not well-formed ${r.format}: ${r.reason}`, line: r.line, column: r.column, of: 'the rendered output' };
}

/**
 * The check a schema gets when it is saved (F3): its template parses, and a render with the event
 * type's example (`sample`) succeeds and, for JSON and XML, is well-formed. Strict schemas also
 * fail on any attribute the sample lacks. Throws HERALD_VALIDATION with one error on `/body`,
 * `… at line L, column C`: of the template for template errors, of the rendered output (and the
 * message says so) for JSON and XML errors.
 */
export function checkSchema(schema: SchemaTemplate, sample: EventEnvelope, options: SchemaCheckOptions = {}): SchemaCheckResult {
  const compiled = compileTemplate(schema, options);
  const rendered = compiled.render(buildTemplateContext(sample, options), options);
  const problem = wellFormedProblem(compiled.contentType, rendered);
  if (problem !== null) {
    throw templateError('The schema does not render a well-formed document', [problem]);
  }
  return { ok: true, rendered };
}
