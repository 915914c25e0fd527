import { describe, expect, it } from 'vitest';
import { maskConfig, type TransportPlugin } from '@herald/transport';
import { loadPlugins } from './plugins.ts';

const NAME = '@acme/herald-transport-oauth2';

/**
 * The worked example, `examples/herald-transport-oauth2`, loaded as HERALD_PLUGINS names it: by
 * package name, found among Herald's own packages (a devDependency of this one). Installing it
 * from its tarball in a project of one's own, as a third party does, is
 * test/plugin-kit-install.int.test.ts. `from` is a directory where it is not installed.
 */
const PACKAGE_DIR = '/';

async function loadByName(name: string) {
  const mod = (await import(name)) as { plugin?: TransportPlugin; default?: TransportPlugin };
  const registry = await loadPlugins([name], PACKAGE_DIR);
  return { registry, mod };
}

describe('installed by package name', () => {
  it('exports the plugin as `plugin` and as the default, and registers next to the built-ins', async () => {
    const { registry, mod } = await loadByName(NAME);
    expect(mod.plugin).toBe(mod.default);
    expect(registry.ids()).toEqual(['basic', 'bearer', 'headers', 'none', 'oauth2-client-credentials']);
    expect(registry.get('oauth2-client-credentials')).toBe(mod.plugin);
  });

  it('refuses a name that resolves nowhere, naming it', async () => {
    await expect(loadPlugins(['@acme/no-such-plugin'], PACKAGE_DIR)).rejects.toMatchObject({ code: 'HERALD_PLUGIN_NOT_FOUND', message: expect.stringContaining('@acme/no-such-plugin') });
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
