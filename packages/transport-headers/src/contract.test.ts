import { describe, it } from 'vitest';
import { pluginContract } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-headers keeps the plugin contract', () => {
  for (const check of pluginContract(plugin, {
    validConfigs: [{ headers: { 'X-Api-Key': 'key-0123456789', 'X-Tenant': 'acme-tenant-7' } }],
    invalidConfigs: [
      { config: { headers: {} }, field: '/auth/headers' },
      { config: { headers: { 'Webhook-Signature': 'forged-signature' } }, field: '/auth/headers' },
      { config: { headers: { 'X-A': 'line\r\nbreak' } }, field: '/auth/headers/X-A' },
    ],
  })) {
    it(check.name, check.run);
  }
});
