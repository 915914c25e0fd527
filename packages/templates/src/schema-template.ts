import { HeraldError } from '@herald/core';
import type { Liquid, Template } from 'liquidjs';
import { isSchemaContentType, SCHEMA_CONTENT_TYPES, type SchemaContentType } from './content-types.ts';
import { engineFor, renderParsed } from './liquid-engine.ts';
import { resolveLimits, type TemplateLimits } from './limits.ts';
import { LruCache } from './lru-cache.ts';
import { rewritePlaceholders } from './placeholders.ts';
import { BODY_FIELD, templateError, templateProblem } from './template-error.ts';

/** What a payload schema (F3) holds that matters for rendering. */
export interface SchemaTemplate {
  /** Liquid, with the seed's `{{model:attribute}}` placeholders. */
  body: string;
  contentType: SchemaContentType;
  /** Strict mode: a missing attribute is an error instead of an empty string. Default false. */
  strict?: boolean;
}

export interface TemplateOptions {
  limits?: Partial<TemplateLimits>;
}

/** A parsed, sandboxed template, ready to render any number of times. Get one from compileTemplate. */
export class CompiledTemplate {
  /** @internal use compileTemplate */
  constructor(
    readonly body: string,
    readonly contentType: SchemaContentType,
    readonly strict: boolean,
    private readonly engine: Liquid,
    private readonly templates: Template[],
  ) {}

  /** Renders with a context from buildTemplateContext. Throws HERALD_VALIDATION naming the line and column. */
  render(context: object, options: TemplateOptions = {}): string {
    const limits = resolveLimits(options.limits);
    try {
      return renderParsed(this.engine, this.templates, context, {
        strict: this.strict,
        renderTimeMs: limits.renderTimeMs,
        memoryUnits: limits.memoryUnits,
        maxOutputBytes: limits.maxOutputBytes,
      });
    } catch (err) {
      throw templateError('The schema template could not be rendered', [templateProblem(err, limits)], err);
    }
  }
}

const DEFAULT_CACHE_ENTRIES = 1000;
const DEFAULT_CACHE_CHARS = 16 * 1024 * 1024;

// Keyed by body; each entry holds that body's variants (content type × strict), at most six.
let cache = new LruCache<string, CompiledTemplate[]>(DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_CHARS);

/** Resizes (and empties) the compiled-template cache: at most `entries` bodies and `chars` characters of them. */
export function configureTemplateCache(entries = DEFAULT_CACHE_ENTRIES, chars = DEFAULT_CACHE_CHARS): void {
  cache = new LruCache(entries, chars);
}

export function templateCacheStats(): { entries: number; chars: number } {
  return { entries: cache.size, chars: cache.weight };
}

/**
 * Parses a schema's template (placeholders rewritten, sandboxed engine for its content type),
 * or returns the cached result for the same (body, content type, strict).
 * Throws HERALD_VALIDATION with `{ field: '/body', message: '… at line L, column C' }`.
 */
export function compileTemplate(schema: SchemaTemplate, options: TemplateOptions = {}): CompiledTemplate {
  const { body, contentType } = schema;
  const strict = schema.strict === true;
  if (!isSchemaContentType(contentType)) {
    throw HeraldError.validation('The schema is invalid', [
      { field: '/contentType', message: `must be one of ${SCHEMA_CONTENT_TYPES.join(', ')}` },
    ]);
  }
  if (typeof body !== 'string') {
    throw HeraldError.validation('The schema is invalid', [{ field: BODY_FIELD, message: 'must be a string' }]);
  }
  const limits = resolveLimits(options.limits);
  if (body.length > limits.maxTemplateChars) {
    throw HeraldError.validation('The schema template is invalid', [
      { field: BODY_FIELD, message: `the template is longer than ${limits.maxTemplateChars} characters` },
    ]);
  }
  const variants = cache.get(body);
  const hit = variants?.find((c) => c.contentType === contentType && c.strict === strict);
  if (hit !== undefined) return hit;

  const engine = engineFor(contentType, limits.maxTemplateChars);
  let templates: Template[];
  try {
    templates = engine.parse(rewritePlaceholders(body));
  } catch (err) {
    throw templateError('The schema template is invalid', [templateProblem(err, limits)]);
  }
  const compiled = new CompiledTemplate(body, contentType, strict, engine, templates);
  cache.set(body, [...(variants ?? []), compiled], body.length);
  return compiled;
}

/** Renders a compiled template with a context from buildTemplateContext. */
export function render(compiled: CompiledTemplate, context: object, options: TemplateOptions = {}): string {
  return compiled.render(context, options);
}
