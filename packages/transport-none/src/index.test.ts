import { describe, expect, it } from 'vitest';
import { applyPlugin, configErrors, sampleRequest } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-none', () => {
  it('leaves the request as it is', async () => {
    expect(await applyPlugin(plugin, {})).toEqual(sampleRequest());
  });
  it('takes no settings', () => {
    expect(configErrors(plugin, { token: 'x' })).toEqual([{ field: '/auth/token', message: 'is not a known field' }]);
  });
});
