import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MASK, maskConfig, maskHeaders, PluginRegistry, TargetGuard } from '@herald/plugin-kit';
import { applyPlugin, configErrors, sampleContext, sampleRequest } from '@herald/plugin-kit/testing';
import defaultPlugin, { createOAuth2Plugin, MemoryTokenCache, OAuth2TokenError, plugin as namedPlugin, type OAuth2Config, type OAuth2PluginOptions } from '@acme/herald-transport-oauth2';
import { startTokenServer, type TokenServer } from './testing/token-server.ts';

const SECRET = 's3cr3t p@ss:wörd';

let server: TokenServer;
beforeAll(async () => {
  server = await startTokenServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
  server.answer = (_req, n) => ({ json: { access_token: `token-${n}`, token_type: 'Bearer', expires_in: 3600 } });
});

function config(overrides: Partial<OAuth2Config> = {}): OAuth2Config {
  return { tokenUrl: server.tokenUrl, clientId: 'herald-client', clientSecret: SECRET, ...overrides };
}

/** Herald's SSRF guard, with the loopback token endpoint of the tests allow-listed. */
const loopbackAllowed = new TargetGuard({ allowedTargets: '127.0.0.1' });

/** A plugin instance with a clock the test moves. */
function withClock(options: OAuth2PluginOptions = {}) {
  const clock = { now: 1_700_000_000_000 };
  const plugin = createOAuth2Plugin({ allowHttp: true, guard: loopbackAllowed, now: () => clock.now, ...options });
  return { plugin, clock };
}

async function rejection(promise: unknown): Promise<OAuth2TokenError> {
  try {
    await promise;
  } catch (err) {
    return err as OAuth2TokenError;
  }
  throw new Error('expected a rejection');
}

