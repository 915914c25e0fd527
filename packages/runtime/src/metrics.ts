import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export type { Registry } from 'prom-client';

export interface AppMetricsOptions {
  /**
   * Label the per-account metrics (deliveries, attempts, matcher events, API requests) with
   * `account` too (HERALD_METRICS_ACCOUNT_LABEL). Off by default: one series per account and
   * value is a cardinality an operator has to choose.
   */
  accountLabel?: boolean;
}

/**
 * An app's Prometheus metrics (prom-client), served at `GET /metrics`: the registry every
 * metric of the app is registered in, with the default label `app`. It starts with the process's
 * own (CPU, memory, event loop: prom-client's defaults, prefixed `herald_`) and
 * `herald_store_commands_total{command}`, the MongoDB commands the app sent, by command name
 * (`insert`, `find`, `update`, …), from the driver's command monitoring. The app adds its own with
 * createDeliveryMetrics, createMatcherMetrics, createApiMetrics and the scrape-time gauges
 * (scrape-gauges.ts). docs/operations.md lists them all.
 */
export interface AppMetrics {
  readonly registry: Registry;
  readonly app: string;
  /** Whether per-account metrics carry the `account` label. */
  readonly accountLabel: boolean;
  /** Counts one store command; give it to `createMongoStore({ onCommand })`. */
  storeCommand(commandName: string): void;
}

export function createAppMetrics(app: string, options: AppMetricsOptions = {}): AppMetrics {
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
    app,
    accountLabel: options.accountLabel ?? false,
    storeCommand: (commandName) => commands.inc({ command: commandName }),
  };
}

/** The label names of a per-account metric: `names`, plus `account` when the operator opted in. */
export function withAccount<T extends string>(metrics: Pick<AppMetrics, 'accountLabel'>, names: readonly T[]): (T | 'account')[] {
  return metrics.accountLabel ? [...names, 'account'] : [...names];
}

/** `labels`, plus `account` when the operator opted in (an empty value, e.g. the operator's own API calls, is Prometheus' "no account"). */
export function accountLabels<L extends Record<string, string>>(metrics: Pick<AppMetrics, 'accountLabel'>, labels: L, account: string | undefined): L & { account?: string } {
  return metrics.accountLabel ? { ...labels, account: account ?? '' } : labels;
}
