import type { Logger } from 'pino';

export interface ShutdownOptions {
  /** How long `stop` may take before the process exits anyway (default 30 s). */
  graceMs?: number;
  /**
   * How often to check that the parent process is still there (default 1 s; 0 = never). When the
   * parent goes away (its pid changes: the process was re-parented), the process stops as on
   * SIGTERM. `pnpm dev` and other wrappers that exit on SIGTERM without passing it on would
   * otherwise leave the app running, orphaned.
   */
  parentCheckMs?: number;
}

/**
 * Runs `stop` once on SIGTERM or SIGINT, or when the parent process goes away (graceful
 * shutdown: finish the work in hand, commit, disconnect), then exits. A second signal, or
 * `graceMs` passing, exits at once.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, options: ShutdownOptions | number = {}): void {
  const { graceMs = 30_000, parentCheckMs = 1_000 } = typeof options === 'number' ? { graceMs: options } : options;
  let stopping = false;
  let parentWatch: NodeJS.Timeout | undefined;
  const handler = (reason: NodeJS.Signals | 'parent exited') => {
    if (stopping) {
      logger.warn({ signal: reason }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    if (parentWatch) clearInterval(parentWatch);
    logger.info({ signal: reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  if (parentCheckMs > 0) {
    const parent = process.ppid;
    parentWatch = setInterval(() => {
      if (process.ppid !== parent) handler('parent exited');
    }, parentCheckMs);
    parentWatch.unref();
  }
}
