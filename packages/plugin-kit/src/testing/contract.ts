/**
 * The plugin contract suite (`pluginContract`): the checks every transport plugin must pass,
 * whatever it does. It is framework-free — each check is a named async function that throws
 * (node:assert) when the plugin breaks the contract — so it runs under vitest, jest or
 * node:test alike:
 *
 *   for (const check of pluginContract(plugin, { validConfigs, invalidConfigs })) it(check.name, check.run);
 */
import assert from 'node:assert/strict';
import semver from 'semver';
import { PluginRegistry } from '../plugin-registry.ts';
import { TRANSPORT_CONTRACT_VERSION, type OutgoingRequest, type PluginContext, type TransportPlugin } from '../contract.ts';
import { MASK, maskConfig, maskHeaders } from '../masking.ts';
import { sampleContext, sampleRequest } from './samples.ts';

/** Secret values shorter than this cannot be searched for in the log without false alarms. */
export const CONTRACT_MIN_SECRET_LENGTH = 8;

export interface InvalidConfigCase {
  /** An `auth` without `type`, which the plugin's schema must refuse. */
  config: Record<string, unknown>;
  /** A field the errors must name, as Herald reports it, e.g. `/auth/token`. */
  field: string;
}

export interface PluginContractOptions<C> {
  /**
   * Configs the schema must accept; `apply` runs with each. Every secret field must appear in
   * at least one of them with a value of at least CONTRACT_MIN_SECRET_LENGTH characters, so
   * that its masking is checked. A function is called only when the checks run (e.g. once a
   * local test server is listening and its URL is known).
   */
  validConfigs: readonly C[] | (() => readonly C[]);
  /** Configs the schema must refuse, each with a field the errors must name. At least one. */
  invalidConfigs: readonly InvalidConfigCase[];
  /**
   * Header names (lower case) that `apply` may add or change and that are not secrets, e.g. a
   * signing date. Every other header it adds or changes must be in `secretHeaders(config)`.
   */
  publicHeaders?: readonly string[];
  /**
   * Config fields whose names sound secret (their last word is secret, password, token, key…)
   * but are not, e.g. a public `signingKeyId`. Every other such field must be in `secretFields`.
   */
  publicFields?: readonly string[];
  /** Whether `apply` gives the same request for the same input and config. Default true. */
  deterministic?: boolean;
  /** The request `apply` is given. Default `sampleRequest()`. */
  request?: OutgoingRequest;
  /** The context `apply` is given. Default `sampleContext`. */
  context?: PluginContext;
}

export interface ContractCheck {
  /** What the check asserts, for the test name. */
  name: string;
  /** Resolves when the plugin passes; rejects with an assertion error naming what is wrong. */
  run(): Promise<void>;
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

/** Last words of a field name that mark it as a secret: `clientSecret`, `api_key`, `password`. */
const SECRET_WORDS = new Set(['secret', 'password', 'passwd', 'passphrase', 'token', 'key', 'apikey', 'credential', 'credentials', 'pin']);

/** Whether a field name sounds like a secret, by its last word (camelCase, snake_case or kebab-case). */
export function soundsSecret(field: string): boolean {
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[\s_-]+/).filter(Boolean);
  return SECRET_WORDS.has((words.at(-1) ?? '').toLowerCase());
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The string values a secret field holds (a string, or an object/array of strings). */
function secretStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(secretStrings);
  return [];
}

function herald(err: unknown): { code?: string; errors?: { field: string; message: string }[] } {
  return (err ?? {}) as { code?: string; errors?: { field: string; message: string }[] };
}

function validate(plugin: TransportPlugin<any>, config: Record<string, unknown>): unknown {
  const registry = new PluginRegistry();
  registry.register(plugin);
  try {
    registry.validateAuth({ type: plugin.id, ...config });
  } catch (err) {
    return err;
  }
  return undefined;
}

function assertRefused(plugin: TransportPlugin<any>, config: Record<string, unknown>, field: string): void {
  const err = validate(plugin, config);
  assert.ok(err !== undefined, `the schema accepts ${JSON.stringify(config)}, which it should refuse naming ${field}`);
  assert.equal(herald(err).code, 'HERALD_PLUGIN_CONFIG_INVALID', `refusing ${JSON.stringify(config)} should throw HERALD_PLUGIN_CONFIG_INVALID`);
  const fields = (herald(err).errors ?? []).map((e) => e.field);
  assert.ok(fields.includes(field), `refusing ${JSON.stringify(config)} should name ${field}; it names ${JSON.stringify(fields)}`);
}

