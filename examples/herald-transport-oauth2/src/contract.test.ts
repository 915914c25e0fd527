import { afterAll, beforeAll, describe, it } from 'vitest';
import { TargetGuard } from '@herald/plugin-kit';
import { pluginContract } from '@herald/plugin-kit/testing';
import { createOAuth2Plugin, type OAuth2Config } from '@acme/herald-transport-oauth2';
import { startTokenServer, type TokenServer } from './testing/token-server.ts';

// The published plugin wants https token URLs and refuses loopback ones (unless allow-listed);
// this instance differs only in taking the local http token endpoint the checks run against.
const plugin = createOAuth2Plugin({ allowHttp: true, guard: new TargetGuard({ allowedTargets: '127.0.0.1' }) });

let server: TokenServer;
beforeAll(async () => {
  server = await startTokenServer();
});
afterAll(async () => {
  await server.close();
});

describe('herald-transport-oauth2 keeps the plugin contract', () => {
  for (const check of pluginContract(plugin, {
    // A function: the token server's URL is known only once it listens.
    validConfigs: (): OAuth2Config[] => [
      { tokenUrl: server.tokenUrl, clientId: 'herald-client', clientSecret: 'client-secret-0123' },
      { tokenUrl: server.tokenUrl, clientId: 'herald-client', clientSecret: 'client-secret-4567', scope: 'hooks:write', audience: 'https://api.example.com', authStyle: 'body' },
    ],
    invalidConfigs: [
      { config: { clientId: 'c', clientSecret: 'client-secret-0123' }, field: '/auth/tokenUrl' },
      { config: { tokenUrl: 'ftp://auth.example.com/token', clientId: 'c', clientSecret: 's' }, field: '/auth/tokenUrl' },
      { config: { tokenUrl: 'https://auth.example.com/token', clientId: 'c' }, field: '/auth/clientSecret' },
      { config: { tokenUrl: 'https://auth.example.com/token', clientId: '', clientSecret: 's' }, field: '/auth/clientId' },
      { config: { tokenUrl: 'https://auth.example.com/token', clientId: 'c', clientSecret: 's', scope: 'a  b' }, field: '/auth/scope' },
      { config: { tokenUrl: 'https://auth.example.com/token', clientId: 'c', clientSecret: 's', authStyle: 'digest' }, field: '/auth/authStyle' },
    ],
    // Deterministic too: the second apply gets the cached token.
  })) {
    it(check.name, check.run);
  }
});
