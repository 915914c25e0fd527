import { describe, expect, it } from 'vitest';
import { defineTransportPlugin, type TransportPlugin } from '../contract.ts';
import { pluginContract, soundsSecret, type PluginContractOptions } from './contract.ts';

interface TokenConfig {
  token: string;
}

const good = defineTransportPlugin<TokenConfig>({
  id: 'demo-token',
  version: '1.0.0',
  herald: '^1.0.0',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['token'],
    properties: { token: { type: 'string', minLength: 1 } },
  },
  secretFields: ['token'],
  secretHeaders: () => ['x-demo-token'],
  apply: (request, config) => ({ ...request, headers: { ...request.headers, 'x-demo-token': config.token } }),
});

const options: PluginContractOptions<TokenConfig> = {
  validConfigs: [{ token: 'tok-0123456789' }],
  invalidConfigs: [{ config: {}, field: '/auth/token' }],
};

/** Runs every check; returns the failing ones by name with their messages. */
async function failures<C extends object>(plugin: TransportPlugin<C>, opts: PluginContractOptions<C>): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  for (const check of pluginContract(plugin, opts)) {
    try {
      await check.run();
    } catch (err) {
      failed.set(check.name, (err as Error).message);
    }
  }
  return failed;
}

/** The one check whose name matches, failing with a message that matches. */
async function expectOnlyFailure<C extends object>(plugin: TransportPlugin<C>, opts: PluginContractOptions<C>, name: RegExp, message: RegExp): Promise<void> {
  const failed = await failures(plugin, opts);
  const names = [...failed.keys()];
  expect(names.filter((n) => name.test(n)), `failing checks: ${JSON.stringify(Object.fromEntries(failed))}`).toHaveLength(1);
  expect(failed.get(names.find((n) => name.test(n))!)).toMatch(message);
}

