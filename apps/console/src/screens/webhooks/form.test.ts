import { describe, expect, it } from 'vitest';
import { authProperties, createBody, formOf, parseList, tabOf, updateBody, type FormMessages, type Plugin, type Webhook } from './form.ts';

const msg: FormMessages = { retryNumbers: 'numbers', retryCannotClear: 'cannot clear', retypeSecret: 'retype', retypeHeader: 'retype header', retypeSecretHeader: 'retype secret header', number: 'number' };
const plugins: Plugin[] = [
  { id: 'none', version: '1.0.0', builtIn: true, configSchema: { type: 'object', properties: {} }, secretFields: [] },
  { id: 'basic', version: '1.0.0', builtIn: true, configSchema: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string' } } }, secretFields: ['password'] },
  { id: 'headers', version: '1.0.0', builtIn: true, configSchema: { type: 'object', required: ['headers'], properties: { headers: { type: 'object', additionalProperties: { type: 'string' } } } }, secretFields: ['headers'] },
  {
    id: 'oauth2',
    version: '2.1.0',
    builtIn: false,
    configSchema: { type: 'object', properties: { tokenUrl: { type: 'string', title: 'Token URL' }, scopes: { type: 'integer' }, audience: { enum: ['a', 'b'] }, pkce: { type: 'boolean' } } },
    secretFields: [],
  },
];
const stored: Webhook = {
  id: 'wh_01M7W3NW42V6DGZHBKVHF8WXKM', name: 'ERP', description: '', url: 'https://erp.example.com', method: 'POST', active: true, eventTypes: [],
  auth: { type: 'basic', username: 'bob', password: '********' }, headers: { 'X-Source': 'herald', Authorization: '********' }, secret: 'whsec_********',
  dedupWindowSeconds: 60, retry: { schedule: [5, 30] }, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};

describe('the webhook form', () => {
  it('reads a plugin config schema into fields', () => {
    expect(authProperties(plugins[3]).map((p) => [p.name, p.label, p.kind])).toEqual([
      ['tokenUrl', 'Token URL', 'string'],
      ['scopes', 'scopes', 'number'],
      ['audience', 'audience', 'enum'],
      ['pkce', 'pkce', 'boolean'],
    ]);
    expect(authProperties(plugins[2])[0]).toMatchObject({ kind: 'map', secret: true, required: true });
  });

  it('leaves secrets empty, and leaves auth and headers out of a PATCH that does not change them', () => {
    const f = formOf(stored, plugins);
    expect(f.auth).toEqual({ username: 'bob', password: '' });
    expect(f.headers.map((h) => [h.name, h.value, !!h.masked])).toEqual([['X-Source', 'herald', false], ['Authorization', '', true]]);
    const { body, problems } = updateBody({ ...f, name: 'ERP 2' }, f, plugins, msg);
    expect(problems).toEqual([]);
    expect(body).not.toHaveProperty('auth');
    expect(body).not.toHaveProperty('headers');
    expect(body).toMatchObject({ name: 'ERP 2', projects: null, schema: null, retry: { schedule: [5, 30] } });
  });

  it('asks for the secrets again when the authentication or the headers change (never sends ********)', () => {
    const f = formOf(stored, plugins);
    const changed = { ...f, auth: { ...f.auth, username: 'alice' }, headers: f.headers.map((h) => (h.name === 'X-Source' ? { ...h, value: 'other' } : h)) };
    const { problems } = updateBody(changed, f, plugins, msg);
    expect(problems).toEqual([{ field: '/auth/password', message: 'retype' }, { field: '/headers/Authorization', message: 'retype header' }]);
    const typed = { ...changed, auth: { username: 'alice', password: 'pw' }, headers: changed.headers.map((h) => (h.masked ? { ...h, value: 'Bearer x' } : h)) };
    const ok = updateBody(typed, f, plugins, msg);
    expect(ok.problems).toEqual([]);
    expect(ok.body.auth).toEqual({ type: 'basic', username: 'alice', password: 'pw' });
    expect(ok.body.headers).toEqual({ 'X-Source': 'other', Authorization: 'Bearer x' });
    expect(JSON.stringify(ok.body)).not.toContain('********');
  });

  it('only sends the typed secret when a password alone is changed', () => {
    const f = formOf(stored, plugins);
    const { body, problems } = updateBody({ ...f, auth: { username: 'bob', password: 'new' } }, f, plugins, msg);
    expect(problems).toEqual([]);
    expect(body.auth).toEqual({ type: 'basic', username: 'bob', password: 'new' });
  });

  it('builds a create body: projects, retry, typed plugin settings', () => {
    const f = { ...formOf({ ...stored, auth: { type: 'none' }, headers: {} }, plugins), projectsMode: 'only' as const, projects: 'a, b\nc', retry: '1 2, 3', authType: 'oauth2', auth: { tokenUrl: 'https://t', scopes: '3', audience: 'a', pkce: true } };
    const { body, problems } = createBody(f, plugins, msg);
    expect(problems).toEqual([]);
    expect(body).toMatchObject({ projects: ['a', 'b', 'c'], retry: { schedule: [1, 2, 3] }, auth: { type: 'oauth2', tokenUrl: 'https://t', scopes: 3, audience: 'a', pkce: true } });
    expect(createBody({ ...f, retry: '5, soon' }, plugins, msg).problems).toEqual([{ field: '/retry', message: 'numbers' }]);
  });

  it('keeps stored secret headers by leaving them out, and sends only what was typed or removed', () => {
    const w: Webhook = { ...stored, headers: { 'X-Source': 'herald' }, secretHeaders: { 'X-Vault': '********', 'X-Key': '********' } };
    const f = formOf(w, plugins);
    expect(f.headers.map((h) => [h.name, h.value, !!h.masked, !!h.secret])).toEqual([['X-Source', 'herald', false, false], ['X-Vault', '', true, true], ['X-Key', '', true, true]]);
    const unchanged = updateBody({ ...f, name: 'ERP 2' }, f, plugins, msg);
    expect(unchanged.problems).toEqual([]);
    for (const k of ['headers', 'secretHeaders', 'removeSecretHeaders']) expect(unchanged.body).not.toHaveProperty(k);

    // X-Vault replaced, X-Key removed, X-Source made secret (so headers go without it), a new secret row
    const rows = f.headers
      .filter((h) => h.name !== 'X-Key')
      .map((h) => (h.name === 'X-Vault' ? { ...h, value: 'v2' } : h.name === 'X-Source' ? { ...h, secret: true } : h));
    const changed = updateBody({ ...f, headers: [...rows, { id: 999, name: 'X-New', value: 'n', secret: true }] }, f, plugins, msg);
    expect(changed.problems).toEqual([]);
    expect(changed.body).toMatchObject({ headers: {}, secretHeaders: { 'X-Vault': 'v2', 'X-Source': 'herald', 'X-New': 'n' }, removeSecretHeaders: ['X-Key'] });

    // a stored secret renamed, or made plain, needs its value typed: it is never shown
    const renamed = updateBody({ ...f, headers: f.headers.map((h) => (h.name === 'X-Vault' ? { ...h, name: 'X-Vault-2' } : h)) }, f, plugins, msg);
    expect(renamed.problems).toEqual([{ field: '/secretHeaders/X-Vault-2', message: 'retype secret header' }]);
    const plain = updateBody({ ...f, headers: f.headers.map((h) => (h.name === 'X-Vault' ? { ...h, secret: false } : h)) }, f, plugins, msg);
    expect(plain.problems).toEqual([{ field: '/headers/X-Vault', message: 'retype header' }]);

    // create: secret rows go in secretHeaders
    const created = createBody({ ...formOf({ ...stored, headers: {} }, plugins), authType: 'none', auth: {}, headers: [{ id: 1, name: 'X-Plain', value: 'p' }, { id: 2, name: 'X-Secret', value: 's', secret: true }] }, plugins, msg);
    expect(created.body).toMatchObject({ headers: { 'X-Plain': 'p' }, secretHeaders: { 'X-Secret': 's' } });
    expect(tabOf('/secretHeaders/X-Secret')).toBe('headers');
    expect(tabOf('/removeSecretHeaders/0')).toBe('headers');
  });

  it('maps pointers to tabs, and parses lists', () => {
    expect([tabOf('/url'), tabOf('/auth/password'), tabOf('/headers/X-Foo'), tabOf('/retry/schedule/0'), tabOf('/secret')]).toEqual(['details', 'auth', 'headers', 'details', 'secret']);
    expect(parseList(' a ,\n\nb,')).toEqual(['a', 'b']);
  });
});
