import { describe, it } from 'vitest';
import { pluginContract } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-none keeps the plugin contract', () => {
  for (const check of pluginContract(plugin, {
    validConfigs: [{}],
    invalidConfigs: [{ config: { token: 'x' }, field: '/auth/token' }],
  })) {
    it(check.name, check.run);
  }
});
