import { describe, it } from 'vitest';
import { pluginContract } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-bearer keeps the plugin contract', () => {
  for (const check of pluginContract(plugin, {
    validConfigs: [{ token: 'abc.DEF-123~+/=' }, { token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig' }],
    invalidConfigs: [
      { config: {}, field: '/auth/token' },
      { config: { token: 'a b\r\nX-Evil: 1' }, field: '/auth/token' },
    ],
  })) {
    it(check.name, check.run);
  }
});
