// The herald CLI as a program: `node dist/bin.js <command>` (built by `pnpm build`; what
// bin/herald.js runs) or `tsx src/bin.ts <command>` from the sources.
import { run } from './main.ts';

run(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`herald: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
