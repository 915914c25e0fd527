/**
 * The web console's weight and speed (F19), in headless Chromium against `herald dev`:
 *
 * - size: the console is built (`pnpm --filter @herald/console build`), then every .js file under
 *   apps/console/dist is gzipped (zlib level 9) and the sizes summed: `js_gzip_kb`; the same for
 *   the .css files: `css_gzip_kb`;
 * - speed: `herald dev` (in this process, in-memory store) serves the build; an account, an
 *   admin key and 20 webhooks are made through the API with the operator token; then BENCH_RUNS
 *   times (default 5), each in a fresh browser context: open /console/, wait for the sign-in
 *   form (a field labelled "API key"), sign in with the key ("Sign in"), wait for the webhook list
 *   (a table with the 20 webhooks: 21 rows with the header).
 *   `signin_render_ms`: navigation start → the sign-in form in the page (median);
 *   `webhook_list_ms` (also printed as `ttl_webhooks_ms`): navigation start → the table with its
 *   20 rows, typing and clicking included (median);
 *   `first_paint_to_signin_ms`: the page's first paint → the sign-in form (median; 0 = the form
 *   was in the first paint).
 *   The instants are taken in the page (a MutationObserver added before the page's scripts, on
 *   `performance.now()`, whose origin is the navigation start); Playwright's role and label
 *   locators then confirm what the observer saw.
 *
 * HERALD_CONSOLE_DIR=<folder> measures a console already built there instead of building
 * apps/console. HERALD_CHROMIUM=<path> picks the browser (default: scripts/chromium.sh, which
 * installs Debian's chromium when there is none). It stops everything by itself and prints its
 * figures last, on one line:
 *
 *   js_gzip_kb=N css_gzip_kb=N signin_render_ms=N webhook_list_ms=N
 *
 *   pnpm bench:console
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
// Relative import: the root package does not depend on the workspace packages.
import {
  consoleDist,
  expectNoConsoleErrors,
  launchBrowser,
  repoRoot,
  startDevHerald,
  type Browser,
  type DevHerald,
  type Page,
} from '../apps/console/e2e/browser.ts';

const log = (line: string) => process.stderr.write(`[bench:console] ${line}\n`);
const RUNS = Math.min(20, Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5));
const WEBHOOKS = 20;
const ROWS = WEBHOOKS + 1; // with the header row
const WAIT_MS = 20_000;

class BenchError extends Error {}

// ---- size -------------------------------------------------------------------------------------

function build(): string {
  const given = process.env.HERALD_CONSOLE_DIR?.trim();
  if (given) {
    log(`measuring the console in HERALD_CONSOLE_DIR=${given} (no build)`);
    return given;
  }
  log('building the console: pnpm --filter @herald/console build');
  const r = spawnSync('pnpm', ['--filter', '@herald/console', 'build'], { cwd: repoRoot, stdio: ['ignore', process.stderr, process.stderr] });
  if (r.error) throw new BenchError(`could not run pnpm: ${r.error.message}`);
  if (r.status !== 0) throw new BenchError(`the console build failed (pnpm --filter @herald/console build exited ${r.status ?? r.signal})`);
  return consoleDist;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function gzipSizes(dir: string): { jsBytes: number; cssBytes: number } {
  if (!existsSync(join(dir, 'index.html'))) throw new BenchError(`no index.html in ${dir}: the console is not built there`);
  let jsBytes = 0;
  let cssBytes = 0;
  for (const file of filesUnder(dir)) {
    const isJs = /\.m?js$/.test(file);
    const isCss = file.endsWith('.css');
    if (!isJs && !isCss) continue;
    const raw = readFileSync(file);
    const gz = gzipSync(raw, { level: 9 }).length;
    if (isJs) jsBytes += gz;
    else cssBytes += gz;
    log(`  ${relative(dir, file)}: ${raw.length} B, ${gz} B gzipped`);
  }
  if (jsBytes === 0) throw new BenchError(`no .js file under ${dir}`);
  return { jsBytes, cssBytes };
}

// ---- data through the API --------------------------------------------------------------------

async function api<T>(herald: DevHerald, token: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${herald.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new BenchError(`POST ${path} answered ${res.status}, not 201: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function seed(herald: DevHerald): Promise<string> {
  const account = await api<{ id: string }>(herald, herald.adminToken, '/v1/accounts', { name: 'Bench' });
  const key = await api<{ key: string }>(herald, herald.adminToken, '/v1/api-keys', { account: account.id, role: 'admin', name: 'bench' });
  for (let i = 1; i <= WEBHOOKS; i++) {
    await api(herald, key.key, '/v1/webhooks', { name: `Bench webhook ${String(i).padStart(2, '0')}`, url: 'http://127.0.0.1:9/x' });
  }
  log(`account ${account.id}: an admin key and ${WEBHOOKS} webhooks`);
  return key.key;
}

// ---- the browser ------------------------------------------------------------------------------

interface Marks {
  signin?: number;
  list?: number;
}

/**
 * Runs in the page before its own scripts (addInitScript goes through the DevTools protocol, so
 * the console's CSP does not stop it): notes when the sign-in field and the full table appear.
 * A string, not a function: tsx would add helpers (`__name`) to a function's source that do not
 * exist in the page.
 */
