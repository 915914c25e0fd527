import { describe, expect, it } from 'vitest';
import { applyPlugin, configErrors } from '@herald/plugin-kit/testing';
import plugin from './index.ts';

describe('transport-headers', () => {
  it('adds each header (names in lower case)', async () => {
    const out = await applyPlugin(plugin, { headers: { 'X-Api-Key': 'k1', 'X-Tenant': 'acme' } });
    expect(out.headers['x-api-key']).toBe('k1');
    expect(out.headers['x-tenant']).toBe('acme');
    expect(out.headers['content-type']).toBe('application/json');
  });
  it('masks every header it adds', () => {
    expect(plugin.secretHeaders({ headers: { 'X-Api-Key': 'k', 'X-Other': 'o' } })).toEqual(['x-api-key', 'x-other']);
  });
  it.each([
    [{ headers: {} }, '/auth/headers'],
    [{ headers: { 'bad name': 'v' } }, '/auth/headers'],
    [{ headers: { 'Content-Type': 'text/plain' } }, '/auth/headers'],
    [{ headers: { 'webhook-signature': 'forged' } }, '/auth/headers'],
    [{ headers: { 'X-A': 'line\r\nbreak' } }, '/auth/headers/X-A'],
    [{}, '/auth/headers'],
  ])('refuses %j', (config, field) => {
    expect(configErrors(plugin, config).map((e) => e.field)).toContain(field);
  });
});
