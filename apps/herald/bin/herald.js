#!/usr/bin/env node
// The herald CLI: runs the production build (dist/bin.js, made by `pnpm build`) in this very
// process, with plain Node and no dev tool in between, so SIGTERM and SIGINT (docker stop,
// Kubernetes, Ctrl-C) reach Herald's own shutdown. From the sources, use `pnpm herald <command>`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const build = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(build))) {
  process.stderr.write(
    'herald: this copy is not built (no apps/herald/dist/bin.js). Run `pnpm build` at the repository root,\n' +
      'or run the sources with `pnpm herald <command>`.\n',
  );
  process.exit(1);
}
await import(build.href);
