import { describe, it } from 'vitest';
import { pluginContract } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-basic keeps the plugin contract', () => {
  for (const check of pluginContract(plugin, {
    validConfigs: [
      { username: 'ops@example.com', password: 'pä55:word-secret' },
      { username: 'svc', password: 'correct horse battery staple' },
    ],
    invalidConfigs: [
      { config: { username: 'svc' }, field: '/auth/password' },
      { config: { username: 'a:b', password: 'long-enough-pw' }, field: '/auth/username' },
      { config: { username: 'svc', password: '' }, field: '/auth/password' },
    ],
  })) {
    it(check.name, check.run);
  }
});
