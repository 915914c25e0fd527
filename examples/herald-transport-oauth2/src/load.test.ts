import { describe, expect, it } from 'vitest';
import { loadPlugins } from '@herald/runtime';
import { maskConfig, type TransportPlugin } from '@herald/transport';

const NAME = '@acme/herald-transport-oauth2';

/**
 * Herald installs a plugin by importing it by package name and taking its `plugin` (or
 * default) export. This imports the package by its name — through its package.json
 * `exports`, as Herald would — and registers it next to the built-ins of `loadPlugins()`.
 *
 * (`loadPlugins([NAME])` itself cannot find the package from here: it resolves the name from
 * packages/runtime, and under pnpm a package only sees its own dependencies. See README.md.)
 */
async function loadByName(name: string) {
  const mod = (await import(name)) as { plugin?: TransportPlugin; default?: TransportPlugin };
  const plugin = mod.plugin ?? mod.default;
  if (!plugin) throw new Error(`${name} exports no plugin`);
  const registry = await loadPlugins();
  registry.register(plugin);
  return { registry, mod, plugin };
}

describe('installed by package name', () => {
  it('exports the plugin as `plugin` and as the default, and registers next to the built-ins', async () => {
    const { registry, mod } = await loadByName(NAME);
    expect(mod.plugin).toBe(mod.default);
    expect(registry.ids()).toEqual(['basic', 'bearer', 'headers', 'none', 'oauth2-client-credentials']);
    expect(registry.get('oauth2-client-credentials')).toBe(mod.plugin);
  });

  it('checks a webhook auth at save time, naming the field', async () => {
    const { registry } = await loadByName(NAME);
    const auth = { type: 'oauth2-client-credentials', tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'herald', clientSecret: 'client-secret-0123' };
    expect(() => registry.validateAuth(auth)).not.toThrow();
    let caught: { code?: string; errors?: { field: string }[] } = {};
    try {
      registry.validateAuth({ ...auth, tokenUrl: 'http://auth.example.com/oauth/token' });
    } catch (err) {
      caught = err as typeof caught;
    }
    expect(caught.code).toBe('HERALD_PLUGIN_CONFIG_INVALID');
    expect(caught.errors?.map((e) => e.field)).toEqual(['/auth/tokenUrl']);
    expect(maskConfig(auth, registry.get(auth.type).secretFields).clientSecret).toBe('********');
  });
});
