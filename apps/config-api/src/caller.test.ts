import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFixture } from './testing/api-fixture.ts';

describe('GET /v1/me and GET /v1/plugins (what the console asks first)', () => {
  let api: Awaited<ReturnType<typeof startApiFixture>>;
  beforeAll(async () => {
    api = await startApiFixture();
  });
  afterAll(() => api.close());

  it('says who an account key is: account, role, key and plan switch', async () => {
    const acc = await api.account('Me');
    const admin = await acc.admin.GET('/v1/me');
    expect(admin.data).toEqual({ kind: 'account', accountId: acc.id, role: 'admin', keyId: acc.adminKey.id, webhooksEnabled: true });
    const read = await acc.read.GET('/v1/me');
    expect(read.data).toMatchObject({ role: 'read', keyId: acc.readKey.id });
    await api.operator.PATCH('/v1/accounts/{accountId}', { params: { path: { accountId: acc.id } }, body: { webhooksEnabled: false } });
    expect((await acc.read.GET('/v1/me')).data).toMatchObject({ webhooksEnabled: false });
  });

  it('says the operator token is the operator, and 401 for an unknown key', async () => {
    expect((await api.operator.GET('/v1/me')).data).toEqual({ kind: 'operator' });
    const r = await api.client('hk_unknown').GET('/v1/me');
    expect(r.response.status).toBe(401);
  });

  it('lists the installed plugins with their config schemas and secret fields', async () => {
    const acc = await api.account('Plugins');
    const { data } = await acc.read.GET('/v1/plugins');
    expect(data!.data.map((p) => p.id)).toEqual(['basic', 'bearer', 'headers', 'none']);
    const basic = data!.data.find((p) => p.id === 'basic')!;
    expect(basic).toMatchObject({ builtIn: true, secretFields: ['password'] });
    expect(Object.keys((basic.configSchema as { properties: object }).properties)).toEqual(expect.arrayContaining(['username', 'password']));
  });
});

describe('the console at /console', () => {
  let api: Awaited<ReturnType<typeof startApiFixture>>;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Herald console</title><script type="module" src="./assets/app.js"></script>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'document.title = "ok";');
    api = await startApiFixture({ consoleDir: dir });
  });
  afterAll(() => api.close());

  it('serves index.html with a strict Content-Security-Policy, no caching, no sniffing, no referrer', async () => {
    const r = await fetch(`${api.baseUrl}/console/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'self'");
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await r.text()).toContain('Herald console');
  });

  it('serves the assets for a year and redirects /console to /console/', async () => {
    const a = await fetch(`${api.baseUrl}/console/assets/app.js`);
    expect(a.status).toBe(200);
    expect(a.headers.get('cache-control')).toContain('immutable');
    const r = await fetch(`${api.baseUrl}/console`, { redirect: 'manual' });
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('/console/');
  });

  it('answers a missing file with 404, and the API is unchanged beside it', async () => {
    expect((await fetch(`${api.baseUrl}/console/nope.js`)).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/console/../openapi.json`)).status).toBe(200);
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
  });

  it('is not served when no console folder is given', async () => {
    const plain = await startApiFixture();
    try {
      const r = await fetch(`${plain.baseUrl}/console/`);
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    } finally {
      await plain.close();
    }
  });
});
