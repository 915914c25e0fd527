import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from './plugins.ts';

/** A plugin module as a built package ships it: plain JavaScript, no import of Herald. */
const PLUGIN_JS = (id: string) => `export const plugin = {
  id: '${id}', version: '1.0.0', herald: '^1.0.0',
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  secretFields: [], secretHeaders: () => [], apply: (r) => r,
};
export default plugin;
`;

let project: string;

function install(name: string, manifest: Record<string, unknown>, files: Record<string, string>, under = project): void {
  const dir = join(under, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...manifest }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

beforeAll(() => {
  // A deployment directory outside the workspace, where the operator ran `npm install`.
  project = mkdtempSync(join(tmpdir(), 'herald-plugins-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'deployment', private: true }));
  // Published as ES modules only: `exports` with `types` and `import` conditions, no `require`.
  install('@acme/herald-transport-esm', { exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } }, { 'dist/index.js': PLUGIN_JS('esm-only') });
  install('herald-transport-main', { main: 'lib/main.js' }, { 'lib/main.js': PLUGIN_JS('by-main') });
  install('@acme/herald-transport-unbuilt', { exports: { '.': { import: './dist/index.js' } } }, {});
  install('@acme/not-a-plugin', { exports: './index.js' }, { 'index.js': 'export const nothing = 1;\n' });
  mkdirSync(join(project, 'config', 'deep'), { recursive: true });
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('loadPlugins resolves HERALD_PLUGINS names from the working directory', () => {
  it('loads an ES-module-only package (exports with import/types conditions) from its node_modules', async () => {
    const registry = await loadPlugins(['@acme/herald-transport-esm'], project);
    expect(registry.ids()).toEqual(['basic', 'bearer', 'esm-only', 'headers', 'none']);
  });

  it('loads a package by its main field, and finds node_modules in a folder above', async () => {
    const registry = await loadPlugins(['herald-transport-main'], join(project, 'config', 'deep'));
    expect(registry.ids()).toContain('by-main');
  });

  it('says where it looked when the package is not installed', async () => {
    const err = await loadPlugins(['@acme/herald-transport-nowhere'], project).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'HERALD_PLUGIN_NOT_FOUND' });
    const message = (err as Error).message;
    expect(message).toContain('@acme/herald-transport-nowhere, which is not installed');
    expect(message).toContain("Herald's own packages");
    expect(message).toContain(`node_modules of ${project}`);
    expect(message).toContain('npm install @acme/herald-transport-nowhere');
  });

  it('says so when an installed package is not built (its entry file is missing)', async () => {
    await expect(loadPlugins(['@acme/herald-transport-unbuilt'], project)).rejects.toMatchObject({
      code: 'HERALD_PLUGIN_NOT_FOUND',
      message: expect.stringContaining(`its entry ${join(project, 'node_modules', '@acme', 'herald-transport-unbuilt', 'dist', 'index.js')} does not exist`),
    });
  });

  it('refuses a package that exports no plugin, naming it', async () => {
    await expect(loadPlugins(['@acme/not-a-plugin'], project)).rejects.toMatchObject({
      code: 'HERALD_PLUGIN_NOT_FOUND',
      message: expect.stringContaining('@acme/not-a-plugin, which exports no transport plugin'),
    });
  });

  it('loads a path relative to the working directory, and names a missing one', async () => {
    writeFileSync(join(project, 'local-plugin.js'), PLUGIN_JS('by-path'));
    expect((await loadPlugins(['./local-plugin.js'], project)).ids()).toContain('by-path');
    await expect(loadPlugins(['./missing.js'], project)).rejects.toMatchObject({ code: 'HERALD_PLUGIN_NOT_FOUND', message: expect.stringContaining(`no file ${join(project, 'missing.js')}`) });
  });
});