const MARKS_SCRIPT = `(() => {
  const rows = ${ROWS};
  const marks = {};
  window.__benchMarks = marks;
  const observer = new MutationObserver(() => {
    const now = performance.now();
    if (marks.signin === undefined) {
      for (const input of document.querySelectorAll('input')) {
        const names = [input.getAttribute('aria-label') || '', ...Array.from(input.labels || [], (l) => l.textContent || '')];
        if (names.some((n) => n.toLowerCase().includes('api key'))) { marks.signin = now; break; }
      }
    }
    if (marks.list === undefined) {
      for (const table of document.querySelectorAll('table')) {
        if (table.querySelectorAll('tr').length >= rows) { marks.list = now; break; }
      }
    }
    if (marks.signin !== undefined && marks.list !== undefined) observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;

async function pageSummary(page: Page): Promise<string> {
  const title = await page.title().catch(() => '?');
  const text = await page
    .evaluate(() => document.body?.innerText ?? '')
    .catch(() => '');
  return `page ${page.url()} (title "${title}"): ${JSON.stringify(text.replace(/\s+/g, ' ').trim().slice(0, 300))}`;
}

interface Run {
  signinMs: number;
  listMs: number;
  firstPaintToSigninMs: number;
  errors: readonly string[];
}

async function oneRun(browser: Browser, herald: DevHerald, key: string): Promise<Run> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const errors = expectNoConsoleErrors(page);
    await page.addInitScript({ content: MARKS_SCRIPT });
    const response = await page.goto(herald.consoleUrl, { waitUntil: 'commit' });
    if (!response || response.status() !== 200) throw new BenchError(`${herald.consoleUrl} answered ${response?.status() ?? 'nothing'}, not 200`);

    // exact: the sign-in screen may have other controls whose labels contain "API key" (a
    // choice "I have an account API key"); the field is the one labelled exactly that.
    const field = page.getByLabel('API key', { exact: true });
    try {
      await field.waitFor({ state: 'visible', timeout: WAIT_MS });
    } catch (err) {
      throw new BenchError(
        `no sign-in form: no single visible field labelled "API key" within ${WAIT_MS / 1000} s ` +
          `(${(err as Error).message.split('\n')[0]}). ` +
          `The bench expects the console's sign-in screen (a text field labelled "API key" and a button "Sign in", in English). ` +
          (await pageSummary(page)) +
          (errors.errors.length ? `; page errors: ${errors.errors.join(' | ')}` : ''),
      );
    }
    const afterSignin = await page.evaluate(() => performance.now());
    const button = page.getByRole('button', { name: 'Sign in' });
    if ((await button.count()) !== 1) throw new BenchError(`the sign-in form has ${await button.count()} buttons named "Sign in", not 1; ${await pageSummary(page)}`);

    await field.fill(key);
    await button.click();

    const rows = page.getByRole('table').getByRole('row');
    try {
      await rows.nth(ROWS - 1).waitFor({ state: 'visible', timeout: WAIT_MS });
    } catch (err) {
      throw new BenchError(
        `signed in, but no table with ${WEBHOOKS} webhooks (${ROWS} rows with the header) within ${WAIT_MS / 1000} s ` +
          `(${await rows.count()} rows; ${(err as Error).message.split('\n')[0]}). ${await pageSummary(page)}` +
          (errors.errors.length ? `; page errors: ${errors.errors.join(' | ')}` : ''),
      );
    }
    const afterList = await page.evaluate(() => performance.now());
    const count = await rows.count();
    if (count !== ROWS) throw new BenchError(`the webhook table has ${count} rows, not ${ROWS} (${WEBHOOKS} webhooks and the header)`);

    const { marks, firstPaint } = await page.evaluate(() => ({
      marks: (window as unknown as { __benchMarks?: Marks }).__benchMarks ?? {},
      firstPaint: performance.getEntriesByName('first-paint')[0]?.startTime ?? null,
    }));
    // The observer's instants are exact; if it missed something (a label it could not tie to
    // the field), fall back to when Playwright saw it, a frame or so later.
    if (marks.signin === undefined) log('  (the observer did not see the sign-in field; using the time Playwright saw it)');
    if (marks.list === undefined) log('  (the observer did not see the table; using the time Playwright saw it)');
    const signinMs = marks.signin ?? afterSignin;
    const listMs = marks.list ?? afterList;
    return {
      signinMs,
      listMs,
      firstPaintToSigninMs: firstPaint === null ? Number.NaN : Math.max(0, signinMs - firstPaint),
      errors: errors.errors,
    };
  } finally {
    await context.close();
  }
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'NaN');

