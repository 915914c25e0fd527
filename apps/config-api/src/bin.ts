// The config-api app as a program: `node dist/bin.js` (built by `pnpm build`) or `tsx src/bin.ts`.
import { runApp } from '@herald/runtime';
import { runConfigApi } from './main.ts';

runApp('herald.config-api', () => runConfigApi());
