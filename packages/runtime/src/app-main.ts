import { createLogger } from './logger.ts';
import { onShutdown } from './shutdown.ts';
import type { ReadinessCheck } from './health-server.ts';

/** Readiness checks of an app's Kafka bus and MongoDB store (anything with `ping`). */
export function serviceChecks(bus: { ping(): Promise<void> }, store: { ping(): Promise<void> }): ReadinessCheck[] {
  return [
    { name: 'kafka', check: () => bus.ping() },
    { name: 'mongodb', check: () => store.ping() },
  ];
}

/**
 * Runs an app as the process's main program (its `src/bin.ts`, built to `dist/bin.js`): starts
 * it, stops it gracefully on SIGTERM or SIGINT, or when the parent process goes away (see
 * onShutdown), and exits 1 with the reason if it cannot start.
 */
export function runApp(name: string, start: () => Promise<{ stop(): Promise<void> }>): void {
  start().then(
    (running) => onShutdown(createLogger(name), running.stop),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
