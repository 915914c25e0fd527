import { defineTransportPlugin } from '@herald/plugin-kit';

export interface BasicAuthConfig {
  /** A user name or an e-mail address, as the Italian seed allows. */
  username: string;
  password: string;
}

/** HTTP Basic authentication (RFC 7617): `Authorization: Basic base64(username:password)`. */
export const plugin = defineTransportPlugin<BasicAuthConfig>({
  id: 'basic',
  version: '0.1.0',
  herald: '^1.0.0',
  displayName: 'Basic (user name or e-mail and password)',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['username', 'password'],
    properties: {
      // RFC 7617: the user-id cannot contain a colon.
      username: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^:]*$' },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
  secretFields: ['password'],
  secretHeaders: () => ['authorization'],
  apply(request, config) {
    const token = Buffer.from(`${config.username}:${config.password}`, 'utf8').toString('base64');
    return { ...request, headers: { ...request.headers, authorization: `Basic ${token}` } };
  },
});

export default plugin;
