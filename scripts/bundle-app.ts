/**
 * Builds an app for production: one ES module bundle, `dist/bin.js`, from the app's `src/bin.ts`,
 * run by plain `node` (no tsx or other dev tool at run time).
 *
 *   cd apps/<app> && tsx ../../scripts/bundle-app.ts      (each app's `build` script)
 *
 * Everything is bundled (the workspace packages, which stay TypeScript source for development and
 * tests, and their npm dependencies) except:
 * - native addons (better-sqlite3), which cannot be bundled: they are imported from node_modules
 *   at run time, so the image ships them;
 * - optional modules that the MongoDB driver and others `require` inside try/catch only when a
 *   feature asks for them (Kerberos, compression, client-side encryption, AWS credentials...):
 *   left as run-time requires, which fail as they would without the bundle.
 *
 * Files read at run time are found through package resolution from the bundle's location
 * (`@herald/api-spec/openapi.yaml`, `@herald/console`'s build), so the workspace's packages must be
 * where pnpm links them; see the Dockerfile for what the image ships.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Native addons: imported at run time from node_modules. */
const NATIVE = ['better-sqlite3'];

/** Optional peers that are `require`d inside try/catch (absent = that feature is off). */
const OPTIONAL = [
  'kerberos',
  '@mongodb-js/zstd',
  '@aws-sdk/credential-providers',
  'gcp-metadata',
  'snappy',
  'socks',
  'aws4',
  'mongodb-client-encryption',
  'pino-pretty',
  'kafkajs/src/*',
];

const appDir = process.cwd();
const entry = join(appDir, 'src', 'bin.ts');
const outfile = join(appDir, 'dist', 'bin.js');
if (!existsSync(entry)) {
  process.stderr.write(`bundle-app: no ${relative(process.cwd(), entry)}; run this in an app's folder (apps/<app>)\n`);
  process.exit(2);
}
const name = (JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { name: string }).name;

/** The bundle's own `require`, for the CommonJS dependencies bundled into an ES module. */
const BANNER = [
  `// ${name}: built by scripts/bundle-app.ts from src/bin.ts; do not edit.`,
  "import { createRequire as __heraldCreateRequire } from 'node:module';",
  'const require = __heraldCreateRequire(import.meta.url);',
].join('\n');

/**
 * `import.meta.filename` of a bundled module is the bundle's path, not its source file's: a
 * module that locates files from its own path must use package resolution instead. This plugin
 * refuses `new URL('…', import.meta.url)` with a relative path outside the app, the usual way to
 * get that wrong, so the build fails instead of the app at run time.
 */
const noRelativeAssetUrls: Plugin = {
  name: 'herald-no-relative-asset-urls',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const bad = /new URL\(\s*['"]\.\.\/[^'"]*['"]\s*,\s*import\.meta\.url\s*\)/.exec(source);
      if (bad && !args.path.startsWith(join(appDir, 'src'))) {
        return { errors: [{ text: `${relative(appDir, args.path)}: ${bad[0]} would point next to the bundle, not to the source; resolve the file through its package instead` }] };
      }
      return undefined;
    });
  },
};

mkdirSync(join(appDir, 'dist'), { recursive: true });
const started = Date.now();
const result = await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  legalComments: 'none',
  banner: { js: BANNER },
  external: [...NATIVE, ...OPTIONAL],
  metafile: true,
  logLevel: 'warning',
  plugins: [noRelativeAssetUrls],
});
writeFileSync(join(appDir, 'dist', 'meta.json'), JSON.stringify(result.metafile));
const kb = Math.round(statSync(outfile).size / 1024);
process.stdout.write(`bundle-app: ${name} → ${relative(appDir, outfile)} (${kb} KB) in ${Date.now() - started} ms\n`);
