import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createTlsServer } from 'node:tls';
import { HttpSender, parseRetryAfter } from './http-sender.ts';
import { maskConfig, maskHeaders } from './masking.ts';
import { TargetGuard, type LookupAll } from './ssrf-guard.ts';

let server: Server;
let base: string;
const received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = req.url!.split('?')[0];
      if (path === '/ok') res.writeHead(204).end();
      else if (path === '/fail') res.writeHead(500, { 'x-reason': 'boom' }).end('internal error');
      else if (path === '/redirect') res.writeHead(302, { location: '/ok' }).end();
      else if (path === '/big') res.writeHead(200).end('x'.repeat(100_000));
      else if (path === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2_000);
      else if (path === '/busy-seconds') res.writeHead(429, { 'retry-after': '120' }).end();
      else if (path === '/busy-date') res.writeHead(503, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() }).end();
      else if (path === '/busy-garbage') res.writeHead(429, { 'retry-after': 'soon' }).end();
      else if (path === '/busy-none') res.writeHead(429).end();
      else if (path === '/fail-with-retry-after') res.writeHead(500, { 'retry-after': '5' }).end();
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const opts = { timeoutMs: 1_000, maxResponseBytes: 1024 };

describe('HttpSender', () => {
  it('sends method, headers and body, and counts a 2xx as success', async () => {
    const sender = new HttpSender();
    const r = await sender.send({ url: `${base}/ok?x=1`, method: 'PUT', headers: { 'content-type': 'text/plain', 'x-a': 'b' }, body: 'hello' }, opts);
    await sender.close();
    expect(r.error).toBeUndefined();
    expect(r.success).toBe(true);
    expect(r.response?.status).toBe(204);
    expect(r.error).toBeUndefined();
    const got = received.at(-1)!;
    expect(got).toMatchObject({ method: 'PUT', url: '/ok?x=1', body: 'hello' });
    expect(got.headers['x-a']).toBe('b');
  });

  it('records a non-2xx answer as http_status with the response', async () => {
    const sender = new HttpSender();
    const r = await sender.send({ url: `${base}/fail`, method: 'POST', headers: {}, body: '' }, opts);
    await sender.close();
    expect(r.success).toBe(false);
    expect(r.error?.class).toBe('http_status');
    expect(r.response).toMatchObject({ status: 500, body: 'internal error', truncated: false });
    expect(r.response?.headers['x-reason']).toBe('boom');
  });

  it('does not follow redirects', async () => {
    const sender = new HttpSender();
    const before = received.length;
    const r = await sender.send({ url: `${base}/redirect`, method: 'POST', headers: {}, body: '' }, opts);
    await sender.close();
    expect(r.success).toBe(false);
    expect(r.error?.class).toBe('http_status');
    expect(r.response?.status).toBe(302);
    expect(received.length - before).toBe(1);
  });

  it('cuts a large response body at the limit', async () => {
    const sender = new HttpSender();
    const r = await sender.send({ url: `${base}/big`, method: 'POST', headers: {}, body: '' }, opts);
    await sender.close();
    expect(r.success).toBe(true);
    expect(r.response?.body).toHaveLength(1024);
    expect(r.response?.truncated).toBe(true);
  });

  it('times out a slow endpoint', async () => {
    const sender = new HttpSender();
    const r = await sender.send({ url: `${base}/slow`, method: 'POST', headers: {}, body: '' }, { ...opts, timeoutMs: 300 });
    await sender.close();
    expect(r.success).toBe(false);
    expect(r.error?.class).toBe('timeout');
    expect(r.durationMs).toBeGreaterThanOrEqual(250);
    expect(r.durationMs).toBeLessThan(1_900);
  });

  it('classifies a refused connection', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const sender = new HttpSender();
    const r = await sender.send({ url: `http://127.0.0.1:${port}/`, method: 'POST', headers: {}, body: '' }, opts);
    await sender.close();
    expect(r.error?.class).toBe('connection_refused');
  });
});

