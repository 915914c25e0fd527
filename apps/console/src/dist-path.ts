import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the console's built files are (`pnpm --filter @herald/console build` writes them):
 * the config-api serves this folder at /console when it is given it (HERALD_CONSOLE_DIR).
 * Found through package resolution (this package's `./package.json` export), so that it is the
 * same from the sources and from an app's bundle, where a module's own path is the bundle's.
 */
export const consoleDistDir: string = findDistDir();

function findDistDir(): string {
  const self = import.meta.filename ?? fileURLToPath(import.meta.url);
  try {
    return join(dirname(createRequire(self).resolve('@herald/console/package.json')), 'dist') + '/';
  } catch {
    // Not installed beside the code that imports it (a copy without node_modules/@herald/console):
    // a folder that has no index.html, so the config-api says the console is not built.
    return join(dirname(self), '..', 'dist') + '/';
  }
}
