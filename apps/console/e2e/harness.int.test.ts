/**
 * The real-browser harness itself (e2e/browser.ts), on a tiny console folder rather than the
 * console's build: headless Chromium loads `herald dev`'s /console/, the console's
 * Content-Security-Policy is in force (the page's own script file runs, an inline script does
 * not), /console redirects to /console/, axe finds nothing serious, and a screenshot is saved.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkA11y, expectNoConsoleErrors, launchBrowser, screenshot, startDevHerald, type DevHerald } from './browser.ts';

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Harness console</title>
    <link rel="icon" href="data:,">
    <script src="app.js"></script>
  </head>
  <body>
    <main>
      <h1>Harness console</h1>
      <p id="inline-status">The inline script did not run.</p>
    </main>
    <script>document.getElementById('inline-status').textContent = 'The inline script ran.'; window.inlineRan = true;</script>
  </body>
</html>
`;
const APP_JS = `document.title = 'Harness console (app.js ran)';\nwindow.appRan = true;\n`;
// Chromium's wording has changed over versions ("Refused to execute inline script because it violates …").
const INLINE_REFUSED = /(?:Refused to execute|Executing) inline script (?:because it )?violates the following Content Security Policy directive 'script-src 'self''/;

let dir: string;
let herald: DevHerald;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herald-console-harness-'));
  await writeFile(join(dir, 'index.html'), INDEX_HTML);
  await writeFile(join(dir, 'app.js'), APP_JS);
  herald = await startDevHerald({ HERALD_CONSOLE_DIR: dir });
  browser = await launchBrowser();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await herald?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the console in a real browser (harness)', () => {
  it('serves the console under its CSP: own scripts run, inline ones do not; accessible; screenshot', async () => {
    context = await browser.newContext();
    page = await context.newPage();
    const errors = expectNoConsoleErrors(page);

    const response = await page.goto(herald.consoleUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(herald.consoleUrl);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect(page.getByRole('heading', { level: 1, name: 'Harness console' }).isVisible()).resolves.toBe(true);

    // The same-origin script file ran …
    expect(await page.title()).toBe('Harness console (app.js ran)');
    expect(await page.evaluate(() => (globalThis as { appRan?: boolean }).appRan)).toBe(true);
    // … the inline one did not, and Chromium reported the CSP violation as a console error.
    expect(await page.evaluate(() => (globalThis as { inlineRan?: boolean }).inlineRan)).toBeUndefined();
    expect(await page.locator('#inline-status').textContent()).toBe('The inline script did not run.');
    expect(errors.errors.some((e) => INLINE_REFUSED.test(e))).toBe(true);

    // axe runs despite the CSP (injected through the DevTools protocol) and finds nothing serious.
    expect(await checkA11y(page, 'harness')).toEqual([]);
    // Injecting axe logged no CSP violation of its own: the inline script is the only error.
    errors.assertNone([INLINE_REFUSED]);
    expect(errors.errors).toHaveLength(1);

    const png = await screenshot(page, 'harness');
    expect(existsSync(png)).toBe(true);
    expect(statSync(png).size).toBeGreaterThan(1000);
  });

  it('redirects /console to /console/', async () => {
    const res = await fetch(`${herald.apiUrl}/console`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/console/');

    const p = await context.newPage();
    const errors = expectNoConsoleErrors(p);
    const response = await p.goto(`${herald.apiUrl}/console`);
    expect(response?.status()).toBe(200);
    expect(p.url()).toBe(herald.consoleUrl);
    expect(await p.title()).toBe('Harness console (app.js ran)');
    errors.assertNone([INLINE_REFUSED]);
    await p.close();
  });

  it('reports what axe finds serious, readably', async () => {
    // A page with an unlabelled text field and an image without alt text.
    const p = await context.newPage();
    await p.goto(herald.consoleUrl);
    await p.evaluate(() => {
      const main = document.querySelector('main')!;
      const input = document.createElement('input');
      input.id = 'unlabelled';
      main.append(input);
    });
    const violations = await checkA11y(p, 'broken');
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^broken: label \(critical\): Form elements must have labels \[https:\/\/\S+\] at #unlabelled$/);
    await p.close();
  });
});
