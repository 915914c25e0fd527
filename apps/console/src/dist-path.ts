import { fileURLToPath } from 'node:url';

/**
 * Where the console's built files are (`pnpm --filter @herald/console build` writes them):
 * the config-api serves this folder at /console when it is given it (HERALD_CONSOLE_DIR).
 */
export const consoleDistDir: string = fileURLToPath(new URL('../dist/', import.meta.url));
