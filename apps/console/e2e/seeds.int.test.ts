/**
 * The three seeds' flows (../shared/seeds/) as their users would click them, in headless
 * Chromium against `herald dev` serving the console's build:
 *
 * - PlanRadar (Italian seed): the operator signs in and opens an account, adds a webhook with
 *   Basic auth and two headers for two projects, sees its log after an event, opens a request's
 *   detail, deletes the webhook.
 * - Puzzel (Norwegian seed): creates "Message 1" with a placeholder and sees the preview, builds
 *   the priority-changed rule, an event is sent, the delivery is in the log.
 * - EventInsight (German seed, in German: the browser's language): switches the demo webhook off
 *   and on, presses Test and reads the response, sees the last 10.
 * - Keyboard: the same screens reached and worked without a mouse.
 *
 * Every screen visited is checked with axe-core (0 serious or critical violations) and saved as a
 * screenshot under .cache/console-screenshots/ (an artifact of the run). The page must log no
 * error (CSP violations included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { catalogs, type Messages } from '../src/i18n/catalogs.ts';
import { eventually, startReceiver } from '../../../test/receiver.ts';
import { checkA11y, expectNoConsoleErrors, launchBrowser, screenshot, startDevHerald, type ConsoleErrors, type DevHerald } from './browser.ts';

type Lang = keyof Messages;
/** A string of the console's catalogs, `{name}` placeholders filled: the tests read what the user reads. */
function T(lang: Lang, key: string, vars: Record<string, string | number> = {}): string {
  const template = catalogs[lang][key] ?? catalogs.en[key];
  if (template === undefined) throw new Error(`no message ${key}`);
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

let herald: DevHerald;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  herald = await startDevHerald();
  browser = await launchBrowser();
  // A receiver of the customer's own, on loopback (herald dev allows loopback targets).
  receiver = await startReceiver((r) => ({ status: 200, body: `accepted ${r.path}`, headers: { 'x-receiver': 'seed-flows' } }));
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await herald?.stop();
});

