// The delivery app as a program: `node dist/bin.js` (built by `pnpm build`) or `tsx src/bin.ts`.
import { runApp } from '@herald/runtime';
import { runDelivery } from './main.ts';

runApp('herald.delivery', () => runDelivery());
