import { defineTransportPlugin, HERALD_RESERVED_HEADERS } from '@herald/plugin-kit';

export interface HeadersAuthConfig {
  /** Header name → value, e.g. `{ "X-Api-Key": "…" }`. Every value is treated as a secret. */
  headers: Record<string, string>;
}

/** Names Herald sets itself; an auth header may not replace them. */
const RESERVED = [...HERALD_RESERVED_HEADERS];

/** A regex matching any of the names, whatever their case (JSON Schema patterns have no flags). */
function caseInsensitiveAlternatives(names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`)).join('|')})$`;
}

/** Authentication by custom headers (key/value pairs), as the seeds' Authentication tab offers. */
export const plugin = defineTransportPlugin<HeadersAuthConfig>({
  id: 'headers',
  version: '0.1.0',
  herald: '^1.0.0',
  displayName: 'Custom headers',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['headers'],
    properties: {
      headers: {
        type: 'object',
        minProperties: 1,
        maxProperties: 20,
        // RFC 9110 token for names; visible ASCII and spaces for values, no CR/LF.
        propertyNames: { pattern: '^[!#$%&\'*+\\-.^_`|~0-9A-Za-z]+$', not: { pattern: caseInsensitiveAlternatives(RESERVED) } },
        additionalProperties: { type: 'string', maxLength: 4096, pattern: '^[\\t\\x20-\\x7e\\x80-\\xff]*$' },
      },
    },
  },
  secretFields: ['headers'],
  secretHeaders: (config) => Object.keys(config.headers ?? {}).map((n) => n.toLowerCase()),
  apply(request, config) {
    const headers = { ...request.headers };
    for (const [name, value] of Object.entries(config.headers)) {
      if (RESERVED.includes(name.toLowerCase())) continue;
      headers[name.toLowerCase()] = value;
    }
    return { ...request, headers };
  },
});

export default plugin;