async function operatorPost<T>(path: string, body: unknown, token = herald.adminToken): Promise<T> {
  const res = await fetch(`${herald.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function apiGet<T>(path: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${herald.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

/** An account with an admin key, made through the API as the operator would. */
async function newAccount(name: string): Promise<{ id: string; key: string }> {
  const account = await operatorPost<{ id: string }>('/v1/accounts', { name });
  const key = await operatorPost<{ key: string }>('/v1/api-keys', { account: account.id, role: 'admin', name: 'seed flow' });
  return { id: account.id, key: key.key };
}

let eventSeq = 0;
async function sendEvent(account: string, type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
  const id = `evt_seed_${Date.now().toString(36)}_${++eventSeq}`;
  await operatorPost('/v1/events', { id, type, account, entity: { type: 'ticket', id: String(1000 + eventSeq) }, action: 'update', occurredAt: new Date().toISOString(), data, ...extra });
  return id;
}

interface Visit {
  page: Page;
  errors: ConsoleErrors;
  context: BrowserContext;
}

async function open(locale = 'en-US'): Promise<Visit> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = expectNoConsoleErrors(page);
  const res = await page.goto(herald.consoleUrl);
  expect(res?.status()).toBe(200);
  return { page, errors, context };
}

/** A screen as the user sees it now: screenshot saved, axe run (0 serious or critical). */
async function visit(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await checkA11y(page, name)).toEqual([]);
}

async function signInWithKey(page: Page, key: string, lang: Lang = 'en'): Promise<void> {
  await page.getByLabel(T(lang, 'signin.apiKey'), { exact: true }).fill(key);
  await page.getByRole('button', { name: T(lang, 'signin.submit') }).click();
  await page.getByRole('navigation', { name: T(lang, 'nav.label') }).waitFor();
}

describe('the seeds’ flows in a real browser', () => {
  it('PlanRadar: the operator adds a webhook with Basic auth and headers for two projects, sees its log and a request’s detail, deletes it', async () => {
    const account = await newAccount('PlanRadar customer');
    const { page, errors, context } = await open();
    await visit(page, 'planradar-01-sign-in');

    // The operator signs in and opens the customer's account.
    await page.getByLabel('I am the operator').check();
    await page.getByLabel('Operator token').fill(herald.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Account', { exact: true }).selectOption(account.id);
    await visit(page, 'planradar-02-choose-account');
    await page.getByRole('button', { name: 'Open account' }).click();
    await page.getByText('No webhooks yet.').waitFor();
    await visit(page, 'planradar-03-webhooks-empty');

    // Add webhook: Details, Authentication (Basic), Headers.
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add webhook' });
    await dialog.getByLabel('Name', { exact: true }).fill('Ticket updates');
    await dialog.getByLabel('Description').fill('Tickets of the two towers to our ERP');
    await dialog.getByLabel('URL', { exact: true }).fill(`${receiver.url}/planradar`);
    await dialog.getByRole('checkbox', { name: /ticket\.created/ }).check();
    await dialog.getByLabel('Only these projects').check();
    await dialog.getByLabel('Projects', { exact: true }).fill('tower-a, tower-b');
    await visit(page, 'planradar-04-add-details');

    await dialog.getByRole('tab', { name: 'Authentication' }).click();
    await dialog.getByLabel('Authentication type').selectOption('basic');
    await dialog.getByLabel('username').fill('erp@planradar-customer.example');
    await dialog.getByLabel('password').fill('Tower-pa55');
    expect(await dialog.getByLabel('password').getAttribute('type')).toBe('password');
    await visit(page, 'planradar-05-add-authentication');

    await dialog.getByRole('tab', { name: 'Headers' }).click();
    await dialog.getByRole('button', { name: 'Add header' }).click();
    await dialog.getByRole('button', { name: 'Add header' }).click();
    await dialog.getByLabel('Header name').nth(0).fill('X-Customer');
    await dialog.getByLabel('Header value').nth(0).fill('acme-construction');
    await dialog.getByLabel('Header name').nth(1).fill('X-Source');
    await dialog.getByLabel('Header value').nth(1).fill('planradar');
    await visit(page, 'planradar-06-add-headers');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const row = page.getByRole('row').filter({ hasText: 'Ticket updates' });
    await expect.poll(() => row.textContent()).toContain('tower-a, tower-b');
    const webhooks = await apiGet<{ data: { id: string; auth: unknown; headers: unknown; projects: string[] }[] }>('/v1/webhooks', account.key);
    expect(webhooks.body.data).toHaveLength(1);
    const webhook = webhooks.body.data[0]!;
    expect(webhook).toMatchObject({ auth: { type: 'basic', username: 'erp@planradar-customer.example', password: '********' }, headers: { 'X-Customer': 'acme-construction', 'X-Source': 'planradar' }, projects: ['tower-a', 'tower-b'] });

    // The product posts events: one of tower-a (delivered), one of another project (not).
    await sendEvent(account.id, 'ticket.created', { ref: 'T-2001', title: 'Crack in wall', project: 'other' }, { project: 'other-project' });
    await sendEvent(account.id, 'ticket.created', { ref: 'T-2002', title: 'Broken window', project: 'tower-a' }, { project: 'tower-a' });
    await eventually(() => receiver.received.some((r) => r.path === '/planradar'), 'the delivery at the receiver');
    const got = receiver.received.filter((r) => r.path === '/planradar');
    expect(got).toHaveLength(1);
    expect(got[0]!.headers.authorization).toBe(`Basic ${Buffer.from('erp@planradar-customer.example:Tower-pa55').toString('base64')}`);
    expect(got[0]!.headers['x-customer']).toBe('acme-construction');
    expect(JSON.parse(got[0]!.body)).toMatchObject({ result: { ref: 'T-2002' } });

    // The list shows the last delivery once it is logged (the screen reads it when opened).
    const menu = page.getByRole('navigation', { name: 'Main menu' });
    await expect
      .poll(async () => {
        await menu.getByRole('link', { name: 'Log' }).click();
        await menu.getByRole('link', { name: 'Webhooks' }).click();
        await page.getByRole('row').filter({ hasText: 'Ticket updates' }).getByText(/Succeeded|Pending|No deliveries yet/).first().waitFor();
        return page.getByRole('row').filter({ hasText: 'Ticket updates' }).textContent();
      }, { timeout: 15_000 })
      .toContain('Succeeded');
    await visit(page, 'planradar-07-webhooks-list');

    // View log → the webhook's deliveries → Show details: the request as sent, the response.
    await page.getByRole('row').filter({ hasText: 'Ticket updates' }).getByRole('link', { name: 'View log' }).click();
    const table = page.getByRole('table', { name: 'Deliveries' });
    await expect.poll(async () => table.getByRole('row').count()).toBe(2);
    await expect.poll(async () => table.textContent()).toContain('Ticket updates');
    await visit(page, 'planradar-08-log');
    await table.getByRole('button', { name: 'Show details' }).click();
    const detail = page.getByRole('dialog');
    await detail.getByRole('heading', { name: /Attempt 1/ }).waitFor();
    const requestHeaders = detail.getByRole('table', { name: 'Request headers of attempt 1' });
    await expect.poll(async () => requestHeaders.textContent()).toContain('x-customer');
    // The log never shows the Basic credentials in clear.
    expect(await detail.textContent()).not.toContain('Tower-pa55');
    expect(await detail.textContent()).not.toContain(Buffer.from('erp@planradar-customer.example:Tower-pa55').toString('base64'));
    expect(await detail.textContent()).toContain('accepted /planradar');
    expect(await detail.textContent()).toContain('T-2002');
    await visit(page, 'planradar-09-delivery-detail');
    await detail.getByRole('button', { name: 'Close' }).first().click();

    // Delete, after a confirmation that says it cannot be undone.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('row').filter({ hasText: 'Ticket updates' }).getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog');
    await expect.poll(async () => confirm.textContent()).toContain('This cannot be undone.');
    await visit(page, 'planradar-10-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No webhooks yet.').waitFor();
    expect((await apiGet(`/v1/webhooks/${webhook.id}`, account.key)).status).toBe(404);

    // Signing out revokes the session key the console made for the operator.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('I am the operator').waitFor();
    const keys = await apiGet<{ data: { name: string; revokedAt: string | null }[] }>(`/v1/api-keys?account=${account.id}`, herald.adminToken);
    expect(keys.body.data.filter((k) => k.name === 'Herald console session' && k.revokedAt === null)).toEqual([]);
    errors.assertNone();
    await context.close();
  });

  it('Puzzel: creates "Message 1" with a placeholder and its preview, builds the priority-changed rule, an event arrives and is in the log', async () => {
    const account = await newAccount('Puzzel customer');
    // "Test Webhook" receives only what event rules send it (no event types of its own).
    const webhook = await operatorPost<{ id: string }>('/v1/webhooks', { name: 'Test Webhook', url: `${receiver.url}/puzzel` }, account.key);
    const { page, errors, context } = await open();
    await signInWithKey(page, account.key);

    // Schemas → Add schema: "Message 1", JSON, a placeholder clicked in, the preview live.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Schemas' }).click();
    await page.getByText(/There is no schema yet/).waitFor();
    await visit(page, 'puzzel-01-schemas-empty');
    await page.getByRole('button', { name: 'Add schema' }).click();
    const editor = page.getByRole('dialog');
    await editor.getByLabel('Name', { exact: true }).fill('Message 1');
    await editor.getByLabel('Content type').selectOption('application/json');
    await editor.getByLabel('Event type').selectOption('ticket.priority_changed');
    const body = editor.getByLabel('Body', { exact: true });
    await body.click();
    await page.keyboard.type('{ "ticket": "');
    await editor.getByRole('button', { name: '{{ticket:ref}}' }).click();
    await page.keyboard.type('", "priority": "');
    await editor.getByRole('button', { name: '{{ticket:priority}}' }).click();
    await page.keyboard.type('" }');
    expect(await body.inputValue()).toBe('{ "ticket": "{{ticket:ref}}", "priority": "{{ticket:priority}}" }');
    const preview = page.getByRole('region', { name: 'Preview' });
    await expect.poll(async () => preview.textContent()).toContain('{ "ticket": "T-1042", "priority": "high" }');
    await visit(page, 'puzzel-02-schema-editor-preview');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.waitFor({ state: 'hidden' });
    await page.getByRole('rowheader', { name: 'Message 1' }).waitFor();
    await visit(page, 'puzzel-03-schemas');

    // Event rules: a group, and the rule "priority changed to high → Message 1 to Test Webhook".
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Event rules' }).click();
    await page.getByText(/There is no rule group yet/).waitFor();
    await visit(page, 'puzzel-04-rules-empty');
    await page.getByRole('button', { name: 'Add rule group' }).click();
    await page.getByRole('dialog').getByLabel('Name', { exact: true }).fill('Ticket events');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    const group = page.getByRole('region', { name: 'Ticket events' });
    await group.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('dialog');
    await rule.getByLabel('Name', { exact: true }).fill('Priority changed');
    await rule.getByLabel('Event type').selectOption('ticket.priority_changed');
    await rule.getByRole('button', { name: 'Add condition' }).click();
    await rule.getByLabel('Field').nth(0).selectOption('type');
    await rule.getByLabel('Operator').nth(0).selectOption('equals');
    await rule.getByLabel('Value').nth(0).fill('ticket.priority_changed');
    await rule.getByRole('button', { name: 'Add condition' }).click();
    await rule.getByLabel('Field').nth(1).selectOption('data.priority');
    await rule.getByLabel('Operator').nth(1).selectOption('equals');
    await rule.getByLabel('Value').nth(1).fill('high');
    await rule.getByRole('button', { name: 'Add action' }).click();
    await rule.getByLabel('Webhook').selectOption(webhook.id);
    await rule.getByLabel('Schema', { exact: true }).selectOption({ label: 'Message 1' });
    await visit(page, 'puzzel-05-rule-editor');
    await rule.getByRole('button', { name: 'Save' }).click();
    await rule.waitFor({ state: 'hidden' });
    await group.getByText('Sends Message 1 to Test Webhook').waitFor();
    await visit(page, 'puzzel-06-rules');

    // The product sends two priority changes: to low (no match) and to high (sent, as Message 1).
    await sendEvent(account.id, 'ticket.priority_changed', { ref: 'T-3001', priority: 'low' });
    await sendEvent(account.id, 'ticket.priority_changed', { ref: 'T-3002', priority: 'high' });
    await eventually(() => receiver.received.some((r) => r.path === '/puzzel'), 'the rule’s delivery at the receiver');
    const got = receiver.received.filter((r) => r.path === '/puzzel');
    expect(got.map((r) => r.body)).toEqual(['{ "ticket": "T-3002", "priority": "high" }']);
    expect(got[0]!.headers['content-type']).toMatch(/^application\/json/);

    // Log: the delivery, succeeded, and its request body as rendered.
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Log' }).click();
    const table = page.getByRole('table', { name: 'Deliveries' });
    await expect.poll(async () => (await table.textContent()) ?? '', { timeout: 15_000 }).toMatch(/Test Webhook[\s\S]*Succeeded/);
    expect(await table.getByRole('row').count()).toBe(2);
    await visit(page, 'puzzel-07-log');
    await table.getByRole('button', { name: 'Show details' }).click();
    const detail = page.getByRole('dialog');
    await detail.getByRole('heading', { name: /Attempt 1/ }).waitFor();
    await expect.poll(async () => detail.textContent()).toContain('"ticket": "T-3002"');
    await visit(page, 'puzzel-08-delivery-detail');
    errors.assertNone();
    await context.close();
  });

  it('EventInsight, in German: switches the webhook off and on, presses Test and reads the response, sees the last 10', async () => {
    const { account, apiKey, webhooks } = herald.demo;
    const webhookId = webhooks[0]!;
    const { page, errors, context } = await open('de-DE');
    // The browser's language picks the console's: German.
    await page.getByRole('heading', { name: T('de', 'signin.title') }).waitFor();
    await signInWithKey(page, apiKey, 'de');
    const name = 'Demo receiver';
    const sw = page.getByRole('switch', { name: T('de', 'webhooks.activeFor', { name }) });
    await expect.poll(() => sw.getAttribute('aria-checked')).toBe('true');
    await visit(page, 'eventinsight-01-webhooks-de');

    // "Is active" off, then on again: the API says so each time.
    const active = async () => (await apiGet<{ active: boolean }>(`/v1/webhooks/${webhookId}`, apiKey)).body.active;
    await sw.click();
    await expect.poll(() => sw.getAttribute('aria-checked')).toBe('false');
    await expect.poll(active).toBe(false);
    await visit(page, 'eventinsight-02-webhook-off-de');
    await sw.click();
    await expect.poll(() => sw.getAttribute('aria-checked')).toBe('true');
    await expect.poll(active).toBe(true);

    // Test: the request sent and the demo receiver's answer, in the dialog.
    const row = page.getByRole('row').filter({ hasText: name });
    await row.getByRole('button', { name: T('de', 'webhooks.test'), exact: true }).click();
    const result = page.getByRole('dialog', { name: T('de', 'webhooks.test.title') });
    await expect.poll(async () => result.textContent(), { timeout: 15_000 }).toContain('{"received":true}');
    expect(await result.textContent()).toContain(`POST ${herald.receiverUrl}/hooks`);
    expect(await result.textContent()).toContain(T('de', 'webhooks.status.succeeded'));
    await visit(page, 'eventinsight-03-test-result-de');
    await result.getByRole('button', { name: T('de', 'common.close') }).first().click();

    // Events from the product, then the last 10 of the webhook.
    for (let i = 0; i < 11; i++) await sendEvent(account, 'ticket.created', { ref: `T-40${String(i).padStart(2, '0')}`, title: `Event ${i}` });
    await eventually(async () => {
      const log = await apiGet<{ data: { status: string }[] }>(`/v1/webhooks/${webhookId}/deliveries?limit=20`, apiKey);
      return log.body.data.filter((d) => d.status === 'succeeded').length >= 12;
    }, 'the 11 deliveries and the test logged as succeeded');
    await row.getByRole('link', { name: T('de', 'webhooks.last10') }).click();
    const title = T('de', 'log.lastTitle', { webhook: name });
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    const table = page.getByRole('table', { name: title });
    await expect.poll(async () => table.getByRole('row').count()).toBe(11);
    // Dates in German: 07.12.2026, 10:55:27.
    expect(await table.textContent()).toMatch(/\d{2}\.\d{2}\.\d{4}/);
    expect(await page.getByRole('button', { name: T('de', 'common.next') }).count()).toBe(0);
    await visit(page, 'eventinsight-04-last-10-de');
    errors.assertNone();
    await context.close();
  });

  it('the other screens: the signing secret (revealed for an admin), a read key’s view, an account whose plan is off', async () => {
    const account = await newAccount('Other screens');
    await operatorPost('/v1/webhooks', { name: 'Signed', url: `${receiver.url}/other` }, account.key);
    const readKey = (await operatorPost<{ key: string }>('/v1/api-keys', { account: account.id, role: 'read', name: 'viewer' })).key;

    // Edit → Signing secret: masked, then revealed for an admin.
    let v = await open();
    await signInWithKey(v.page, account.key);
    await v.page.getByRole('row').filter({ hasText: 'Signed' }).getByRole('button', { name: 'Edit' }).click();
    const dialog = v.page.getByRole('dialog', { name: /Edit webhook/ });
    await dialog.getByRole('tab', { name: 'Signing secret' }).click();
    const current = dialog.getByLabel('Current secret');
    expect(await current.inputValue()).toBe('whsec_********');
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await expect.poll(() => current.inputValue()).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    await visit(v.page, 'other-01-signing-secret');
    v.errors.assertNone();
    await v.context.close();

    // A read key: everything visible, the buttons disabled with the reason.
    v = await open();
    await signInWithKey(v.page, readKey);
    await v.page.getByText('Your API key has the read role: you can look at everything but change nothing.').waitFor();
    const add = v.page.getByRole('button', { name: 'Add webhook' });
    expect(await add.isDisabled()).toBe(true);
    expect(await add.getAttribute('title')).toBe('Needs an admin key');
    await visit(v.page, 'other-02-read-key');
    v.errors.assertNone();
    await v.context.close();

    // The plan switch off: a clear message instead of errors.
    const res = await fetch(`${herald.apiUrl}/v1/accounts/${account.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${herald.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ webhooksEnabled: false }) });
    expect(res.status).toBe(200);
    v = await open();
    await signInWithKey(v.page, account.key);
    await v.page.getByText('Webhooks are not part of this account’s plan. Ask the product’s operator to turn them on.').waitFor();
    await visit(v.page, 'other-03-plan-off');
    v.errors.assertNone();
    await v.context.close();
  });

  it('works by keyboard alone: sign in, the menu, a dialog opened, its tabs, closed with Escape', async () => {
    const { apiKey } = herald.demo;
    const { page, errors, context } = await open();
    const focused = () => page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const label = el.getAttribute('aria-label') || (el as HTMLInputElement).labels?.[0]?.textContent || el.textContent || '';
      return `${el.tagName.toLowerCase()}:${label.trim()}`;
    });
    /** Presses Tab until the focus is on `target` (at most `max` times); the path taken is returned. */
    const tabTo = async (target: RegExp, max = 40): Promise<string[]> => {
      const path: string[] = [];
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const now = await focused();
        path.push(now);
        if (target.test(now)) return path;
      }
      throw new Error(`Tab never reached ${target}; the focus went through: ${path.join(' → ')}`);
    };
    await page.getByLabel('API key', { exact: true }).waitFor();
    await tabTo(/^input:API key$/);
    await page.keyboard.type(apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor();

    // The menu, the language picker, sign out and the list's controls are all on the Tab path.
    const path = await tabTo(/^button:Delete$/, 60);
    for (const stop of [/^a:Schemas$/, /^a:Event rules$/, /^a:Log$/, /^select:Language/, /^button:Sign out$/, /^button:Add webhook$/, /^button:Active: Demo receiver$/, /^a:View log$/, /^a:Last 10$/, /^button:Test$/, /^button:Edit$/]) {
      expect(path.some((p) => stop.test(p)), `${stop} on the Tab path ${path.join(' → ')}`).toBe(true);
    }

    // A menu link followed with Enter.
    await page.getByRole('link', { name: 'Schemas' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Add schema' }).waitFor();
    await page.getByRole('link', { name: 'Webhooks' }).focus();
    await page.keyboard.press('Enter');

    // Add webhook with the keyboard: the dialog takes the focus and keeps it; tabs by arrow keys.
    await page.getByRole('button', { name: 'Add webhook' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add webhook' });
    await dialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true);
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]')), 'the focus stays in the dialog').toBe(true);
    }
    await dialog.getByRole('tab', { name: 'Details' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('button:Authentication');
    expect(await dialog.getByRole('tab', { name: 'Authentication' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused()).toBe('button:Add webhook');
    errors.assertNone();
    await context.close();
  });
});
