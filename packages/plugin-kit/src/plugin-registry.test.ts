import { describe, expect, it } from 'vitest';
import { PluginRegistry } from './plugin-registry.ts';
import { defineTransportPlugin, type TransportPlugin } from './contract.ts';

const base: TransportPlugin<{ token: string }> = defineTransportPlugin({
  id: 'demo',
  version: '1.2.3',
  herald: '^1.0.0',
  configSchema: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: { type: 'string' } } },
  secretFields: ['token'],
  secretHeaders: () => ['authorization'],
  apply: (r) => r,
});

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('PluginRegistry', () => {
  it('registers a plugin and finds it by id', () => {
    const r = new PluginRegistry();
    r.register(base);
    expect(r.get('demo')).toBe(base);
    expect(r.ids()).toEqual(['demo']);
  });

  it('refuses a plugin for another contract version with HERALD_PLUGIN_VERSION_MISMATCH', () => {
    expect(codeOf(() => new PluginRegistry().register({ ...base, herald: '^2.0.0' }))).toBe('HERALD_PLUGIN_VERSION_MISMATCH');
    expect(codeOf(() => new PluginRegistry().register({ ...base, herald: 'not a range' }))).toBe('HERALD_PLUGIN_VERSION_MISMATCH');
  });

  it('refuses a malformed plugin, a bad schema and a duplicate id', () => {
    expect(codeOf(() => new PluginRegistry().register({ ...base, id: 'Bad Id' }))).toBe('HERALD_PLUGIN_CONFIG_INVALID');
    expect(codeOf(() => new PluginRegistry().register({ ...base, version: 'one' }))).toBe('HERALD_PLUGIN_CONFIG_INVALID');
    expect(codeOf(() => new PluginRegistry().register({ ...base, apply: undefined as never }))).toBe('HERALD_PLUGIN_CONFIG_INVALID');
    expect(codeOf(() => new PluginRegistry().register({ ...base, configSchema: { type: 'nonsense' } }))).toBe('HERALD_PLUGIN_CONFIG_INVALID');
    const r = new PluginRegistry();
    r.register(base);
    expect(codeOf(() => r.register(base))).toBe('HERALD_CONFLICT');
  });

  it('validates a webhook auth against the plugin schema, naming the field', () => {
    const r = new PluginRegistry();
    r.register(base);
    expect(() => r.validateAuth({ type: 'demo', token: 't' })).not.toThrow();
    try {
      r.validateAuth({ type: 'demo', token: 5 });
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe('HERALD_PLUGIN_CONFIG_INVALID');
      expect((err as { errors: unknown }).errors).toEqual([{ field: '/auth/token', message: 'must be string' }]);
    }
  });

  it('says which plugins exist when asked for an unknown one', () => {
    const r = new PluginRegistry();
    r.register(base);
    expect(() => r.get('oauth2')).toThrow(/No transport plugin "oauth2" is installed \(installed: demo\)/);
  });
});
