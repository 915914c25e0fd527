/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) for Herald's outgoing webhooks: before each
 * delivery, the plugin gets an access token from the receiver's token endpoint — from its
 * cache while the token is fresh — and sends it as `Authorization: Bearer <token>` (RFC 6750).
 *
 * A third-party transport plugin: it depends only on `@herald/plugin-kit`, the package Herald publishes for plugin authors.
 */
import { createHash } from 'node:crypto';
import { defineTransportPlugin, TargetGuard, type TransportPlugin } from '@herald/plugin-kit';
import { MemoryTokenCache, type CachedToken, type TokenCache } from './token-cache.ts';

export { MemoryTokenCache, type CachedToken, type TokenCache };

/** A webhook's `auth` for this plugin, without `type`. */
export interface OAuth2Config {
  /** The token endpoint, e.g. `https://auth.example.com/oauth/token`. */
  tokenUrl: string;
  clientId: string;
  /** Secret: write-only at the API, masked in the log. */
  clientSecret: string;
  /** Space-separated scopes to ask for. */
  scope?: string;
  /** The `audience` parameter some servers (Auth0, Okta) want. */
  audience?: string;
  /**
   * How the client authenticates to the token endpoint: `basic` (an `Authorization: Basic`
   * header, RFC 6749 §2.3.1, the default) or `body` (`client_id` and `client_secret` form fields).
   */
  authStyle?: 'basic' | 'body';
}

/**
 * Decides whether a token URL may be connected to. Herald's SSRF guard (`TargetGuard` of
 * `@herald/plugin-kit`) has this shape.
 */
export interface TokenUrlGuard {
  check(url: string): Promise<{ allowed: true } | { allowed: false; reason: string }>;
}

export interface OAuth2PluginOptions {
  /** The fetch used for token requests. Default: the global `fetch` (undici). */
  fetch?: typeof globalThis.fetch;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Where tokens are kept. Default: a MemoryTokenCache per plugin instance. */
  cache?: TokenCache;
  /** A token is renewed this long before it expires (at most half its lifetime). Default 30 s. */
  safetyMarginMs?: number;
  /** The lifetime assumed when the server sends no `expires_in`. Default 60 s. */
  defaultExpiresInSeconds?: number;
  /** Time allowed for one token request, connect to last byte. Default 10 s. */
  timeoutMs?: number;
  /** Token responses larger than this are refused. Default 64 KiB. */
  maxResponseBytes?: number;
  /**
   * Accept `http:` token URLs. Off by default: RFC 6749 §3.2 requires TLS at the token
   * endpoint, and the client secret travels in the request. For tests and local development.
   */
  allowHttp?: boolean;
  /**
   * Checks each token URL before the request, as Herald checks webhook targets: the token URL
   * is set by whoever edits the webhook, so without a check it could reach the internal
   * network. Default: `TargetGuard.fromEnv()`, the same `HERALD_ALLOWED_TARGETS` allow-list as
   * deliveries. `false` turns the check off.
   */
  guard?: TokenUrlGuard | false;
}