async function main(): Promise<void> {
  const dir = build();
  const { jsBytes, cssBytes } = gzipSizes(dir);
  const jsKb = jsBytes / 1024;
  const cssKb = cssBytes / 1024;
  log(`gzipped (level 9): js ${jsBytes} B, css ${cssBytes} B`);

  let herald: DevHerald | undefined;
  let browser: Browser | undefined;
  try {
    herald = await startDevHerald({ HERALD_CONSOLE_DIR: dir });
    log(`herald dev at ${herald.apiUrl}, console at ${herald.consoleUrl}`);
    const key = await seed(herald);
    browser = await launchBrowser();
    log(`Chromium ${browser.version()}, ${RUNS} runs`);
    const runs: Run[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const run = await oneRun(browser, herald, key);
      runs.push(run);
      log(`  run ${i}: sign-in form ${fmt(run.signinMs, 1)} ms, webhook list ${fmt(run.listMs, 1)} ms, first paint → sign-in ${fmt(run.firstPaintToSigninMs, 1)} ms`);
      for (const e of run.errors) log(`  run ${i}: page error: ${e}`);
    }
    const signin = median(runs.map((r) => r.signinMs));
    const list = median(runs.map((r) => r.listMs));
    const paintToSignin = median(runs.map((r) => r.firstPaintToSigninMs));
    const pageErrors = runs.reduce((n, r) => n + r.errors.length, 0);
    console.log(`runs=${RUNS} ttl_webhooks_ms=${fmt(list)} first_paint_to_signin_ms=${fmt(paintToSignin)} page_errors=${pageErrors} chromium=${browser.version()}`);
    console.log(`js_gzip_kb=${fmt(jsKb, 1)} css_gzip_kb=${fmt(cssKb, 1)} signin_render_ms=${fmt(signin)} webhook_list_ms=${fmt(list)}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await herald?.stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err instanceof BenchError ? `failed: ${err.message}` : `failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
