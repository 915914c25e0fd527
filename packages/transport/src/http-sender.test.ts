import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSender } from './http-sender.ts';
import { maskConfig, maskHeaders } from './masking.ts';

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
