import { fileURLToPath } from 'node:url';
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
 * Runs an app when its file is the process's entry point (`tsx apps/matcher/src/main.ts`):
 * starts it, stops it gracefully on SIGTERM/SIGINT, and exits 1 with the reason if it cannot start.
 */
export function runIfEntryPoint(moduleUrl: string, name: string, start: () => Promise<{ stop(): Promise<void> }>): void {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  start().then(
    (running) => onShutdown(createLogger(name), running.stop),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
