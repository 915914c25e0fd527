import type { EventEnvelope } from '@herald/core';
import type { RenderedBody } from './default-payload.ts';
import { compileTemplate, type SchemaTemplate, type TemplateOptions } from './schema-template.ts';
import { buildTemplateContext, type TemplateContextOptions } from './template-context.ts';

export interface SchemaPayloadOptions extends TemplateOptions, TemplateContextOptions {}

/**
 * A schema's payload for one event, as it goes on the wire: the schema's content type and its
 * rendered template (compiled templates are cached). The counterpart of renderDefaultPayload.
 */
export function renderSchemaPayload(schema: SchemaTemplate, event: EventEnvelope, options: SchemaPayloadOptions = {}): RenderedBody {
  const compiled = compileTemplate(schema, options);
  return { contentType: compiled.contentType, body: compiled.render(buildTemplateContext(event, options), options) };
}