describe('HttpSender response handling', () => {
  it('reads Retry-After in seconds or as an HTTP date on 429 and 503, and nowhere else', async () => {
    const sender = new HttpSender();
    const send = (path: string) => sender.send({ url: `${base}${path}`, method: 'POST', headers: {}, body: '' }, opts);
    const seconds = await send('/busy-seconds');
    expect(seconds).toMatchObject({ success: false, retryAfterMs: 120_000, error: { class: 'http_status' } });
    const date = await send('/busy-date');
    expect(date.response?.status).toBe(503);
    // An HTTP date has one-second resolution: 30 s ahead, less the time the answer took.
    expect(date.retryAfterMs).toBeGreaterThan(27_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect((await send('/busy-garbage')).retryAfterMs).toBeUndefined();
    expect((await send('/busy-none')).retryAfterMs).toBeUndefined();
    expect((await send('/fail-with-retry-after')).retryAfterMs).toBeUndefined();
    await sender.close();
  });

  it('stops reading an endless body at the cap and closes the connection', async () => {
    let written = 0;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const limit = 64 * 1024 * 1024;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 'y');
      const pump = () => {
        while (written < limit) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', resolveClosed);
      pump();
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
    const sender = new HttpSender();
    const r = await sender.send({ url: `http://127.0.0.1:${(endless.address() as AddressInfo).port}/`, method: 'POST', headers: {}, body: '' }, { timeoutMs: 5_000, maxResponseBytes: 4096 });
    await closed;
    await sender.close();
    endless.closeAllConnections();
    await new Promise((res) => endless.close(res));
    expect(r.success).toBe(true);
    expect(r.response?.truncated).toBe(true);
    expect(r.response?.body).toBe('y'.repeat(4096));
    // The server was cut off long before the end of its 64 MiB.
    expect(written).toBeLessThan(limit / 4);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 30 ', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
  });
  it('ignores what is neither', () => {
    for (const v of [undefined, '', '-5', '1.5', 'soon', '2025-01-01T00:01:00Z', '12abc']) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
});

// End-to-end tests of the SSRF guard. Every socket here is on loopback (127.0.0.0/8, ::1);
// other addresses appear only as resolver answers and are refused before any connection.

interface CountingServer {
  port: number;
  connections: number;
  requests: { host: string | undefined; url: string }[];
  close(): Promise<void>;
}

async function countingServer(host: string, port = 0): Promise<CountingServer> {
  const s = createServer((req, res) => {
    out.requests.push({ host: req.headers.host, url: req.url! });
    req.resume();
    req.on('end', () => res.writeHead(200).end(`hello from ${host}`));
  });
  const out: CountingServer = {
    port: 0,
    connections: 0,
    requests: [],
    close: async () => {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    },
  };
  s.on('connection', () => out.connections++);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, host, resolve);
  });
  out.port = (s.address() as AddressInfo).port;
  return out;
}