/**
 * The contract checks for one plugin. Run each as a test. They need no network unless the
 * plugin's `apply` does (then point its configs at a local server).
 */
export function pluginContract<C extends object>(plugin: TransportPlugin<C>, options: PluginContractOptions<C>): ContractCheck[] {
  const configs = (): readonly C[] => {
    const list = typeof options.validConfigs === 'function' ? options.validConfigs() : options.validConfigs;
    assert.ok(list.length > 0, 'pluginContract needs at least one valid config');
    return list;
  };
  const request = (): OutgoingRequest => structuredClone(options.request ?? sampleRequest());
  const context = options.context ?? sampleContext;
  const apply = async (config: C, req: OutgoingRequest = request()): Promise<OutgoingRequest> =>
    plugin.apply(req, structuredClone(config), context);
  const secretsOf = (config: C): { field: string; value: string }[] =>
    plugin.secretFields.flatMap((field) =>
      secretStrings((config as Record<string, unknown>)[field])
        .filter((value) => value.length >= CONTRACT_MIN_SECRET_LENGTH)
        .map((value) => ({ field, value })),
    );
  const properties = (): Record<string, unknown> => (plugin.configSchema.properties ?? {}) as Record<string, unknown>;

  const checks: ContractCheck[] = [
    {
      name: 'has a lower-case id, a semver version and a contract range that includes this contract',
      async run() {
        assert.equal(typeof plugin.id, 'string', 'id must be a string');
        assert.match(plugin.id, ID, `id ${JSON.stringify(plugin.id)} must be lower-case letters, digits and dashes`);
        assert.ok(plugin.id.length <= 100, `id must be at most 100 characters (the API's auth.type allows no more)`);
        assert.ok(semver.valid(plugin.version), `version ${JSON.stringify(plugin.version)} must be a semver version`);
        assert.ok(semver.validRange(plugin.herald), `herald ${JSON.stringify(plugin.herald)} must be a semver range`);
        assert.ok(semver.satisfies(TRANSPORT_CONTRACT_VERSION, plugin.herald), `herald ${plugin.herald} must include contract ${TRANSPORT_CONTRACT_VERSION}`);
        const nextMajor = semver.inc(TRANSPORT_CONTRACT_VERSION, 'major')!;
        assert.ok(!semver.satisfies(nextMajor, plugin.herald), `herald ${plugin.herald} claims contract ${nextMajor}, which does not exist yet`);
        if (plugin.displayName !== undefined) assert.equal(typeof plugin.displayName, 'string', 'displayName must be a string');
      },
    },
    {
      name: 'is accepted by the registry',
      async run() {
        const registry = new PluginRegistry();
        registry.register(plugin);
        assert.equal(registry.get(plugin.id), plugin);
      },
    },
    {
      name: 'has an object config schema and declares its secret fields',
      async run() {
        assert.equal(plugin.configSchema.type, 'object', 'configSchema.type must be "object"');
        assert.ok(Array.isArray(plugin.secretFields), 'secretFields must be an array');
        for (const f of plugin.secretFields) {
          assert.equal(typeof f, 'string', 'secretFields must hold field names');
          assert.ok(Object.hasOwn(properties(), f), `secret field ${f} is not a property of configSchema`);
        }
        const publicFields = new Set(options.publicFields ?? []);
        for (const f of Object.keys(properties())) {
          if (soundsSecret(f) && !publicFields.has(f)) {
            assert.ok(plugin.secretFields.includes(f), `field ${f} sounds like a secret but is not in secretFields (list it in publicFields if it is not one)`);
          }
        }
      },
    },
    {
      name: 'accepts each valid config',
      async run() {
        for (const config of configs()) {
          const err = validate(plugin, config as Record<string, unknown>);
          assert.equal(err, undefined, `the schema refuses ${JSON.stringify(maskConfig(config as Record<string, unknown>, plugin.secretFields))}: ${JSON.stringify(herald(err).errors ?? (err as Error)?.message)}`);
        }
      },
    },
    {
      name: 'refuses each invalid config with HERALD_PLUGIN_CONFIG_INVALID naming the field',
      async run() {
        assert.ok(options.invalidConfigs.length > 0, 'pluginContract needs at least one invalid config');
        for (const c of options.invalidConfigs) assertRefused(plugin, c.config, c.field);
      },
    },
    {
      name: 'refuses an unknown field, naming it (a misspelt secret would otherwise be stored unmasked)',
      async run() {
        const field = 'heraldContractUnknownField';
        assertRefused(plugin, { ...(configs()[0] as Record<string, unknown>), [field]: 'x' }, `/auth/${field}`);
      },
    },
    {
      name: 'apply returns a well-formed request with lower-case header names',
      async run() {
        for (const config of configs()) {
          const out = await apply(config);
          assert.ok(typeof out === 'object' && out !== null, 'apply must return a request');
          assert.equal(typeof out.url, 'string', 'url must be a string');
          assert.doesNotThrow(() => new URL(out.url), `url ${out.url} must be an absolute URL`);
          assert.equal(typeof out.method, 'string', 'method must be a string');
          assert.equal(typeof out.body, 'string', 'body must be a string');
          assert.ok(typeof out.headers === 'object' && out.headers !== null, 'headers must be an object');
          for (const [name, value] of Object.entries(out.headers)) {
            assert.equal(name, name.toLowerCase(), `header name ${name} must be lower case`);
            assert.equal(typeof value, 'string', `header ${name} must be a string`);
            assert.ok(!/[\r\n\0]/.test(value), `header ${name} must not hold CR, LF or NUL`);
          }
        }
      },
    },
    {
      name: 'apply does not mutate its request or its config',
      async run() {
        for (const config of configs()) {
          const req = request();
          const pristineRequest = structuredClone(req);
          const frozenConfig = deepFreeze(structuredClone(config));
          const pristineConfig = structuredClone(config);
          try {
            await plugin.apply(deepFreeze(req), frozenConfig, context);
          } catch (err) {
            // The request and config are frozen: a write throws in strict-mode code.
            if (err instanceof TypeError && /read only|read-only|not extensible|Cannot (add|assign|delete|define)/i.test(err.message)) {
              assert.fail(`apply changed the request or config it was given (${err.message}); return a new request instead`);
            }
            throw err;
          }
          assert.deepEqual(req, pristineRequest, 'apply changed the request it was given; return a new one');
          assert.deepEqual(frozenConfig, pristineConfig, 'apply changed its config');
        }
      },
    },
    {
      name: 'declares as secret every header it adds or changes (except the public ones)',
      async run() {
        const allowed = new Set((options.publicHeaders ?? []).map((h) => h.toLowerCase()));
        for (const config of configs()) {
          const secretHeaders = plugin.secretHeaders(structuredClone(config));
          assert.ok(Array.isArray(secretHeaders), 'secretHeaders must return an array');
          for (const h of secretHeaders) assert.equal(h, h.toLowerCase(), `secret header ${h} must be lower case`);
          const before = request();
          const out = await apply(config, structuredClone(before));
          for (const [name, value] of Object.entries(out.headers)) {
            if (before.headers[name] === value) continue;
            assert.ok(secretHeaders.includes(name) || allowed.has(name), `apply sets header ${name}, which is neither in secretHeaders(config) nor in publicHeaders`);
          }
        }
      },
    },
    {
      name: 'its secrets are masked in API answers and in the delivery log',
      async run() {
        const covered = new Set<string>();
        for (const config of configs()) {
          const secrets = secretsOf(config);
          for (const s of secrets) covered.add(s.field);
          const masked = maskConfig(config as Record<string, unknown>, plugin.secretFields);
          for (const f of plugin.secretFields) {
            if ((config as Record<string, unknown>)[f] !== undefined) {
              assert.ok(secretStrings(masked[f]).every((s) => s === MASK), `maskConfig leaves secret field ${f} unmasked`);
            }
          }
          const out = await apply(config);
          const logged = [
            ...secretStrings(masked),
            out.url,
            out.body,
            ...Object.values(maskHeaders(out.headers, plugin.secretHeaders(structuredClone(config)))),
          ];
          for (const s of secrets) {
            assert.ok(!logged.some((text) => text.includes(s.value)), `the value of secret field ${s.field} appears in clear in the masked config, the URL, the body or the masked headers`);
          }
        }
        for (const f of plugin.secretFields) {
          assert.ok(covered.has(f), `no valid config sets secret field ${f} to a value of at least ${CONTRACT_MIN_SECRET_LENGTH} characters, so its masking is not checked`);
        }
      },
    },
  ];
  if (options.deterministic ?? true) {
    checks.push({
      name: 'apply gives the same request for the same input',
      async run() {
        for (const config of configs()) {
          assert.deepEqual(await apply(config), await apply(config), 'apply gave two different requests for the same input; pass deterministic: false if that is intended');
        }
      },
    });
  }
  return checks;
}
