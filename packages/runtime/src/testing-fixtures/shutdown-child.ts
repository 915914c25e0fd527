// A process for shutdown.test.ts: waits for a shutdown (signal or parent gone) and says it
// stopped cleanly. Not part of the package's exports.
import { createLogger } from '../logger.ts';
import { onShutdown } from '../shutdown.ts';

const keepAlive = setInterval(() => {}, 1_000);
onShutdown(createLogger('shutdown-child', 'info'), async () => {
  clearInterval(keepAlive);
  process.stdout.write('{"msg":"stop ran"}\n');
}, { parentCheckMs: 100 });
process.stdout.write('{"msg":"ready"}\n');
