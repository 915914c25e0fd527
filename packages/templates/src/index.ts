export * from './default-payload.ts';
export * from './content-types.ts';
export * from './limits.ts';
export { rewritePlaceholders } from './placeholders.ts';
export { escapeJsonString, escapeXml } from './escape.ts';
export * from './template-context.ts';
export {
  type CompiledTemplate,
  compileTemplate,
  configureTemplateCache,
  render,
  templateCacheStats,
  type SchemaTemplate,
  type TemplateOptions,
} from './schema-template.ts';
export * from './schema-check.ts';
export { exceededRenderTime } from './template-error.ts';
export * from './body-check.ts';
export { findJsonSyntaxProblem, type JsonSyntaxProblem } from './json-check.ts';
export { findXmlSyntaxProblem, type XmlSyntaxProblem } from './xml-check.ts';
export * from './schema-payload.ts';
export * from './sample-event.ts';
