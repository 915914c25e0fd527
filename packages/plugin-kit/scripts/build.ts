/**
 * Builds the published form of @herald/plugin-kit into dist/ (run by `pnpm build` and by
 * `pnpm pack`'s prepack):
 *
 * - JavaScript: esbuild bundles src/index.ts and src/testing/index.ts (ES modules, shared code in
 *   dist/chunks/), with the code they take from Herald's private packages (HeraldError and the
 *   JSON Pointer helper of @herald/core, the SSRF guard of packages/transport) inside, and the
 *   kit's own dependencies (ajv, semver) left as imports;
 * - types: tsc writes the declarations, which are moved next to the bundles. They must name no
 *   private package: the build fails if one does, or if a bundle imports anything but Node's
 *   built-ins and the kit's dependencies.
 *
 * Inside the workspace nothing uses dist/: `exports` points at the TypeScript source, and
 * `publishConfig.exports` (which pnpm puts in the packed package.json) at dist/.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
const deps = Object.keys(pkg.dependencies);
const started = Date.now();

rmSync(dist, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: deps,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const problems: string[] = [];
const builtins = new Set(builtinModules);
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  for (const imp of output.imports) {
    if (!imp.external) continue;
    const bare = imp.path.startsWith('node:') ? imp.path : imp.path.split('/').slice(0, imp.path.startsWith('@') ? 2 : 1).join('/');
    if (!(bare.startsWith('node:') || builtins.has(bare) || deps.includes(bare))) problems.push(`${file} imports ${imp.path}, which is not a dependency of ${pkg.name}`);
  }
}

// Declarations. rootDir is packages/ because src/target-guard.ts re-exports packages/transport's guard.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
const types = join(dist, '.types');
cpSync(join(types, 'plugin-kit', 'src'), dist, { recursive: true });
cpSync(join(types, 'transport', 'src', 'ssrf-guard.d.ts'), join(dist, 'ssrf-guard.d.ts'));
rmSync(types, { recursive: true });

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}
// tsc keeps the sources' `./x.ts` specifiers in declarations; the published files are `./x.d.ts`,
// found through `./x.js`. The guard's declarations sit beside the kit's.
for (const file of walk(dist).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8')
    .replace(/(['"])(\.{1,2}\/[^'"]*?)\.ts\1/g, '$1$2.js$1')
    .replace("'../../transport/src/ssrf-guard.js'", "'./ssrf-guard.js'");
  writeFileSync(file, text);
}
for (const file of walk(dist).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith('.')) {
      const target = join(dirname(file), spec.replace(/\.js$/, '.d.ts'));
      if (!target.startsWith(dist) || !existsSync(target)) problems.push(`${relative(root, file)} refers to ${spec}, which is not in dist/`);
    } else if (!(spec.startsWith('node:') || builtins.has(spec) || deps.some((d) => spec === d || spec.startsWith(`${d}/`)))) {
      problems.push(`${relative(root, file)} refers to ${spec}, which a user of ${pkg.name} does not have`);
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`build: ${pkg.name} is not self-contained:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`build: ${pkg.name} → dist/ (${walk(dist).length} files) in ${Date.now() - started} ms\n`);
