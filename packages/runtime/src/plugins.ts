import { HeraldError } from '@herald/core';
import { PluginRegistry, type TransportPlugin } from '@herald/transport';
import nonePlugin from '@herald/transport-none';
import basicPlugin from '@herald/transport-basic';
import bearerPlugin from '@herald/transport-bearer';
import headersPlugin from '@herald/transport-headers';

export const BUILT_IN_PLUGINS: TransportPlugin<any>[] = [nonePlugin, basicPlugin, bearerPlugin, headersPlugin];

/**
 * A registry with the built-in plugins and the third-party ones named in HERALD_PLUGINS.
 * A package must export a TransportPlugin as its default export or as `plugin`.
 */
export async function loadPlugins(packageNames: readonly string[] = []): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  for (const p of BUILT_IN_PLUGINS) registry.register(p);
  for (const name of packageNames) {
    let mod: { default?: unknown; plugin?: unknown };
    try {
      mod = (await import(name)) as typeof mod;
    } catch (err) {
      throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, which cannot be loaded: ${(err as Error).message}`, { cause: err });
    }
    const plugin = (mod.plugin ?? mod.default) as TransportPlugin | undefined;
    if (!plugin) throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, which exports no transport plugin (default or \`plugin\`)`);
    registry.register(plugin);
  }
  return registry;
}
