/**
 * The logger a bus reports to: pino's calling convention (`logger.warn({ fields }, 'message')`),
 * so a pino logger can be passed as is. Optional everywhere; without one the bus stays silent.
 */
export interface BusLogger {
  /** Routine client chatter (a retriable error that kafkajs retries by itself); dropped when absent. */
  debug?(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