/** A fake resolver: each name maps to a list of answers, one per call (the last one repeats). */
function scriptedLookup(script: Record<string, string[][]>): LookupAll & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (hostname: string) => {
    const n = calls.filter((c) => c === hostname).length;
    calls.push(hostname);
    const answers = script[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answers[Math.min(n, answers.length - 1)]!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

describe('HttpSender with a TargetGuard (loopback only)', () => {
  let one: CountingServer; // 127.0.0.1:P
  let two: CountingServer; // 127.0.0.2:P, the same port
  let six: CountingServer; // [::1]:P, the same port
  const post = (url: string) => ({ url, method: 'POST', headers: {}, body: 'x' });

  beforeAll(async () => {
    one = await countingServer('127.0.0.1');
    two = await countingServer('127.0.0.2', one.port);
    six = await countingServer('::1', one.port);
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close(), six.close()]);
  });

  it('reaches an allow-listed address', async () => {
    const sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
    const before = one.requests.length;
    const r = await sender.send(post(`http://127.0.0.1:${one.port}/allowed`), opts);
    await sender.close();
    expect(r.error).toBeUndefined();
    expect(r.response?.body).toBe('hello from 127.0.0.1');
    expect(one.requests.slice(before)).toEqual([{ host: `127.0.0.1:${one.port}`, url: '/allowed' }]);
  });

  it('refuses other loopback addresses as ssrf_blocked without connecting, which it would reach unguarded', async () => {
    // Unguarded, both servers answer: the refusal below is the guard's doing.
    const plain = new HttpSender();
    expect((await plain.send(post(`http://127.0.0.2:${one.port}/`), opts)).response?.body).toBe('hello from 127.0.0.2');
    expect((await plain.send(post(`http://[::1]:${one.port}/`), opts)).response?.body).toBe('hello from ::1');
    await plain.close();
    const [twoBefore, sixBefore] = [two.connections, six.connections];

    const sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
    const r2 = await sender.send(post(`http://127.0.0.2:${one.port}/`), opts);
    const r6 = await sender.send(post(`http://[::1]:${one.port}/`), opts);
    const rMapped = await sender.send(post(`http://[::ffff:127.0.0.2]:${one.port}/`), opts);
    const rNumeric = await sender.send(post(`http://2130706434:${one.port}/`), opts);
    await sender.close();
    expect(r2).toMatchObject({ success: false, error: { class: 'ssrf_blocked', message: '127.0.0.2 is a loopback address (not in HERALD_ALLOWED_TARGETS)' } });
    expect(r2.response).toBeUndefined();
    expect(r6).toMatchObject({ success: false, error: { class: 'ssrf_blocked', message: '::1 is a loopback address (not in HERALD_ALLOWED_TARGETS)' } });
    expect(rMapped.error).toMatchObject({ class: 'ssrf_blocked', message: expect.stringMatching(/IPv4-mapped 127\.0\.0\.2\) is a loopback address/) });
    expect(rNumeric.error).toMatchObject({ class: 'ssrf_blocked', message: expect.stringMatching(/^127\.0\.0\.2 is a loopback address/) });
    expect(two.connections - twoBefore).toBe(0);
    expect(six.connections - sixBefore).toBe(0);
  });

  it('refuses a hostname that resolves to loopback unless the name or its address is allow-listed', async () => {
    const lookup = scriptedLookup({ 'localhost.test': [['127.0.0.1']] });
    const url = `http://localhost.test:${one.port}/by-name`;
    const before = one.connections;
    const refused = new HttpSender({ guard: new TargetGuard({ lookup }) });
    const r = await refused.send(post(url), opts);
    await refused.close();
    expect(r.error).toEqual({ class: 'ssrf_blocked', message: 'localhost.test resolves to 127.0.0.1, a loopback address (not in HERALD_ALLOWED_TARGETS)' });
    expect(one.connections).toBe(before);

    for (const allowedTargets of ['localhost.test', '127.0.0.1/32']) {
      const sender = new HttpSender({ guard: new TargetGuard({ lookup, allowedTargets }) });
      const ok = await sender.send(post(url), opts);
      await sender.close();
      expect(ok.response?.body).toBe('hello from 127.0.0.1');
      // The Host header keeps the name of the URL, not the address connected to.
      expect(one.requests.at(-1)).toEqual({ host: `localhost.test:${one.port}`, url: '/by-name' });
    }
  });

  it('classifies a name the guard cannot resolve as dns', async () => {
    const sender = new HttpSender({ guard: new TargetGuard({ lookup: scriptedLookup({}) }) });
    const r = await sender.send(post(`http://nowhere.test:${one.port}/`), opts);
    await sender.close();
    expect(r.error?.class).toBe('dns');
  });

  it('connects to the address it checked, however the name resolves afterwards (DNS rebinding)', async () => {
    // First answer 127.0.0.1 (allowed), every later answer 127.0.0.2 (refused). A sender that
    // checked one answer and then connected by name would land on 127.0.0.2.
    const lookup = scriptedLookup({ 'rebind.test': [['127.0.0.1'], ['127.0.0.2']] });
    const [oneBefore, twoBefore] = [one.requests.length, two.connections];
    const sender = new HttpSender({ guard: new TargetGuard({ lookup, allowedTargets: '127.0.0.1/32' }) });
    const first = await sender.send(post(`http://rebind.test:${one.port}/first`), opts);
    expect(first.response?.body).toBe('hello from 127.0.0.1');
    // One lookup: the check's answer is the address connected to.
    expect(lookup.calls).toEqual(['rebind.test']);
    await sender.close();
    // A new connection is checked again; the name now resolves to 127.0.0.2 and is refused.
    const fresh = new HttpSender({ guard: new TargetGuard({ lookup, allowedTargets: '127.0.0.1/32' }) });
    const second = await fresh.send(post(`http://rebind.test:${one.port}/second`), opts);
    await fresh.close();
    expect(second.error).toEqual({ class: 'ssrf_blocked', message: 'rebind.test resolves to 127.0.0.2, a loopback address (not in HERALD_ALLOWED_TARGETS)' });
    expect(lookup.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(one.requests.slice(oneBefore).map((q) => q.url)).toEqual(['/first']);
    expect(two.connections - twoBefore).toBe(0);
  });

  it('refuses a name when one of its addresses is blocked, before connecting to any', async () => {
    const lookup = scriptedLookup({ 'mixed.test': [['127.0.0.1', '127.0.0.2']] });
    const before = one.connections;
    const sender = new HttpSender({ guard: new TargetGuard({ lookup, allowedTargets: '127.0.0.1/32' }) });
    const r = await sender.send(post(`http://mixed.test:${one.port}/`), opts);
    await sender.close();
    expect(r.error).toEqual({ class: 'ssrf_blocked', message: 'mixed.test resolves to 127.0.0.2, a loopback address (not in HERALD_ALLOWED_TARGETS)' });
    expect(one.connections).toBe(before);
  });

  it('refuses a scheme other than http and https', async () => {
    const sender = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
    const r = await sender.send(post(`ftp://127.0.0.1:${one.port}/`), opts);
    await sender.close();
    expect(r.error).toEqual({ class: 'ssrf_blocked', message: 'the scheme "ftp" is not allowed; webhook targets must be http or https' });
  });

  it('keeps the hostname as the TLS server name when it connects to the checked address', async () => {
    // The server records the SNI name and ends the handshake (no certificate needed for that).
    const names: string[] = [];
    const tlsServer = createTlsServer({ SNICallback: (name, cb) => (names.push(name), cb(new Error('no certificate here'), undefined)) });
    tlsServer.on('tlsClientError', () => {});
    let connections = 0;
    tlsServer.on('connection', () => connections++);
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const port = (tlsServer.address() as AddressInfo).port;
    const lookup = scriptedLookup({ 'receiver.test': [['127.0.0.1']] });
    const sender = new HttpSender({ guard: new TargetGuard({ lookup, allowedTargets: 'receiver.test' }) });
    const r = await sender.send(post(`https://receiver.test:${port}/`), opts);
    await sender.close();
    await new Promise((res) => tlsServer.close(res));
    expect(r.success).toBe(false);
    expect(connections).toBe(1);
    expect(names).toEqual(['receiver.test']);
  });
});

describe('maskHeaders', () => {
  it('masks authorization always, and the names a plugin declares', () => {
    expect(maskHeaders({ authorization: 'Basic x', 'x-api-key': 'k', 'x-token': 't', 'x-ok': 'v' }, ['X-Token'])).toEqual({
      authorization: '********',
      'x-api-key': '********',
      'x-token': '********',
      'x-ok': 'v',
    });
  });
});

describe('maskConfig', () => {
  it('masks the secret fields, an object\'s values one by one', () => {
    expect(maskConfig({ type: 'headers', headers: { 'X-Api-Key': 'k', 'X-Other': 'o' } }, ['headers'])).toEqual({
      type: 'headers',
      headers: { 'X-Api-Key': '********', 'X-Other': '********' },
    });
    expect(maskConfig({ username: 'u', password: 'p' }, ['password', 'absent'])).toEqual({ username: 'u', password: '********' });
  });
});
