import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HeraldError } from '@herald/core';
import { PluginRegistry, type TransportPlugin } from '@herald/transport';
import nonePlugin from '@herald/transport-none';
import basicPlugin from '@herald/transport-basic';
import bearerPlugin from '@herald/transport-bearer';
import headersPlugin from '@herald/transport-headers';

export const BUILT_IN_PLUGINS: TransportPlugin<any>[] = [nonePlugin, basicPlugin, bearerPlugin, headersPlugin];

type PluginModule = { default?: unknown; plugin?: unknown };

/** `@acme/x/sub` → `['@acme/x', './sub']`; `x` → `['x', '.']`. */
function splitName(name: string): [string, string] {
  const parts = name.split('/');
  const n = name.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return [parts.slice(0, n).join('/'), rest === '' ? '.' : `./${rest}`];
}

/** Conditions Node uses when it imports an ES module (Node 20). */
const IMPORT_CONDITIONS = new Set(['node', 'import', 'default']);

/** The target of an `exports` value for Node's import conditions (first matching key wins, as in Node). */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = exportTarget(v);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [condition, v] of Object.entries(value)) {
      if (IMPORT_CONDITIONS.has(condition)) {
        const t = exportTarget(v);
        if (t !== undefined) return t;
      }
    }
  }
  return undefined;
}

/** The file a package's `exports` (or `main`) gives for a subpath, as Node's ES module resolution reads it. */
function packageEntry(dir: string, manifest: { name?: string; exports?: unknown; main?: string }, subpath: string): string | undefined {
  const { exports } = manifest;
  if (exports !== undefined && exports !== null) {
    const map = typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.')) ? (exports as Record<string, unknown>) : { '.': exports };
    const target = exportTarget(map[subpath]);
    return target === undefined ? undefined : join(dir, target);
  }
  if (subpath !== '.') return join(dir, subpath);
  return join(dir, manifest.main ?? 'index.js');
}

function readManifest(dir: string): { name?: string; exports?: unknown; main?: string } | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; exports?: unknown; main?: string };
}

/**
 * Finds an installed package from a directory as Node would for a module in it: the package
 * itself if `from` is inside it (self-reference), else `node_modules/<name>` in `from` and each
 * folder above it. Returns the entry file, or undefined.
 */
function resolveFrom(name: string, from: string): string | undefined {
  const [pkg, subpath] = splitName(name);
  for (let dir = resolvePath(from); ; dir = dirname(dir)) {
    const own = readManifest(dir);
    if (own?.name === pkg && own.exports !== undefined) return packageEntry(dir, own, subpath);
    const installed = join(dir, 'node_modules', pkg);
    const manifest = readManifest(installed);
    if (manifest) return packageEntry(installed, manifest, subpath);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Whether an import failed because the named package itself was not found, not something it
 * imports: Node says `Cannot find package '<name>' imported from …`, vitest `Failed to load url <name>`.
 */
function packageMissing(err: unknown, name: string): boolean {
  const message = (err as { message?: unknown }).message;
  if (typeof message !== 'string') return false;
  const [pkg] = splitName(name);
  return (/Cannot find (package|module)/.test(message) && (message.includes(`'${pkg}'`) || message.includes(`'${name}'`))) || message.includes(`Failed to load url ${name} `);
}

function loadError(name: string, file: string, err: unknown): HeraldError {
  const e = err as { code?: string; message?: string };
  if (e.code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    return new HeraldError(
      'HERALD_PLUGIN_NOT_FOUND',
      `HERALD_PLUGINS names ${name}, which resolves to ${file}, a TypeScript file: Herald runs plain JavaScript, so a plugin must be installed built (its package.json "exports" pointing at .js files; see docs/plugins.md, Publishing)`,
      { cause: err },
    );
  }
  return new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, found at ${file}, which cannot be loaded: ${e.message ?? String(err)}`, { cause: err });
}

/**
 * Imports a plugin named in HERALD_PLUGINS: a path (`./plugins/x.js`, `/opt/x/index.js`) relative
 * to `from`, or a package name, resolved first as Herald's own packages see it (a plugin installed
 * beside Herald), then from `from` — the working directory, where the operator installed it with
 * npm or pnpm (`node_modules` there or in a folder above).
 */
async function importPlugin(name: string, from: string): Promise<PluginModule> {
  if (name.startsWith('.') || isAbsolute(name)) {
    const file = resolvePath(from, name);
    if (!existsSync(file)) throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, and there is no file ${file}`);
    try {
      return (await import(pathToFileURL(file).href)) as PluginModule;
    } catch (err) {
      throw loadError(name, file, err);
    }
  }
  try {
    return (await import(name)) as PluginModule;
  } catch (err) {
    if (!packageMissing(err, name)) {
      throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, which cannot be loaded: ${(err as Error).message}`, { cause: err });
    }
  }
  const file = resolveFrom(name, from);
  if (file === undefined || !existsSync(file)) {
    const herald = fileURLToPath(new URL('.', import.meta.url));
    const where = file === undefined ? 'is not installed' : `is installed, but its entry ${file} does not exist (is it built?)`;
    throw new HeraldError(
      'HERALD_PLUGIN_NOT_FOUND',
      `HERALD_PLUGINS names ${name}, which ${where}: looked among Herald's own packages (from ${herald}) and in node_modules of ${resolvePath(from)} and the folders above it. ` +
        `Install it in the directory Herald runs from (npm install ${splitName(name)[0]}), or name its file by path.`,
    );
  }
  try {
    return (await import(pathToFileURL(file).href)) as PluginModule;
  } catch (err) {
    throw loadError(name, file, err);
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
    const mod = await importPlugin(name, from);
    const plugin = (mod.plugin ?? mod.default) as TransportPlugin | undefined;
    if (!plugin) throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `HERALD_PLUGINS names ${name}, which exports no transport plugin (default or \`plugin\`)`);
    registry.register(plugin);
  }
  return registry;
}