/** A token request that failed. Its message names the token URL and the status, never a secret. */
export class OAuth2TokenError extends Error {
  override readonly name = 'OAuth2TokenError';
  /** The token URL without user info, query or fragment. */
  readonly tokenUrl: string;
  /** The HTTP status the token endpoint answered, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, tokenUrl: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.tokenUrl = tokenUrl;
    this.status = status;
  }
}

export const PLUGIN_ID = 'oauth2-client-credentials';

// Client ids and secrets are form-encoded, so any text without control characters is safe
// (RFC 6749 Appendix A asks for VSCHAR; real secrets are sometimes not ASCII). Scope tokens are
// NQCHAR, as the RFC says.
const TEXT = '^[^\\x00-\\x1f\\x7f]+$';
const SCOPE = '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+( [\\x21\\x23-\\x5b\\x5d-\\x7e]+)*$';
// RFC 6750 b64token: what may follow `Bearer ` in a header.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 6749 §5.2: the `error` code of an error response.
const ERROR_CODE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

function configSchema(allowHttp: boolean): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['tokenUrl', 'clientId', 'clientSecret'],
    properties: {
      tokenUrl: {
        type: 'string',
        maxLength: 2048,
        pattern: allowHttp ? '^https?://[^\\s/?#@]+(/[^\\s]*)?$' : '^https://[^\\s/?#@]+(/[^\\s]*)?$',
      },
      clientId: { type: 'string', minLength: 1, maxLength: 512, pattern: TEXT },
      clientSecret: { type: 'string', minLength: 1, maxLength: 4096, pattern: TEXT },
      scope: { type: 'string', maxLength: 4096, pattern: SCOPE },
      audience: { type: 'string', minLength: 1, maxLength: 2048, pattern: TEXT },
      authStyle: { enum: ['basic', 'body'] },
    },
  };
}

/** The token URL as errors name it: no user info, query or fragment. */
function describeUrl(tokenUrl: string): string {
  try {
    const u = new URL(tokenUrl);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants for the Basic credentials. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: unknown }).error;
    return typeof code === 'string' && ERROR_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new RangeError(`larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Races a shared promise with one caller's abort signal, leaving the promise to the others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A plugin instance with its own token cache. The package's default export is
 * `createOAuth2Plugin()`; tests and embedders create their own with an injected clock, cache or
 * fetch.
 */
export function createOAuth2Plugin(options: OAuth2PluginOptions = {}): TransportPlugin<OAuth2Config> {
  const now = options.now ?? Date.now;
  const cache = options.cache ?? new MemoryTokenCache({ now });
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const safetyMarginMs = options.safetyMarginMs ?? 30_000;
  const defaultLifetimeMs = (options.defaultExpiresInSeconds ?? 60) * 1000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  const allowHttp = options.allowHttp ?? false;
  let guard: TokenUrlGuard | false | undefined = options.guard;
  /** Made on first use, so that the environment is read when Herald runs, not when it imports. */
  const targetGuard = (): TokenUrlGuard | false => (guard ??= TargetGuard.fromEnv());
  /** One token request in flight per cache key: concurrent deliveries wait for the same one. */
  const inFlight = new Map<string, Promise<string>>();

  /**
   * Tokens are shared by every webhook with the same token URL, client, scope and audience —
   * and the same secret: a webhook that names another's client id with a wrong secret must not
   * be handed the other's token.
   */
  function cacheKey(config: OAuth2Config): string {
    const parts = [config.tokenUrl, config.clientId, config.scope ?? '', config.audience ?? '', config.clientSecret];
    return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
  }

  async function requestToken(config: OAuth2Config): Promise<{ accessToken: string; lifetimeMs: number }> {
    const url = describeUrl(config.tokenUrl);
    let parsed: URL;
    try {
      parsed = new URL(config.tokenUrl);
    } catch {
      throw new OAuth2TokenError(`the token URL ${url} is not a valid URL`, url);
    }
    if (!(parsed.protocol === 'https:' || (allowHttp && parsed.protocol === 'http:'))) {
      throw new OAuth2TokenError(`the token URL ${url} must use https`, url);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw new OAuth2TokenError(`the token URL ${url} must not hold user info`, url);
    }
    const g = targetGuard();
    if (g) {
      let decision: Awaited<ReturnType<TokenUrlGuard['check']>>;
      try {
        decision = await g.check(config.tokenUrl);
      } catch (err) {
        const reason = (err as { code?: string }).code ?? (err as Error).message;
        throw new OAuth2TokenError(`the token endpoint ${url} could not be reached: ${reason}`, url, undefined, { cause: err });
      }
      if (!decision.allowed) throw new OAuth2TokenError(`the token URL ${url} is not allowed: ${decision.reason}`, url);
    }

    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (config.scope) form.set('scope', config.scope);
    if (config.audience) form.set('audience', config.audience);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if ((config.authStyle ?? 'basic') === 'basic') {
      const credentials = `${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    } else {
      form.set('client_id', config.clientId);
      form.set('client_secret', config.clientSecret);
    }

    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let text: string;
    try {
      // Redirects are not followed: they would resend the credentials somewhere else.
      res = await doFetch(config.tokenUrl, { method: 'POST', headers, body: form.toString(), redirect: 'manual', signal });
      text = await readCapped(res, maxResponseBytes);
    } catch (err) {
      if (signal.aborted) throw new OAuth2TokenError(`the token endpoint ${url} did not answer within ${timeoutMs} ms`, url);
      if (err instanceof RangeError) throw new OAuth2TokenError(`the token endpoint ${url} answered with a body ${err.message}`, url);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new OAuth2TokenError(`the token endpoint ${url} could not be reached: ${reason}`, url, undefined, { cause: err });
    }
    if (res.status < 200 || res.status >= 300) {
      const code = errorCodeOf(text);
      const redirect = res.status >= 300 && res.status < 400 ? ', a redirect, which is not followed' : '';
      throw new OAuth2TokenError(`the token endpoint ${url} answered ${res.status}${code ? ` (${code})` : ''}${redirect}`, url, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OAuth2TokenError(`the token endpoint ${url} answered ${res.status} with a body that is not JSON`, url, res.status);
    }
    const body = (typeof json === 'object' && json !== null ? json : {}) as { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string' || !B64TOKEN.test(body.access_token)) {
      const what = body.access_token === undefined ? 'no access_token' : 'an access_token that cannot be sent as a Bearer token';
      throw new OAuth2TokenError(`the token endpoint ${url} answered ${res.status} with ${what}`, url, res.status);
    }
    if (body.token_type !== undefined && (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer')) {
      throw new OAuth2TokenError(`the token endpoint ${url} issued a token of type ${JSON.stringify(body.token_type)}; this plugin sends Bearer tokens only`, url, res.status);
    }
    let lifetimeMs = defaultLifetimeMs;
    if (body.expires_in !== undefined) {
      const seconds = typeof body.expires_in === 'string' && body.expires_in.trim() !== '' ? Number(body.expires_in) : body.expires_in;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        throw new OAuth2TokenError(`the token endpoint ${url} answered ${res.status} with an invalid expires_in`, url, res.status);
      }
      lifetimeMs = seconds * 1000;
    }
    return { accessToken: body.access_token, lifetimeMs };
  }

  async function getToken(config: OAuth2Config, signal: AbortSignal | undefined): Promise<string> {
    const key = cacheKey(config);
    const cached = cache.get(key);
    if (cached && cached.expiresAt > now()) return cached.accessToken;
    let pending = inFlight.get(key);
    if (!pending) {
      const requestedAt = now();
      pending = requestToken(config)
        .then(({ accessToken, lifetimeMs }) => {
          // Counted from when the request was sent, and renewed ahead of time.
          const usableMs = Math.max(lifetimeMs - safetyMarginMs, lifetimeMs / 2);
          if (usableMs > 0) cache.set(key, { accessToken, expiresAt: requestedAt + usableMs });
          else cache.delete(key);
          return accessToken;
        })
        .catch((err: unknown) => {
          // Belt and braces: no message leaves with the secret in it.
          if (err instanceof Error && config.clientSecret.length > 0 && err.message.includes(config.clientSecret)) {
            err.message = err.message.split(config.clientSecret).join('********');
          }
          throw err;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return abortable(pending, signal);
  }

  return defineTransportPlugin<OAuth2Config>({
    id: PLUGIN_ID,
    version: '0.1.0',
    herald: '^1.0.0',
    displayName: 'OAuth 2.0 client credentials',
    configSchema: configSchema(allowHttp),
    secretFields: ['clientSecret'],
    secretHeaders: () => ['authorization'],
    async apply(request, config, context) {
      const token = await getToken(config, context.signal);
      return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
    },
  });
}

/** The plugin Herald loads (`HERALD_PLUGINS=@acme/herald-transport-oauth2`). */
export const plugin = createOAuth2Plugin();

export default plugin;
