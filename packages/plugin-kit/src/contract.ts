/**
 * The transport plugin contract (F2, F20). A plugin adds authentication to an outgoing
 * request. It is a plain object, published as a package whose default export (or named
 * export `plugin`) is a TransportPlugin; see docs/plugins.md.
 */

/** The version of this contract. Plugins declare the range they support in `herald`. */
export const TRANSPORT_CONTRACT_VERSION = '1.0.0';

export interface OutgoingRequest {
  url: string;
  method: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface PluginContext {
  /** The webhook the request is for. */
  webhookId: string;
  account: string;
  /** Aborted when the attempt times out. */
  signal?: AbortSignal;
}

export interface TransportPlugin<Config = Record<string, unknown>> {
  /** The `auth.type` that selects this plugin, e.g. `basic`. Lower case, `[a-z0-9-]+`. */
  id: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The contract versions it supports, as a semver range, e.g. `^1.0.0`. */
  herald: string;
  /** A human name, for the console. */
  displayName?: string;
  /** JSON Schema (draft 2020-12 subset that ajv knows) of the config, i.e. `auth` without `type`. */
  configSchema: Record<string, unknown>;
  /** Config fields that are secrets: write-only at the API, masked in logs, encrypted at rest. */
  secretFields: string[];
  /** Outgoing header names (lower case) that carry secrets and must be masked in the log. */
  secretHeaders(config: Config): string[];
  /** Returns the request with authentication applied. May be async (e.g. to fetch a token). */
  apply(request: OutgoingRequest, config: Config, context: PluginContext): OutgoingRequest | Promise<OutgoingRequest>;
}

/** Helper for plugin authors: keeps the literal types of a plugin object. */
export function defineTransportPlugin<Config>(plugin: TransportPlugin<Config>): TransportPlugin<Config> {
  return plugin;
}
