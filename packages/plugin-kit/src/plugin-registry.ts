import { Ajv, type ValidateFunction } from 'ajv';
import semver from 'semver';
// Bundled into the kit's dist (scripts/build.ts): inside Herald the registry throws Herald's own
// HeraldError, so the API answers its codes with their statuses.
import { HeraldError, schemaErrorPointer, type FieldError } from '@herald/core';
import { TRANSPORT_CONTRACT_VERSION, type TransportPlugin } from './contract.ts';

/** A webhook's `auth`: the plugin id in `type`, the plugin's config beside it. */
export interface PluginAuth {
  type: string;
  [setting: string]: unknown;
}

interface Registered {
  plugin: TransportPlugin;
  validate: ValidateFunction;
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Holds the transport plugins of a process. Checks each plugin when it is registered
 * (shape, contract version range, config schema) and each webhook's `auth` against the
 * plugin's config schema, with coded errors.
 */
export class PluginRegistry {
  readonly #plugins = new Map<string, Registered>();
  readonly #ajv = new Ajv({ allErrors: true, strict: false });

  register(plugin: TransportPlugin<any>): void {
    const problems: string[] = [];
    if (typeof plugin !== 'object' || plugin === null) throw new HeraldError('HERALD_PLUGIN_CONFIG_INVALID', 'A transport plugin must be an object');
    if (typeof plugin.id !== 'string' || !ID.test(plugin.id)) problems.push('id must be lower-case letters, digits and dashes');
    if (typeof plugin.version !== 'string' || !semver.valid(plugin.version)) problems.push('version must be a semver version');
    if (typeof plugin.apply !== 'function') problems.push('apply must be a function');
    if (typeof plugin.secretHeaders !== 'function') problems.push('secretHeaders must be a function');
    if (!Array.isArray(plugin.secretFields)) problems.push('secretFields must be a list of field names');
    if (problems.length > 0) {
      throw new HeraldError('HERALD_PLUGIN_CONFIG_INVALID', `Transport plugin ${String(plugin.id)} is malformed: ${problems.join('; ')}`);
    }
    if (typeof plugin.herald !== 'string' || semver.validRange(plugin.herald) === null || !semver.satisfies(TRANSPORT_CONTRACT_VERSION, plugin.herald)) {
      throw new HeraldError(
        'HERALD_PLUGIN_VERSION_MISMATCH',
        `Transport plugin ${plugin.id}@${plugin.version} supports contract ${String(plugin.herald)}, but this Herald has ${TRANSPORT_CONTRACT_VERSION}`,
      );
    }
    if (this.#plugins.has(plugin.id)) {
      throw new HeraldError('HERALD_CONFLICT', `A transport plugin with id ${plugin.id} is already registered`);
    }
    let validate: ValidateFunction;
    try {
      validate = this.#ajv.compile(plugin.configSchema);
    } catch (err) {
      throw new HeraldError('HERALD_PLUGIN_CONFIG_INVALID', `Transport plugin ${plugin.id} has an invalid config schema: ${(err as Error).message}`, { cause: err });
    }
    this.#plugins.set(plugin.id, { plugin: plugin as TransportPlugin, validate });
  }

  get(id: string): TransportPlugin {
    const r = this.#plugins.get(id);
    if (!r) {
      throw new HeraldError('HERALD_PLUGIN_NOT_FOUND', `No transport plugin "${id}" is installed (installed: ${this.ids().join(', ')})`, {
        errors: [{ field: '/auth/type', message: `must be one of ${this.ids().join(', ')}` }],
      });
    }
    return r.plugin;
  }

  /** Every registered plugin, by id. */
  list(): TransportPlugin[] {
    return this.ids().map((id) => this.#plugins.get(id)!.plugin);
  }

  ids(): string[] {
    return [...this.#plugins.keys()].sort();
  }

  /** Checks a webhook's `auth` against its plugin's config schema; throws HERALD_PLUGIN_CONFIG_INVALID naming the fields. */
  validateAuth(auth: PluginAuth): void {
    const plugin = this.get(auth.type);
    const { type: _type, ...config } = auth;
    const r = this.#plugins.get(plugin.id)!;
    if (!r.validate(config)) {
      const errors: FieldError[] = (r.validate.errors ?? []).map((e) => ({
        field: schemaErrorPointer(e, '/auth'),
        message: e.keyword === 'additionalProperties' ? 'is not a known field' : (e.message ?? 'is invalid'),
      }));
      throw new HeraldError('HERALD_PLUGIN_CONFIG_INVALID', `The settings of the "${plugin.id}" authentication are invalid`, { errors });
    }
  }
}
