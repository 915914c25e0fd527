import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { AttemptErrorClass, AttemptResponse } from '@herald/core';
import type { OutgoingRequest } from './plugin.ts';
import { TargetBlockedError, type TargetGuard } from './ssrf-guard.ts';

export interface SendOptions {
  /** The whole attempt, connect to last body byte. */
  timeoutMs: number;
  /** Response bodies are read up to this many bytes, then cut (`truncated: true`). */
  maxResponseBytes: number;
}

export interface SendResult {
  success: boolean;
  durationMs: number;
  response?: AttemptResponse;
  error?: { class: AttemptErrorClass; message: string };
  /** From a `Retry-After` header on a 429 or 503 answer: how long the endpoint asks to wait. */
  retryAfterMs?: number;
}

type ConnectOption = ConstructorParameters<typeof Agent>[0] extends infer O ? (O extends { connect?: infer C } ? C : never) : never;

export interface HttpSenderOptions {
  /** Keep-alive connections per origin. Default 32. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive socket is kept. Default 30 s. */
  keepAliveTimeoutMs?: number;
  /** undici connect options, or a connector function. */
  connect?: ConnectOption;
  /**
   * Endpoint safety (F15). When set, every new connection is checked first: the host is
   * resolved by the guard, every address checked, and the socket opened to the checked
   * address (TLS SNI, certificate check and Host header keep the original hostname). A
   * refused target fails the attempt as `ssrf_blocked` without opening a socket.
   */
  guard?: TargetGuard;
}

/**
 * Wraps an undici connector so that it connects only to addresses the guard accepts, and to
 * exactly the address it checked (no second DNS lookup, so no rebinding in between).
 */
export function guardedConnector(guard: TargetGuard, connector: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    guard.checkHost(options.hostname).then(
      (decision) => {
        if (!decision.allowed) {
          callback(new TargetBlockedError(decision.reason), null);
          return;
        }
        const servername = options.servername || (isIP(options.hostname) ? undefined : options.hostname.replace(/\.$/, ''));
        connector({ ...options, hostname: decision.address, ...(servername ? { servername } : {}) }, callback);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );
  };
}

/**
 * Parses a `Retry-After` value, delay-seconds or an HTTP date, into milliseconds from `now`
 * (0 for a date in the past); undefined when absent or malformed.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse also reads).
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Classifies a network error thrown by undici into the error classes of the delivery log. */
export function classifyError(err: unknown): { class: AttemptErrorClass; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const message = e?.message ?? String(err);
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { class: 'timeout', message: message || 'timed out' };
  }
  if (err instanceof TargetBlockedError || code === 'HERALD_SSRF_BLOCKED') return { class: 'ssrf_blocked', message };
  if (code === 'ECONNREFUSED') return { class: 'connection_refused', message };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return { class: 'dns', message };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return { class: 'connection_reset', message };
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return { class: 'tls', message };
  return { class: 'network', message: code ? `${code}: ${message}` : message };
}

function headersToRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Sends webhook requests with undici: a keep-alive pool per origin, no redirects followed
 * (a 3xx is an unacknowledged attempt), a timeout over the whole attempt, the response
 * body capped while it is read, `Retry-After` read on 429/503, and, with a `guard`, only
 * checked addresses connected to (F15).
 */
export class HttpSender {
  readonly #agent: Agent;
  readonly #guard: TargetGuard | undefined;

  constructor(options: HttpSenderOptions = {}) {
    this.#guard = options.guard;
    let connect = options.connect;
    if (options.guard) {
      const base = typeof connect === 'function' ? connect : buildConnector({ ...(connect ?? {}) });
      connect = guardedConnector(options.guard, base);
    }
    this.#agent = new Agent({
      connections: options.connectionsPerOrigin ?? 32,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      pipelining: 1,
      ...(connect ? { connect } : {}),
    });
  }

  async send(request: OutgoingRequest, options: SendOptions): Promise<SendResult> {
    const started = performance.now();
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const url = new URL(request.url);
      const schemeProblem = this.#guard?.schemeProblem(url);
      if (schemeProblem) throw new TargetBlockedError(schemeProblem);
      const res = await this.#agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method as 'POST',
        headers: request.headers,
        body: request.body,
        signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const room = options.maxResponseBytes - size;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          size = options.maxResponseBytes;
          truncated = true;
          res.body.destroy();
          break;
        }
        chunks.push(chunk);
        size += chunk.length;
      }
      const response: AttemptResponse = {
        status: res.statusCode,
        headers: headersToRecord(res.headers),
        body: Buffer.concat(chunks).toString('utf8'),
        truncated,
      };
      const success = res.statusCode >= 200 && res.statusCode < 300;
      const retryAfterMs = res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
      return {
        success,
        durationMs: Math.round(performance.now() - started),
        response,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        ...(success ? {} : { error: { class: 'http_status' as const, message: `the endpoint answered ${res.statusCode}` } }),
      };
    } catch (err) {
      return { success: false, durationMs: Math.round(performance.now() - started), error: classifyError(signal.aborted ? signal.reason : err) };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
