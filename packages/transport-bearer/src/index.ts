import { defineTransportPlugin } from '@herald/plugin-kit';

export interface BearerAuthConfig {
  token: string;
}

/** Bearer token authentication (RFC 6750): `Authorization: Bearer <token>`. */
export const plugin = defineTransportPlugin<BearerAuthConfig>({
  id: 'bearer',
  version: '0.1.0',
  herald: '^1.0.0',
  displayName: 'Bearer token',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['token'],
    // RFC 6750 b64token characters
    properties: { token: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9\\-._~+/]+=*$' } },
  },
  secretFields: ['token'],
  secretHeaders: () => ['authorization'],
  apply(request, config) {
    return { ...request, headers: { ...request.headers, authorization: `Bearer ${config.token}` } };
  },
});

export default plugin;
