import { createRequire } from 'node:module';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HeraldError } from '@herald/core';
import { PluginRegistry, type TransportPlugin } from '@herald/transport';
import nonePlugin from '@herald/transport-none';
import basicPlugin from '@herald/transport-basic';
import bearerPlugin from '@herald/transport-bearer';
import headersPlugin from '@herald/transport-headers';

export const BUILT_IN_PLUGINS: TransportPlugin<any>[] = [nonePlugin, basicPlugin, bearerPlugin, headersPlugin];

/**
 * Imports a plugin named in HERALD_PLUGINS: a path (`./plugins/x.js`, `/opt/x/index.js`) relative
 * to `from`, or a package name, resolved first as Herald's own dependencies see it, then from
 * `from` (the deployment's directory, where the operator installed the plugin with npm or pnpm).
 */
async function importPlugin(name: string, from: string): Promise<{ default?: unknown; plugin?: unknown }> {
  if (name.startsWith('.') || isAbsolute(name)) return import(pathToFileURL(resolvePath(from, name)).href);
  try {
    return await import(name);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const resolved = createRequire(join(from, 'package.json')).resolve(name);
    return import(pathToFileURL(resolved).href);
  }
}

/**
 * A registry with the built-in plugins and the third-party ones named in HERALD_PLUGINS (package
 * names or paths; see importPlugin — `from` defaults to the working directory). A package must
 * export a TransportPlugin as its default export or as `plugin`.
 */
export async function loadPlugins(packageNames: readonly string[] = [], from: string = process.cwd()): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  for (const p of BUILT_IN_PLUGINS) registry.register(p);
  for (const name of packageNames) {
    let mod: { default?: unknown; plugin?: unknown };
    try {
      mod = await importPlugin(name, from);
    } catch (err) {
      throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, which cannot be loaded: ${(err as Error).message}`, { cause: err });
    }
    const plugin = (mod.plugin ?? mod.default) as TransportPlugin | undefined;
    if (!plugin) throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, which exports no transport plugin (default or \`plugin\`)`);
    registry.register(plugin);
  }
  return registry;
}
