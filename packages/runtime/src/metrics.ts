import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * An app's Prometheus metrics (prom-client), served at `GET /metrics` by its health server:
 * the process's own (CPU, memory, event loop: prom-client's defaults, prefixed `herald_`) and
 * `herald_store_commands_total{command}`, the MongoDB commands the app sent, by command name
 * (`insert`, `find`, `update`, …), from the driver's command monitoring.
 */
export interface AppMetrics {
  readonly registry: Registry;
  /** Counts one store command; give it to `createMongoStore({ onCommand })`. */
  storeCommand(commandName: string): void;
}

export function createAppMetrics(app: string): AppMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const commands = new Counter({
    name: 'herald_store_commands_total',
    help: 'MongoDB commands sent by the app, by command name.',
    labelNames: ['command'] as const,
    registers: [registry],
  });
  return {
    registry,
    storeCommand: (commandName) => commands.inc({ command: commandName }),
  };
}