describe('pluginContract', () => {
  it('passes a plugin that keeps the contract, every check included', async () => {
    const checks = pluginContract(good, options);
    expect(checks).toHaveLength(11);
    expect(await failures(good, options)).toEqual(new Map());
  });

  it('reads validConfigs lazily when given a function', async () => {
    let config: TokenConfig | undefined;
    const checks = pluginContract(good, { ...options, validConfigs: () => [config!] });
    config = { token: 'set-after-the-checks-were-made' };
    for (const c of checks) await c.run();
  });

  it('catches an id, a version or a range that break the contract', async () => {
    await expectOnlyFailure({ ...good, id: 'Demo Token' }, options, /lower-case id/, /lower-case letters/);
    await expectOnlyFailure({ ...good, herald: '*' }, options, /lower-case id/, /claims contract 2\.0\.0/);
    await expectOnlyFailure({ ...good, id: 'a'.repeat(101) }, options, /lower-case id/, /at most 100 characters/);
    const failed = await failures({ ...good, herald: '^2.0.0' }, options);
    expect(failed.get('has a lower-case id, a semver version and a contract range that includes this contract')).toMatch(/must include contract 1\.0\.0/);
    expect(failed.get('is accepted by the registry')).toMatch(/supports contract \^2\.0\.0/);
  });

  it('catches a secret field the schema does not have', async () => {
    const failed = await failures({ ...good, secretFields: ['token', 'tokne'] }, options);
    expect(failed.get('has an object config schema and declares its secret fields')).toMatch(/tokne is not a property/);
  });

  it('catches a field that sounds secret but is not declared, unless listed as public', async () => {
    const undeclared = { ...good, secretFields: [] };
    const failed = await failures(undeclared, options);
    expect(failed.get('has an object config schema and declares its secret fields')).toMatch(/field token sounds like a secret/);
    expect((await failures(undeclared, { ...options, publicFields: ['token'] })).has('has an object config schema and declares its secret fields')).toBe(false);
  });

  it.each([
    ['clientSecret', true], ['api_key', true], ['privateKey', true], ['password', true], ['accessToken', true], ['x-auth-token', true],
    ['tokenUrl', false], ['keyId', false], ['username', false], ['headers', false], ['secretHeaderName', false],
  ])('soundsSecret(%s) is %s', (field, expected) => {
    expect(soundsSecret(field)).toBe(expected);
  });

  it('catches a schema that accepts what it should refuse, or names the wrong field', async () => {
    await expectOnlyFailure(good, { ...options, invalidConfigs: [{ config: { token: 'fine-token' }, field: '/auth/token' }] }, /refuses each invalid/, /accepts/);
    await expectOnlyFailure(good, { ...options, invalidConfigs: [{ config: {}, field: '/auth/other' }] }, /refuses each invalid/, /should name \/auth\/other/);
    await expectOnlyFailure(good, { ...options, invalidConfigs: [] }, /refuses each invalid/, /at least one invalid config/);
  });

  it('catches a valid config the schema refuses', async () => {
    const failed = await failures(good, { ...options, validConfigs: [{ token: '' }] });
    expect(failed.get('accepts each valid config')).toMatch(/refuses/);
  });

  it('catches a schema that lets unknown fields through', async () => {
    const open = { ...good, configSchema: { ...good.configSchema, additionalProperties: true } };
    await expectOnlyFailure(open, options, /unknown field/, /accepts/);
  });

  it('catches an apply that mutates its input', async () => {
    const mutating = {
      ...good,
      apply: (request: Parameters<typeof good.apply>[0], config: TokenConfig) => {
        request.headers['x-demo-token'] = config.token;
        return request;
      },
    };
    const failed = await failures(mutating, options);
    expect(failed.get('apply does not mutate its request or its config')).toMatch(/apply changed the request or config it was given/);
    const configMutating = {
      ...good,
      apply: (request: Parameters<typeof good.apply>[0], config: TokenConfig) => {
        config.token = config.token.trim();
        return good.apply(request, config, { webhookId: 'w', account: 'a' });
      },
    };
    await expectOnlyFailure(configMutating, options, /does not mutate/, /apply changed the request or config/);
  });

  it('catches an apply that returns something other than a request', async () => {
    const broken = { ...good, apply: (request: Parameters<typeof good.apply>[0]) => ({ ...request, headers: { ...request.headers, 'X-Upper': 'v' } }) };
    const failed = await failures(broken, options);
    expect(failed.get('apply returns a well-formed request with lower-case header names')).toMatch(/X-Upper must be lower case/);
    const crlf = { ...good, apply: (request: Parameters<typeof good.apply>[0]) => ({ ...request, headers: { ...request.headers, 'x-a': 'a\r\nb' } }) };
    expect((await failures(crlf, { ...options, publicHeaders: ['x-a'] })).get('apply returns a well-formed request with lower-case header names')).toMatch(/CR, LF/);
  });

  it('catches a header set by apply that is not declared secret (unless listed as public)', async () => {
    const undeclared = { ...good, secretHeaders: () => [] };
    await expectOnlyFailure(undeclared, options, /declares as secret/, /x-demo-token/);
    expect((await failures(undeclared, { ...options, publicHeaders: ['x-demo-token'] })).has('declares as secret every header it adds or changes (except the public ones)')).toBe(false);
  });

  it('catches a secret that reaches the log in clear', async () => {
    const inUrl = {
      ...good,
      secretHeaders: () => [],
      apply: (request: Parameters<typeof good.apply>[0], config: TokenConfig) => ({ ...request, url: `${request.url}?token=${config.token}` }),
    };
    await expectOnlyFailure(inUrl, options, /secrets are masked/, /secret field token appears in clear/);
    // declared as public, the header would be logged as it is
    const publicHeader = { ...good, secretHeaders: () => [] };
    await expectOnlyFailure(publicHeader, { ...options, publicHeaders: ['x-demo-token'] }, /secrets are masked/, /secret field token/);
    // a secret field without a long enough example is not checked, and the suite says so
    await expectOnlyFailure(good, { ...options, validConfigs: [{ token: 'short' }] }, /secrets are masked/, /no valid config sets secret field token/);
  });

  it('catches a non-deterministic apply, unless told it is one', async () => {
    let n = 0;
    const counting = { ...good, secretHeaders: () => ['x-demo-token', 'x-n'], apply: (request: Parameters<typeof good.apply>[0]) => ({ ...request, headers: { ...request.headers, 'x-n': String(n++) } }) };
    await expectOnlyFailure(counting, options, /same request/, /two different requests/);
    expect(pluginContract(counting, { ...options, deterministic: false }).some((c) => /same request/.test(c.name))).toBe(false);
  });
});
