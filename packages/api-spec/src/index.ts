import { fileURLToPath } from 'node:url';

/** Absolute path of the OpenAPI 3.1 document, the single source of truth of the HTTP API. */
export const OPENAPI_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));
