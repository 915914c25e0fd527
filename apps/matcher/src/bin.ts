// The matcher app as a program: `node dist/bin.js` (built by `pnpm build`) or `tsx src/bin.ts`.
import { runApp } from '@herald/runtime';
import { runMatcher } from './main.ts';

runApp('herald.matcher', () => runMatcher());
