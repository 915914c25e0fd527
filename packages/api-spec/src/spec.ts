import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Absolute path of the OpenAPI 3.1 document, the single source of truth of the HTTP API. */
// Through package resolution (this package's `./openapi.yaml` export), from the module's own
// path: the same in the sources and in an app's bundle (scripts/bundle-app.ts), where a module's
// path is the bundle's. `import.meta.filename` (Node ≥ 20.11) because a browser-like test
// environment (the console's jsdom tests) rewrites `import.meta.url` to a non-file URL.
export const OPENAPI_PATH = createRequire(import.meta.filename ?? fileURLToPath(import.meta.url)).resolve('@herald/api-spec/openapi.yaml');

/** The parts of an OpenAPI 3.1 document that Herald's code reads; the rest is `unknown`. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; [key: string]: unknown };
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The text of `openapi.yaml`, as the config-api serves it at `/openapi.yaml`. */
export function loadSpecText(): string {
  return readFileSync(OPENAPI_PATH, 'utf8');
}

/**
 * The spec, parsed: a fresh object on every call, so a caller may change its copy (e.g. to
 * set `servers`) without touching anyone else's. The config-api serves it as `/openapi.json`
 * and validates requests against it.
 */
export function loadSpec(): OpenApiDocument {
  return parse(loadSpecText()) as OpenApiDocument;
}
