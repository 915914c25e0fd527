import { describe, expect, it } from 'vitest';
import { applyPlugin, configErrors } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-bearer', () => {
  it('adds an RFC 6750 Authorization header', async () => {
    const out = await applyPlugin(plugin, { token: 'abc.DEF-123~+/=' });
    expect(out.headers.authorization).toBe('Bearer abc.DEF-123~+/=');
  });
  it('declares the token and the header as secrets', () => {
    expect(plugin.secretFields).toEqual(['token']);
    expect(plugin.secretHeaders({ token: 't' })).toEqual(['authorization']);
  });
  it('refuses a missing token, and one that would break the header', () => {
    expect(configErrors(plugin, {})[0]!.field).toBe('/auth/token');
    expect(configErrors(plugin, { token: 'a b\r\nX-Evil: 1' })[0]!.field).toBe('/auth/token');
  });
});