describe('token request', () => {
  it('fetches a token with client credentials (Basic, RFC 6749 §2.3.1) and sends it as a Bearer token', async () => {
    const { plugin } = withClock();
    const out = await applyPlugin(plugin, config({ scope: 'hooks:write hooks:read', audience: 'https://api.example.com' }));
    expect(out.headers.authorization).toBe('Bearer token-1');
    expect(out.headers['content-type']).toBe('application/json');
    expect(out.url).toBe(sampleRequest().url);
    expect(out.body).toBe(sampleRequest().body);

    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/oauth/token');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.form).toEqual({ grant_type: 'client_credentials', scope: 'hooks:write hooks:read', audience: 'https://api.example.com' });
    // id and secret are form-encoded before they are joined (so a colon in the secret survives)
    const basic = Buffer.from(req!.headers.authorization!.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(basic).toBe(`herald-client:${new URLSearchParams({ s: SECRET }).toString().slice(2)}`);
    const [id, secret] = basic.split(':');
    expect([decodeURIComponent(id!.replace(/\+/g, ' ')), decodeURIComponent(secret!.replace(/\+/g, ' '))]).toEqual(['herald-client', SECRET]);
  });

  it('sends the credentials in the body with authStyle: body', async () => {
    const { plugin } = withClock();
    const out = await applyPlugin(plugin, config({ authStyle: 'body' }));
    expect(out.headers.authorization).toBe('Bearer token-1');
    const [req] = server.requests;
    expect(req!.headers.authorization).toBeUndefined();
    expect(req!.form).toEqual({ grant_type: 'client_credentials', client_id: 'herald-client', client_secret: SECRET });
  });

  it('does not mutate the request it is given', async () => {
    const { plugin } = withClock();
    const request = sampleRequest();
    const out = await plugin.apply(request, config(), sampleContext);
    expect(request).toEqual(sampleRequest());
    expect(out).not.toBe(request);
  });
});

describe('token cache', () => {
  it('reuses the token: a second apply makes no second token request', async () => {
    const { plugin } = withClock();
    const a = await plugin.apply(sampleRequest(), config(), sampleContext);
    const b = await plugin.apply(sampleRequest(), config(), sampleContext);
    expect(a.headers.authorization).toBe('Bearer token-1');
    expect(b.headers.authorization).toBe('Bearer token-1');
    expect(server.requests).toHaveLength(1);
  });

  it('refreshes the token when it expires, a safety margin early', async () => {
    const { plugin, clock } = withClock({ safetyMarginMs: 30_000 });
    const start = clock.now;
    expect((await plugin.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-1');
    clock.now = start + 3_600_000 - 30_000 - 1; // just before expiry minus the margin
    expect((await plugin.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-1');
    expect(server.requests).toHaveLength(1);
    clock.now = start + 3_600_000 - 30_000; // renewal time
    expect((await plugin.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-2');
    expect(server.requests).toHaveLength(2);
    clock.now += 60_000; // the new token is fresh for its own hour
    expect((await plugin.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-2');
    expect(server.requests).toHaveLength(2);
  });

  it('keeps a short-lived token for half its life, one without expires_in for the default, and never one of 0 s', async () => {
    const { plugin, clock } = withClock({ safetyMarginMs: 30_000, defaultExpiresInSeconds: 120 });
    const start = clock.now;
    const lifetimes: Record<string, unknown> = { short: 20, none: undefined, zero: 0, text: '40' };
    server.answer = (req, n) => ({ json: { access_token: `${req.form.scope}-${n}`, token_type: 'bearer', expires_in: lifetimes[req.form.scope!] } });
    const auth = async (scope: string) => (await plugin.apply(sampleRequest(), config({ scope }), sampleContext)).headers.authorization;

    expect(await auth('short')).toBe('Bearer short-1');
    clock.now = start + 9_999;
    expect(await auth('short')).toBe('Bearer short-1');
    clock.now = start + 10_000; // 20 s token: usable for max(20 - 30, 20 / 2) = 10 s
    expect(await auth('short')).toBe('Bearer short-2');

    clock.now = start;
    expect(await auth('none')).toBe('Bearer none-3');
    clock.now = start + 89_999; // default 120 s minus 30 s
    expect(await auth('none')).toBe('Bearer none-3');
    clock.now = start + 90_000;
    expect(await auth('none')).toBe('Bearer none-4');

    expect(await auth('zero')).toBe('Bearer zero-5');
    expect(await auth('zero')).toBe('Bearer zero-6');

    clock.now = start;
    expect(await auth('text')).toBe('Bearer text-7'); // "40" as a string, as some servers send it
    clock.now = start + 19_999;
    expect(await auth('text')).toBe('Bearer text-7');
  });

  it('keeps one token per token URL, client, scope, audience and secret', async () => {
    const { plugin } = withClock();
    const auth = async (c: OAuth2Config) => (await plugin.apply(sampleRequest(), c, sampleContext)).headers.authorization;
    expect(await auth(config())).toBe('Bearer token-1');
    expect(await auth(config({ scope: 'a' }))).toBe('Bearer token-2');
    expect(await auth(config({ audience: 'x' }))).toBe('Bearer token-3');
    expect(await auth(config({ clientId: 'other' }))).toBe('Bearer token-4');
    expect(await auth(config({ tokenUrl: `${server.origin}/other/token` }))).toBe('Bearer token-5');
    // Someone who knows the client id but not the secret does not get the cached token.
    expect(await auth(config({ clientSecret: 'a wrong guess' }))).toBe('Bearer token-6');
    // authStyle changes how the client authenticates, not which token it gets.
    expect(await auth(config({ authStyle: 'body' }))).toBe('Bearer token-1');
    expect(await auth(config())).toBe('Bearer token-1');
    expect(server.requests).toHaveLength(6);
  });

  it('uses an injected cache', async () => {
    const cache = new MemoryTokenCache();
    const { plugin } = withClock({ cache });
    await plugin.apply(sampleRequest(), config(), sampleContext);
    expect(cache.size).toBe(1);
    const other = createOAuth2Plugin({ allowHttp: true, guard: loopbackAllowed, cache, now: () => 1_700_000_000_000 });
    expect((await other.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-1');
    expect(server.requests).toHaveLength(1);
  });

  it('makes one token request for concurrent applies', async () => {
    const { plugin } = withClock();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    server.answer = async (_req, n) => {
      await released;
      return { json: { access_token: `token-${n}`, expires_in: 3600 } };
    };
    const applies = Array.from({ length: 25 }, () => plugin.apply(sampleRequest(), config(), sampleContext));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests).toHaveLength(1);
    release();
    const out = await Promise.all(applies);
    expect(new Set(out.map((o) => o.headers.authorization))).toEqual(new Set(['Bearer token-1']));
    expect(server.requests).toHaveLength(1);
  });

  it('shares a failure with the concurrent applies, and does not cache it', async () => {
    const { plugin } = withClock();
    server.answer = (_req, n) => (n === 1 ? { status: 503, json: { error: 'temporarily_unavailable' } } : { json: { access_token: 'after-outage', expires_in: 3600 } });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => plugin.apply(sampleRequest(), config(), sampleContext)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(server.requests).toHaveLength(1);
    expect((await plugin.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer after-outage');
    expect(server.requests).toHaveLength(2);
  });

  it('lets one caller give up (its signal aborts) while the others still get the token', async () => {
    const { plugin } = withClock();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    server.answer = async () => {
      await released;
      return { json: { access_token: 'shared', expires_in: 3600 } };
    };
    const controller = new AbortController();
    const impatient = plugin.apply(sampleRequest(), config(), { ...sampleContext, signal: controller.signal });
    const patient = plugin.apply(sampleRequest(), config(), sampleContext);
    await new Promise((r) => setTimeout(r, 50));
    controller.abort(new Error('attempt timed out'));
    await expect(impatient).rejects.toThrow('attempt timed out');
    release();
    expect((await patient).headers.authorization).toBe('Bearer shared');
    expect(server.requests).toHaveLength(1);
  });
});

describe('MemoryTokenCache', () => {
  it('stays within its size, dropping expired entries first, then the oldest', () => {
    let now = 1_000;
    const cache = new MemoryTokenCache({ maxEntries: 3, now: () => now });
    cache.set('a', { accessToken: 'a', expiresAt: 5_000 });
    cache.set('b', { accessToken: 'b', expiresAt: 1_500 });
    cache.set('c', { accessToken: 'c', expiresAt: 5_000 });
    now = 2_000;
    cache.set('d', { accessToken: 'd', expiresAt: 5_000 });
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')].map((t) => t?.accessToken)).toEqual(['a', undefined, 'c', 'd']);
    cache.set('e', { accessToken: 'e', expiresAt: 5_000 });
    expect(cache.size).toBe(3);
    expect(cache.get('a')).toBeUndefined();
    cache.delete('c');
    expect(cache.get('c')).toBeUndefined();
  });
});

describe('errors', () => {
  async function failure(answer: TokenServer['answer'], options: OAuth2PluginOptions = {}, overrides: Partial<OAuth2Config> = {}) {
    server.answer = answer;
    const { plugin } = withClock(options);
    const err = await rejection(plugin.apply(sampleRequest(), config(overrides), sampleContext));
    expect(err).toBeInstanceOf(OAuth2TokenError);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(Buffer.from(`herald-client:${SECRET}`).toString('base64'));
    return err;
  }

  it('names the token URL, the status and the OAuth error code of a refusal, not the secret', async () => {
    const err = await failure(() => ({ status: 401, json: { error: 'invalid_client', error_description: `bad secret ${SECRET}` } }));
    expect(err.message).toBe(`the token endpoint ${server.tokenUrl} answered 401 (invalid_client)`);
    expect(err.status).toBe(401);
    expect(err.tokenUrl).toBe(server.tokenUrl);
  });

  it('does not name the query or user info of the token URL', async () => {
    const err = await failure(() => ({ status: 500, body: 'oops' }), {}, { tokenUrl: `${server.tokenUrl}?key=hidden-value` });
    expect(err.message).toBe(`the token endpoint ${server.tokenUrl} answered 500`);
  });

  it('refuses an answer that is not JSON, has no usable token, or is of another type', async () => {
    expect((await failure(() => ({ body: '<html>login</html>' }))).message).toBe(`the token endpoint ${server.tokenUrl} answered 200 with a body that is not JSON`);
    expect((await failure(() => ({ json: { token_type: 'Bearer' } }))).message).toContain('answered 200 with no access_token');
    expect((await failure(() => ({ json: { access_token: 'a b\r\nx-evil: 1' } }))).message).toContain('an access_token that cannot be sent as a Bearer token');
    expect((await failure(() => ({ json: { access_token: 'abc', token_type: 'mac' } }))).message).toContain('issued a token of type "mac"');
    expect((await failure(() => ({ json: { access_token: 'abc', expires_in: -5 } }))).message).toContain('an invalid expires_in');
    expect((await failure(() => ({ json: ['abc'] }))).message).toContain('no access_token');
  });

  it('does not follow a redirect (it would send the credentials elsewhere)', async () => {
    const err = await failure((req) =>
      req.path === '/oauth/token' ? { status: 307, headers: { location: `${server.origin}/elsewhere` } } : { json: { access_token: 'stolen' } },
    );
    expect(err.message).toBe(`the token endpoint ${server.tokenUrl} answered 307, a redirect, which is not followed`);
    expect(server.requests.map((r) => r.path)).toEqual(['/oauth/token']);
  });

  it('refuses an oversized answer', async () => {
    const err = await failure(() => ({ json: { access_token: 'a'.repeat(2_000) } }), { maxResponseBytes: 1_000 });
    expect(err.message).toBe(`the token endpoint ${server.tokenUrl} answered with a body larger than 1000 bytes`);
  });

  it('gives up on a token endpoint that does not answer', async () => {
    const err = await failure(() => 'hang', { timeoutMs: 200 });
    expect(err.message).toBe(`the token endpoint ${server.tokenUrl} did not answer within 200 ms`);
  });

  it('says when the token endpoint cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const tokenUrl = `http://127.0.0.1:${port}/token`;
    const err = await failure(() => ({}), {}, { tokenUrl });
    expect(err.message).toBe(`the token endpoint ${tokenUrl} could not be reached: ECONNREFUSED`);
  });

  it('surfaces in Herald as a failed apply (the delivery records the message)', async () => {
    server.answer = () => ({ status: 400, json: { error: 'invalid_scope' } });
    const { plugin } = withClock();
    await expect(applyPlugin(plugin, config({ scope: 'nope' }))).rejects.toThrow(/answered 400 \(invalid_scope\)/);
  });
});

describe('https only, unless allowed', () => {
  it('the published plugin refuses an http token URL at save time and at apply time', async () => {
    expect(configErrors(defaultPlugin, config()).map((e) => e.field)).toEqual(['/auth/tokenUrl']);
    expect(configErrors(defaultPlugin, config({ tokenUrl: 'https://auth.example.com/oauth/token' }))).toEqual([]);
    const err = await rejection(defaultPlugin.apply(sampleRequest(), config(), sampleContext));
    expect(err.message).toBe(`the token URL ${server.tokenUrl} must use https`);
    expect(server.requests).toHaveLength(0);
  });

  it('differs from an allowHttp instance only in the token URL pattern', () => {
    const { tokenUrl: a, ...restDefault } = defaultPlugin.configSchema.properties as Record<string, unknown>;
    const { tokenUrl: b, ...restHttp } = createOAuth2Plugin({ allowHttp: true }).configSchema.properties as Record<string, unknown>;
    expect(restDefault).toEqual(restHttp);
    expect(a).not.toEqual(b);
    expect(namedPlugin).toBe(defaultPlugin);
  });

  it.each([
    ['ftp://auth.example.com/token', '/auth/tokenUrl'],
    ['https://user:pw@auth.example.com/token', '/auth/tokenUrl'],
    ['https://auth.example.com/to ken', '/auth/tokenUrl'],
  ])('refuses the token URL %s', (tokenUrl, field) => {
    expect(configErrors(defaultPlugin, config({ tokenUrl })).map((e) => e.field)).toContain(field);
  });
});

describe('token URLs are checked like webhook targets (SSRF)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('refuses a loopback token URL by default, before any packet is sent', async () => {
    vi.stubEnv('HERALD_ALLOWED_TARGETS', '');
    const plugin = createOAuth2Plugin({ allowHttp: true });
    const err = await rejection(plugin.apply(sampleRequest(), config(), sampleContext));
    expect(err).toBeInstanceOf(OAuth2TokenError);
    expect(err.message).toMatch(new RegExp(`^the token URL ${server.tokenUrl} is not allowed: 127\\.0\\.0\\.1 is .*HERALD_ALLOWED_TARGETS`));
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a private https token URL (an IP literal: no lookup, no connection)', async () => {
    const plugin = createOAuth2Plugin({ guard: TargetGuard.fromEnv({}) });
    const err = await rejection(plugin.apply(sampleRequest(), config({ tokenUrl: 'https://10.0.0.5/token' }), sampleContext));
    expect(err.message).toBe('the token URL https://10.0.0.5/token is not allowed: 10.0.0.5 is a private address (10.0.0.0/8) (not in HERALD_ALLOWED_TARGETS)');
  });

  it('reads HERALD_ALLOWED_TARGETS when it first needs it', async () => {
    const plugin = createOAuth2Plugin({ allowHttp: true });
    vi.stubEnv('HERALD_ALLOWED_TARGETS', '127.0.0.0/8');
    expect((await plugin.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-1');
  });

  it('asks an injected guard, or none with guard: false', async () => {
    const asked: string[] = [];
    const refusing = createOAuth2Plugin({ allowHttp: true, guard: { check: async (url) => (asked.push(url), { allowed: false, reason: 'not on the list' }) } });
    expect((await rejection(refusing.apply(sampleRequest(), config(), sampleContext))).message).toBe(`the token URL ${server.tokenUrl} is not allowed: not on the list`);
    expect(asked).toEqual([server.tokenUrl]);
    const unguarded = createOAuth2Plugin({ allowHttp: true, guard: false });
    expect((await unguarded.apply(sampleRequest(), config(), sampleContext)).headers.authorization).toBe('Bearer token-1');
  });
});

describe('secrets', () => {
  it('declares the client secret and the authorization header, so the registry masks them', async () => {
    const registry = new PluginRegistry();
    const { plugin } = withClock();
    registry.register(plugin);
    // As Herald holds it: a webhook's `auth` without `type`.
    const c: Record<string, unknown> = { ...config({ scope: 'hooks' }) };
    registry.validateAuth({ type: plugin.id, ...c });
    const installed = registry.get(plugin.id);
    expect(installed.secretFields).toEqual(['clientSecret']);
    expect(maskConfig({ type: plugin.id, ...c }, installed.secretFields)).toEqual({ type: plugin.id, tokenUrl: server.tokenUrl, clientId: 'herald-client', clientSecret: MASK, scope: 'hooks' });

    const out = await installed.apply(sampleRequest(), c, sampleContext);
    const logged = maskHeaders(out.headers, installed.secretHeaders(c));
    expect(installed.secretHeaders(c)).toEqual(['authorization']);
    expect(logged.authorization).toBe(MASK);
    expect(JSON.stringify(logged)).not.toContain('token-1');
  });
});
