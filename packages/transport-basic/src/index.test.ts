import { describe, expect, it } from 'vitest';
import { applyPlugin, configErrors } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-basic', () => {
  it('adds an RFC 7617 Authorization header, with an e-mail as user name', async () => {
    const out = await applyPlugin(plugin, { username: 'ops@example.com', password: 'pä55:word' });
    const [scheme, token] = out.headers.authorization!.split(' ');
    expect(scheme).toBe('Basic');
    expect(Buffer.from(token!, 'base64').toString('utf8')).toBe('ops@example.com:pä55:word');
  });
  it('declares the password and the header as secrets', () => {
    expect(plugin.secretFields).toEqual(['password']);
    expect(plugin.secretHeaders({ username: 'u', password: 'p' })).toEqual(['authorization']);
  });
  it.each([
    [{ password: 'p' }, '/auth/username', 'must have required property'],
    [{ username: 'u' }, '/auth/password', 'must have required property'],
    [{ username: 'a:b', password: 'p' }, '/auth/username', 'must match pattern'],
    [{ username: 'u', password: '' }, '/auth/password', 'must NOT have fewer than 1 characters'],
    [{ username: 'u', password: 'p', extra: 1 }, '/auth/extra', 'is not a known field'],
  ])('refuses %j naming the field', (config, field, message) => {
    const errors = configErrors(plugin, config);
    expect(errors.map((e) => e.field)).toContain(field);
    expect(errors.find((e) => e.field === field)!.message).toContain(message);
  });
});
