/**
 * A third party's view of the plugin kit, end to end, outside the workspace (docs/plugins.md
 * follows these steps):
 *
 * 1. `pnpm pack` the kit (@herald/plugin-kit) and the OAuth2 example (@acme/herald-transport-oauth2),
 *    as they would be published;
 * 2. a new project under os.tmpdir() installs both tarballs (pnpm, from the tarballs and the local
 *    store; vitest and typescript from the registry), type-checks the example's own tests against
 *    the installed kit's declarations and runs them there (behaviour and the pluginContract suite);
 * 3. the compiled Herald (`node apps/herald/bin/herald.js dev --memory`, plain node) starts with
 *    cwd = that project and `HERALD_PLUGINS=@acme/herald-transport-oauth2`: GET /v1/plugins lists
 *    it, and a delivery through it reaches a loopback receiver with the bearer token that a
 *    loopback HTTPS token endpoint issued for the webhook's client credentials.
 *
 * Nothing leaves 127.0.0.1 except the package manager's requests to the npm registry.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startReceiver, type Received } from './receiver.ts';
import { freePort } from './app-process.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const KIT_DIR = join(REPO, 'packages', 'plugin-kit');
const EXAMPLE_DIR = join(REPO, 'examples', 'herald-transport-oauth2');
const CLI = join(REPO, 'apps', 'herald', 'bin', 'herald.js');
const PNPM_VERSION = '12.4.2';
const ADMIN = 'kit-install-admin-token-0123456789';
const CLIENT_SECRET = 'kit-install-client-secret-0123';

/** The environment of a command a user runs in a shell: none of this test run's npm/pnpm variables. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_|VITEST|NODE_OPTIONS$)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

let pnpm: [string, string[]] = ['pnpm', []];
async function sh(cwd: string, cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const [file, pre] = cmd === 'pnpm' ? pnpm : [cmd, []];
  try {
    const { stdout, stderr } = await run(file, [...pre, ...args], { cwd, env: userEnv(), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

let work: string;
let project: string;
let tarballs: { kit: string; example: string };
const timings: Record<string, number> = {};
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await f();
  } finally {
    timings[what] = Date.now() - t;
  }
}

function tarList(tgz: string): Promise<string[]> {
  return run('tar', ['tzf', tgz]).then(({ stdout }) => stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));
}
function tarManifest(tgz: string): Promise<Record<string, any>> {
  return run('tar', ['xzf', tgz, '-O', 'package/package.json']).then(({ stdout }) => JSON.parse(stdout) as Record<string, any>);
}

beforeAll(async () => {
  try {
    if ((await run('pnpm', ['--version'])).stdout.trim() !== PNPM_VERSION) pnpm = ['npx', ['-y', `pnpm@${PNPM_VERSION}`]];
  } catch {
    pnpm = ['npx', ['-y', `pnpm@${PNPM_VERSION}`]];
  }
  // The suite builds the apps first (scripts/test.sh); a run of this file alone builds Herald if needed.
  if (!existsSync(join(REPO, 'apps', 'herald', 'dist', 'bin.js'))) await timed('herald build', () => sh(join(REPO, 'apps', 'herald'), 'pnpm', ['build']));

  work = mkdtempSync(join(tmpdir(), 'herald-kit-install-'));
  const packed = join(work, 'tarballs');
  mkdirSync(packed);
  // 1. Pack, as `pnpm publish` would (prepack builds dist/).
  await timed('pack', async () => {
    await sh(KIT_DIR, 'pnpm', ['pack', '--pack-destination', packed]);
    await sh(EXAMPLE_DIR, 'pnpm', ['pack', '--pack-destination', packed]);
  });
  const files = readdirSync(packed);
  tarballs = {
    kit: join(packed, files.find((f) => f.startsWith('herald-plugin-kit-'))!),
    example: join(packed, files.find((f) => f.startsWith('acme-herald-transport-oauth2-'))!),
  };

  // 2. A project of one's own, outside the workspace.
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'herald-plugin-trial',
        private: true,
        type: 'module',
        dependencies: { '@herald/plugin-kit': `file:${tarballs.kit}`, '@acme/herald-transport-oauth2': `file:${tarballs.example}` },
        devDependencies: { vitest: '4.1.12', typescript: '5.9.3', '@types/node': '20.19.43' },
      },
      null,
      2,
    ),
  );
  // The plugin asks for a range of @herald/plugin-kit, not published yet: the local tarball stands in for it.
  writeFileSync(join(project, 'pnpm-workspace.yaml'), `overrides:\n  "@herald/plugin-kit": "file:${tarballs.kit}"\n`);
  await timed('install', () => sh(project, 'pnpm', ['install', '--prefer-offline', '--no-frozen-lockfile']));
}, 300_000);

afterAll(() => {
  process.stdout.write(`kit-install timings (ms): ${JSON.stringify(timings)}\n`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed kit and plugin', () => {
  it('the kit tarball holds its built JavaScript, declarations, README, licence and manifest, and nothing else', async () => {
    const list = await tarList(tarballs.kit);
    expect(list).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts']));
    const stray = list.filter((f) => !['package.json', 'README.md', 'LICENSE'].includes(f) && !/^dist\/.+\.(js|d\.ts)$/.test(f));
    expect(stray).toEqual([]);
    expect(list.filter((f) => /\.test\.|(^|\/)src\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);

    const manifest = await tarManifest(tarballs.kit);
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBeTruthy();
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './testing': { types: './dist/testing/index.d.ts', import: './dist/testing/index.js' },
      './package.json': './package.json',
    });
    // What a user installs: real versions only, no workspace package.
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ajv', 'semver']);
    for (const v of Object.values(manifest.dependencies as Record<string, string>)) expect(v).toMatch(/^\^?\d+\.\d+\.\d+$/);
    const bundles = await run('tar', ['xzf', tarballs.kit, '-O', ...list.filter((f) => f.endsWith('.js')).map((f) => `package/${f}`)]);
    expect(bundles.stdout).not.toMatch(/from\s*["']@herald\//);
  });

  it('the plugin tarball holds dist/ and its README, and depends on a semver range of the kit', async () => {
    const list = await tarList(tarballs.example);
    expect(list.sort()).toEqual(['README.md', 'dist/index.d.ts', 'dist/index.js', 'dist/token-cache.d.ts', 'dist/token-cache.js', 'package.json']);
    const manifest = await tarManifest(tarballs.example);
    const kitVersion = (JSON.parse(readFileSync(join(KIT_DIR, 'package.json'), 'utf8')) as { version: string }).version;
    expect(manifest.dependencies).toEqual({ '@herald/plugin-kit': `^${kitVersion}` });
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' } });
  });
});

describe('in a project outside the workspace', () => {
  it("type-checks and passes the example's own tests (behaviour and the pluginContract suite) against the installed kit", async () => {
    // The example's tests, unchanged: they import the plugin by its package name.
    const tests = join(project, 'test');
    cpSync(join(EXAMPLE_DIR, 'src', 'index.test.ts'), join(tests, 'index.test.ts'));
    cpSync(join(EXAMPLE_DIR, 'src', 'contract.test.ts'), join(tests, 'contract.test.ts'));
    cpSync(join(EXAMPLE_DIR, 'src', 'testing'), join(tests, 'testing'), { recursive: true });
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true, types: ['node'], skipLibCheck: true },
        include: ['test/**/*.ts'],
      }),
    );
    await timed('tsc', () => sh(project, join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']));
    const out = (await timed('vitest', () => sh(project, join(project, 'node_modules', '.bin', 'vitest'), ['run', '--reporter=verbose']))).replace(/\x1b\[[0-9;]*m/g, '');
    expect(out).toMatch(/Test Files\s+2 passed \(2\)/);
    expect(out).toContain('herald-transport-oauth2 keeps the plugin contract');
    expect(out).toContain('its secrets are masked in API answers and in the delivery log');
    // Every test ran and passed: no failed, skipped or todo count beside the total.
    expect(out).toMatch(/Tests\s+(\d+) passed \(\1\)/);
  }, 180_000);
});

