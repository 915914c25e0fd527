import { defineTransportPlugin } from '@herald/plugin-kit';

/** No authentication: the request goes as Herald built it (signed with Standard Webhooks headers). */
export const plugin = defineTransportPlugin<Record<string, never>>({
  id: 'none',
  version: '0.1.0',
  herald: '^1.0.0',
  displayName: 'None',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  secretFields: [],
  secretHeaders: () => [],
  apply: (request) => request,
});

export default plugin;
