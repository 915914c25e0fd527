/**
 * Real-browser test helpers for the console: headless Chromium (playwright-core, with the
 * system's Chromium from scripts/chromium.sh), `herald dev` in this process serving a console
 * folder, axe-core accessibility checks, screenshots and a console-error collector.
 *
 * Used by apps/console/e2e/*.int.test.ts and bench/console.ts. Test-only code: it imports
 * `herald dev` by a relative path because @herald/console cannot depend on `herald` (which
 * depends on it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type LaunchOptions, type Page } from 'playwright-core';
import { devEnvSchema, startEmbedded } from '../../herald/src/dev.ts';

// For callers outside apps/console (bench/console.ts), which cannot resolve playwright-core.
export type { Browser, BrowserContext, Page } from 'playwright-core';

/** The monorepo's root (this file is apps/console/e2e/browser.ts). */
export const repoRoot: string = fileURLToPath(new URL('../../../', import.meta.url));
/** The console's build output, what `herald dev` serves by default. */
export const consoleDist: string = join(repoRoot, 'apps', 'console', 'dist');
export const screenshotDir: string = join(repoRoot, '.cache', 'console-screenshots');

let chromiumPath: string | undefined;

/**
 * The Chromium to drive: $HERALD_CHROMIUM, else what scripts/chromium.sh prints (it installs
 * Debian's package when none is there).
 */
export function chromiumExecutable(): string {
  if (chromiumPath) return chromiumPath;
  const fromEnv = process.env.HERALD_CHROMIUM?.trim();
  if (fromEnv) return (chromiumPath = fromEnv);
  let out: string;
  try {
    out = execFileSync('bash', [join(repoRoot, 'scripts', 'chromium.sh')], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch (err) {
    throw new Error(`no Chromium: scripts/chromium.sh failed (${(err as Error).message}); set HERALD_CHROMIUM to a Chromium executable`);
  }
  const path = out.trim().split('\n').pop()?.trim();
  if (!path) throw new Error('no Chromium: scripts/chromium.sh printed no path; set HERALD_CHROMIUM to a Chromium executable');
  return (chromiumPath = path);
}

/**
 * Chromium's flags: `--no-sandbox` because the tests run as root in containers, where the
 * sandbox cannot start; the rest keep Chromium from reaching out on its own (component updates,
 * sync, background requests to Google's hosts): a test machine may have no network beyond
 * loopback, and no test sends a packet beyond it.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

/** Headless Chromium with CHROMIUM_ARGS (and `options.args` after them). */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ ...options, executablePath: chromiumExecutable(), headless: true, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
}

export interface DevHerald {
  /** The API's base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  apiUrl: string;
  /** Where the console is served: `${apiUrl}/console/`. */
  consoleUrl: string;
  /** The operator token. */
  adminToken: string;
  /** The demo receiver's base URL. */
  receiverUrl: string;
  /** The seeded demo account, its admin key (minted at this start) and its webhooks' ids. */
  demo: { account: string; apiKey: string; webhooks: string[] };
  stop(): Promise<void>;
}

/**
 * `herald dev` (embedded mode: in-memory store and bus) in this process, on a free port, with the
 * demo receiver on a free port. It serves HERALD_CONSOLE_DIR (default apps/console/dist, the
 * console's build) at /console/. `extraEnv` adds or overrides `herald dev` settings.
 */
export async function startDevHerald(extraEnv: Record<string, string> = {}): Promise<DevHerald> {
  const env = devEnvSchema.parse({
    PORT: '0',
    HERALD_DEV_RECEIVER_PORT: '0',
    HERALD_CONSOLE_DIR: consoleDist,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const herald = await startEmbedded(env, { memory: true });
  if (!herald.receiverUrl || !herald.demo) {
    await herald.stop();
    throw new Error('herald dev started without its demo receiver or demo account (HERALD_DEV_RECEIVER_PORT=-1, or a HERALD_SEED_FILE without accounts?)');
  }
  return {
    apiUrl: herald.apiUrl,
    consoleUrl: `${herald.apiUrl}/console/`,
    adminToken: herald.adminToken,
    receiverUrl: herald.receiverUrl,
    demo: herald.demo,
    stop: () => herald.stop(),
  };
}

let axeSource: string | undefined;
function axeScript(): string {
  if (axeSource === undefined) {
    const require = createRequire(import.meta.url);
    axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSource;
}

/** What checkA11y reads back from axe (a subset of axe's result). */
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations, one
 * readable line each: `<screen>: <rule id> (<impact>): <help> [<helpUrl>] at <selectors>`.
 * An empty array means none.
 *
 * axe is injected with `page.evaluate(source)`, not `page.addScriptTag`: the console's
 * Content-Security-Policy (`script-src 'self'`) blocks inline script elements (and would log a
 * CSP violation), whereas Playwright's evaluate runs through the DevTools protocol, which CSP
 * does not govern. So the page's CSP stays in force for the page itself.
 */
export async function checkA11y(page: Page, screenName: string): Promise<string[]> {
  const present = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!present) await page.evaluate(axeScript());
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    // Only plain data crosses back to Node.
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => {
      const targets = v.nodes.map((n) => n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : String(t))).join(' ')).join(', ');
      return `${screenName}: ${v.id} (${v.impact}): ${v.help} [${v.helpUrl}] at ${targets}`;
    });
}

/** A full-page PNG at <repo>/.cache/console-screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'screenshot';
  const path = join(screenshotDir, `${safe}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface ConsoleErrors {
  /** Every error so far, in order: console errors (CSP violations and failed loads among them) and uncaught exceptions. */
  readonly errors: readonly string[];
  /** Throws, listing them, if any error not matching `allow` was collected. */
  assertNone(allow?: readonly RegExp[]): void;
}

/**
 * Starts collecting the page's errors: `console.error` messages (Chromium reports CSP violations
 * and failed resource loads this way) and uncaught exceptions (`pageerror`). Call it before
 * navigating, and `assertNone()` at the end of the test.
 */
export function expectNoConsoleErrors(page: Page): ConsoleErrors {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    errors.push(`console.error: ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (err: Error) => {
    errors.push(`uncaught: ${err.name}: ${err.message}`);
  });
  return {
    errors,
    assertNone(allow: readonly RegExp[] = []) {
      const unexpected = errors.filter((e) => !allow.some((re) => re.test(e)));
      if (unexpected.length > 0) {
        throw new Error(`the page reported ${unexpected.length} error(s):\n  ${unexpected.join('\n  ')}`);
      }
    },
  };
}