describe('Herald, started in that project with HERALD_PLUGINS=@acme/herald-transport-oauth2', () => {
  let herald: ChildProcess;
  let api: string;
  let output = '';
  let tokenServer: HttpsServer;
  let tokenUrl: string;
  const tokenRequests: { authorization?: string; form: URLSearchParams }[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    // The published plugin takes https token URLs only: a loopback HTTPS token endpoint, with a
    // certificate made here that Herald's process trusts through NODE_EXTRA_CA_CERTS.
    const tls = join(work, 'tls');
    mkdirSync(tls);
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(tls, 'key.pem'), '-out', join(tls, 'cert.pem')]);
    tokenServer = createHttpsServer({ key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        tokenRequests.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), form: new URLSearchParams(body) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `kit-token-${tokenRequests.length}`, token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    tokenUrl = `https://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
    receiver = await startReceiver();

    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    herald = spawn(process.execPath, [CLI, 'dev', '--memory'], {
      cwd: project,
      env: userEnv({
        PORT: String(port),
        HERALD_ADMIN_TOKEN: ADMIN,
        HERALD_DEV_RECEIVER_PORT: '-1',
        HERALD_PLUGINS: '@acme/herald-transport-oauth2',
        // Read by Herald's guard and by the plugin's own (TargetGuard.fromEnv()), for the token URL.
        HERALD_ALLOWED_TARGETS: '127.0.0.1/32',
        NODE_EXTRA_CA_CERTS: join(tls, 'cert.pem'),
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    herald.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    herald.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    const started = Date.now();
    await eventually(async () => {
      if (herald.exitCode !== null) throw new Error(`herald dev exited with ${herald.exitCode}: ${output}`);
      return fetch(`${api}/readyz`).then((r) => r.status === 200, () => false);
    }, 'herald dev to be ready', 60_000);
    timings['herald ready'] = Date.now() - started;
  }, 120_000);

  afterAll(async () => {
    if (herald && herald.exitCode === null) {
      const gone = new Promise((r) => herald.once('exit', r));
      herald.kill('SIGTERM');
      await gone;
    }
    await receiver?.close?.();
    await new Promise((r) => tokenServer?.close(r));
  });

  const call = async (path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${api}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  };

  it('loads the plugin from the project and delivers through it with the bearer token from the token endpoint', async () => {
    expect((await call('/v1/accounts', ADMIN, { id: 'kit-trial', name: 'Kit trial' })).status).toBe(201);
    const key = await call('/v1/api-keys', ADMIN, { account: 'kit-trial', role: 'admin', name: 'kit' });
    expect(key.status).toBe(201);
    const KEY = key.json.key as string;

    const plugins = await call('/v1/plugins', KEY);
    expect(plugins.status).toBe(200);
    const oauth2 = (plugins.json.data as { id: string }[]).find((p) => p.id === 'oauth2-client-credentials');
    expect(oauth2).toMatchObject({ id: 'oauth2-client-credentials', version: '0.1.0', builtIn: false, secretFields: ['clientSecret'] });

    expect((await call('/v1/event-types', ADMIN, { name: 'order.created', description: 'An order was placed' })).status).toBe(201);
    const webhook = await call('/v1/webhooks', KEY, {
      name: 'Orders',
      url: `${receiver.url}/hooks`,
      eventTypes: ['order.created'],
      auth: { type: 'oauth2-client-credentials', tokenUrl, clientId: 'herald', clientSecret: CLIENT_SECRET, scope: 'hooks:write' },
    });
    expect(webhook.status).toBe(201);
    expect(webhook.json.auth).toMatchObject({ type: 'oauth2-client-credentials', clientId: 'herald', clientSecret: '********' });
    // The plugin's schema, run by Herald at save time: http token URLs are refused, naming the field.
    const refused = await call('/v1/webhooks', KEY, { name: 'Bad', url: `${receiver.url}/hooks`, eventTypes: ['order.created'], auth: { type: 'oauth2-client-credentials', tokenUrl: tokenUrl.replace('https:', 'http:'), clientId: 'herald', clientSecret: CLIENT_SECRET } });
    expect(refused.status).toBe(400);
    expect(refused.json.errors).toEqual([expect.objectContaining({ field: '/auth/tokenUrl' })]);

    const event = await call('/v1/events', ADMIN, {
      id: 'evt_kit_1', type: 'order.created', account: 'kit-trial', entity: { type: 'order', id: '77' }, action: 'new', occurredAt: '2026-12-07T12:00:00Z', data: { total: 42 },
    });
    expect(event.status).toBe(202);

    await eventually(() => receiver.received.length === 1, 'the delivery at the loopback receiver', 30_000);
    const delivered: Received = receiver.received[0]!;
    expect(delivered.headers.authorization).toBe('Bearer kit-token-1');
    expect(delivered.headers['webhook-signature']).toMatch(/^v1,/);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.authorization).toBe(`Basic ${Buffer.from(`herald:${CLIENT_SECRET}`).toString('base64')}`);
    expect(Object.fromEntries(tokenRequests[0]!.form)).toEqual({ grant_type: 'client_credentials', scope: 'hooks:write' });

    // The log masks the header the plugin declared secret.
    let attempts: { request: { headers: Record<string, string> } }[] = [];
    await eventually(async () => {
      const log = await call(`/v1/webhooks/${webhook.json.id}/deliveries`, KEY);
      const id = (log.json.data as { id: string; status: string }[]).find((d) => d.status === 'succeeded')?.id;
      if (!id) return false;
      attempts = (await call(`/v1/deliveries/${id}/attempts`, KEY)).json.data;
      return attempts.length === 1;
    }, 'the delivery logged as succeeded');
    expect(attempts[0]!.request.headers.authorization).toBe('********');
    expect(JSON.stringify(attempts)).not.toContain('kit-token-1');
  }, 60_000);

  it('refuses at start a plugin that is not installed there, saying where it looked', async () => {
    const port = await freePort();
    const failed = await run(process.execPath, [CLI, 'dev', '--memory'], {
      cwd: project,
      env: userEnv({ PORT: String(port), HERALD_DEV_RECEIVER_PORT: '-1', HERALD_PLUGINS: '@acme/herald-transport-nowhere', LOG_LEVEL: 'warn' }),
      timeout: 30_000,
    }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain('HERALD_PLUGINS names @acme/herald-transport-nowhere, which is not installed');
    expect(failed?.stderr).toContain(`node_modules of ${project}`);
  }, 60_000);
});
