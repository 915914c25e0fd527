import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import axe from 'axe-core';
import { call } from '../api.ts';
import { renderSignedIn, testAccount, type TestAccount } from '../testing.tsx';
import { WebhooksScreen } from './Webhooks.tsx';

/** A receiver on 127.0.0.1 (the only target the test API's Test sender allows), recording what it got. */
let receiver: Server;
let receiverUrl: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const eventType = `console-wh.${Date.now().toString(36)}.created`;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/html', 'x-receiver': 'console-test' });
      res.end('<script>alert(1)</script>');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const { operator } = await testAccount('Webhooks catalog');
  await call(
    operator.POST('/v1/event-types', {
      body: { name: eventType, description: 'A thing was created.', schema: { type: 'object', properties: { id: { type: 'string' } } }, example: { id: 'T-1' } },
    }),
  );
});

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

async function webhookOf(t: TestAccount, name: string, extra: Record<string, unknown> = {}) {
  return call(t.admin.POST('/v1/webhooks', { body: { name, url: 'https://example.com/hook', ...extra } }));
}

async function openAdd() {
  await userEvent.click(await screen.findByRole('button', { name: 'Add webhook' }));
  const dialog = await screen.findByRole('dialog', { name: 'Add webhook' });
  await within(dialog).findByLabelText('Name');
  return dialog;
}

describe('Webhooks screen', () => {
  it('shows the empty state, then creates a webhook with Basic auth, two headers and two projects', async () => {
    const t = await testAccount();
    renderSignedIn(<WebhooksScreen />, t);
    expect(await screen.findByText('No webhooks yet.')).toBeTruthy();
    const dialog = await openAdd();
    const d = within(dialog);
    await userEvent.type(d.getByLabelText('Name'), 'ERP sync');
    await userEvent.type(d.getByLabelText('Description'), 'Tickets to the ERP');
    await userEvent.type(d.getByLabelText('URL'), 'https://erp.example.com/hooks');
    await userEvent.selectOptions(d.getByLabelText('Method'), 'PUT');
    await userEvent.click(d.getByRole('checkbox', { name: new RegExp(eventType.replace(/\./g, '\\.')) }));
    await userEvent.click(d.getByLabelText('Only these projects'));
    await userEvent.type(d.getByLabelText('Projects'), 'prj_a, prj_b');
    await userEvent.clear(d.getByLabelText('De-duplication window (seconds)'));
    await userEvent.type(d.getByLabelText('De-duplication window (seconds)'), '30');
    await userEvent.type(d.getByLabelText('Retry schedule (seconds)'), '5, 60, 600');

    await userEvent.click(d.getByRole('tab', { name: 'Authentication' }));
    await userEvent.selectOptions(d.getByLabelText('Authentication type'), d.getByRole('option', { name: /basic/ }));
    await userEvent.type(d.getByLabelText('username'), 'herald@example.com');
    const password = d.getByLabelText('password') as HTMLInputElement;
    expect(password.type).toBe('password');
    await userEvent.type(password, 'pa55-Word');

    await userEvent.click(d.getByRole('tab', { name: 'Headers' }));
    await userEvent.click(d.getByRole('button', { name: 'Add header' }));
    await userEvent.click(d.getByRole('button', { name: 'Add header' }));
    const names = d.getAllByLabelText('Header name');
    const values = d.getAllByLabelText('Header value');
    await userEvent.type(names[0]!, 'X-Source');
    await userEvent.type(values[0]!, 'herald');
    await userEvent.type(names[1]!, 'X-Tenant');
    await userEvent.type(values[1]!, 'acme');

    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const row = (await screen.findByText('ERP sync')).closest('tr')!;
    expect(within(row).getByText('https://erp.example.com/hooks')).toBeTruthy();
    expect(within(row).getByText('prj_a, prj_b')).toBeTruthy();
    expect(within(row).getByText(eventType)).toBeTruthy();
    expect(await within(row).findByText('No deliveries yet')).toBeTruthy();

    const list = await call(t.admin.GET('/v1/webhooks'));
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({
      name: 'ERP sync',
      description: 'Tickets to the ERP',
      url: 'https://erp.example.com/hooks',
      method: 'PUT',
      active: true,
      eventTypes: [eventType],
      projects: ['prj_a', 'prj_b'],
      auth: { type: 'basic', username: 'herald@example.com', password: '********' },
      headers: { 'X-Source': 'herald', 'X-Tenant': 'acme' },
      dedupWindowSeconds: 30,
      retry: { schedule: [5, 60, 600] },
    });
  });

  it('puts the API’s 400 beside the URL field and marks the Details tab', async () => {
    const t = await testAccount();
    renderSignedIn(<WebhooksScreen />, t);
    const d = within(await openAdd());
    await userEvent.type(d.getByLabelText('Name'), 'Bad URL');
    await userEvent.type(d.getByLabelText('URL'), 'ftp://x');
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(d.getByLabelText('URL').getAttribute('aria-invalid')).toBe('true'));
    const url = d.getByLabelText('URL');
    const errorId = url.getAttribute('aria-describedby')!.split(' ').find((id) => id.endsWith('-error'))!;
    expect(document.getElementById(errorId)!.textContent).not.toBe('');
    expect(d.getByRole('tab', { name: /Details/ }).className).toContain('tab-invalid');
    expect(d.getByRole('alert').textContent).toContain('/url');
    expect((await call(t.admin.GET('/v1/webhooks'))).data).toHaveLength(0);
  });

  it('turns a webhook off with the Active switch (PATCH active)', async () => {
    const t = await testAccount();
    const w = await webhookOf(t, 'Switch me');
    renderSignedIn(<WebhooksScreen />, t);
    const sw = await screen.findByRole('switch', { name: 'Active: Switch me' });
    expect(sw.getAttribute('aria-checked')).toBe('true');
    await userEvent.click(sw);
    await waitFor(async () => expect((await call(t.admin.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } } }))).active).toBe(false));
    await waitFor(() => expect(screen.getByRole('switch', { name: 'Active: Switch me' }).getAttribute('aria-checked')).toBe('false'));
    expect(within(screen.getByText('Switch me').closest('tr')!).getByText('Off')).toBeTruthy();
  });

  it('asks before deleting, naming the webhook, then removes it', async () => {
    const t = await testAccount();
    const w = await webhookOf(t, 'Doomed');
    await webhookOf(t, 'Survivor');
    renderSignedIn(<WebhooksScreen />, t);
    const row = (await screen.findByText('Doomed')).closest('tr')!;
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    const confirm = await screen.findByRole('dialog');
    expect(confirm.textContent).toContain('Doomed');
    expect(within(confirm).getByText('This cannot be undone.')).toBeTruthy();
    await userEvent.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByText('Doomed')).toBeNull());
    expect(screen.getByText('Survivor')).toBeTruthy();
    const gone = await t.admin.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } } });
    expect(gone.response.status).toBe(404);
  });

  it('gives a read key disabled buttons and switch, with the reason', async () => {
    const t = await testAccount();
    await webhookOf(t, 'Look only');
    renderSignedIn(<WebhooksScreen />, t, { role: 'read' });
    const row = (await screen.findByText('Look only')).closest('tr')!;
    for (const name of ['Add webhook']) {
      const b = screen.getByRole('button', { name }) as HTMLButtonElement;
      expect(b.disabled).toBe(true);
      expect(b.title).toBe('Needs an admin key');
    }
    for (const name of ['Test', 'Edit', 'Delete']) {
      const b = within(row).getByRole('button', { name }) as HTMLButtonElement;
      expect(b.disabled).toBe(true);
      expect(b.title).toBe('Needs an admin key');
      const described = b.getAttribute('aria-describedby')!;
      expect(document.getElementById(described)!.textContent).toBe('Needs an admin key');
    }
    const sw = within(row).getByRole('switch', { name: 'Active: Look only' }) as HTMLButtonElement;
    expect(sw.disabled).toBe(true);
    expect(document.getElementById(sw.getAttribute('aria-describedby')!)!.textContent).toBe('Needs an admin key');
    // The links to the log stay for everyone.
    expect(within(row).getByRole('link', { name: 'View log' }).getAttribute('href')).toMatch(/^#\/log\?webhookId=wh_/);
    expect(within(row).getByRole('link', { name: 'Last 10' }).getAttribute('href')).toMatch(/^#\/log\?webhookId=wh_[0-9A-Z]+&last=10$/);
  });

  it('Test shows the request sent and the response received, as text', async () => {
    const t = await testAccount();
    await webhookOf(t, 'Local receiver', { url: receiverUrl, eventTypes: [eventType], headers: { 'X-Source': 'console' } });
    renderSignedIn(<WebhooksScreen />, t);
    const row = (await screen.findByText('Local receiver')).closest('tr')!;
    await userEvent.click(within(row).getByRole('button', { name: 'Test' }));
    const dialog = await screen.findByRole('dialog', { name: 'Test result' });
    const d = within(dialog);
    expect(await d.findByText('<script>alert(1)</script>')).toBeTruthy();
    expect(d.getByText('<script>alert(1)</script>').tagName).toBe('PRE');
    expect(document.querySelector('script')).toBeNull();
    expect(d.getByText(`POST ${receiverUrl}`)).toBeTruthy();
    expect(dialog.textContent).toContain('x-source: console');
    expect(dialog.textContent).toContain('x-receiver: console-test');
    expect(d.getByText('Succeeded')).toBeTruthy();
    expect(d.getByText('200')).toBeTruthy();
    expect(dialog.textContent).toContain('"action_type":"test"');
    await userEvent.click(d.getAllByRole('button', { name: 'Close' })[0]!);
    // The list's last delivery is the test now.
    expect(await within(row).findByText('Succeeded')).toBeTruthy();
  });

  it('does not show a secret back, and keeps it when the webhook is edited', async () => {
    const t = await testAccount();
    const secret = 'Very-s3cret-pw';
    const w = await webhookOf(t, 'Keeps secrets', { url: receiverUrl, auth: { type: 'basic', username: 'bob', password: secret } });
    renderSignedIn(<WebhooksScreen />, t);
    const row = (await screen.findByText('Keeps secrets')).closest('tr')!;
    await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: /Edit webhook/ });
    const d = within(dialog);
    await d.findByLabelText('Name');
    await userEvent.click(d.getByRole('tab', { name: 'Authentication' }));
    expect((d.getByLabelText('username') as HTMLInputElement).value).toBe('bob');
    const pw = d.getByLabelText('password') as HTMLInputElement;
    expect(pw.value).toBe('');
    expect(dialog.textContent).toContain('Leave empty to keep the current value.');
    expect(document.body.innerHTML).not.toContain(secret);
    // The signing secret tab shows it masked.
    await userEvent.click(d.getByRole('tab', { name: 'Signing secret' }));
    expect((d.getByLabelText('Current secret') as HTMLInputElement).value).toBe('whsec_********');
    // Rename and save: the authentication is left out of the PATCH, so the password stays.
    await userEvent.click(d.getByRole('tab', { name: 'Details' }));
    await userEvent.clear(d.getByLabelText('Name'));
    await userEvent.type(d.getByLabelText('Name'), 'Kept secrets');
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Kept secrets')).toBeTruthy();
    received.length = 0;
    await call(t.admin.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId: w.id } }, body: {} }));
    expect(received.at(-1)!.headers.authorization).toBe(`Basic ${btoa(`bob:${secret}`)}`);
  });

  it('marks a header secret beside Basic auth: shown as set, kept on edit, replaced when typed, refused beside the row', async () => {
    const t = await testAccount();
    const vault = 'Vault-t0ken-value';
    const w = await webhookOf(t, 'Secret header', {
      url: receiverUrl, auth: { type: 'basic', username: 'bob', password: 'pw-1' }, headers: { 'X-Source': 'console' }, secretHeaders: { 'X-Vault-Token': vault },
    });
    const delivered = async () => {
      received.length = 0;
      await call(t.admin.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId: w.id } }, body: {} }));
      return received.at(-1)!.headers;
    };
    renderSignedIn(<WebhooksScreen />, t);
    const openEdit = async (name: string) => {
      const row = (await screen.findByText(name)).closest('tr')!;
      await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
      const dialog = await screen.findByRole('dialog', { name: /Edit webhook/ });
      await within(dialog).findByLabelText('Name');
      await userEvent.click(within(dialog).getByRole('tab', { name: 'Headers' }));
      return dialog;
    };

    let dialog = await openEdit('Secret header');
    let d = within(dialog);
    const secret = d.getAllByRole('checkbox', { name: 'Secret' }) as HTMLInputElement[];
    expect(secret.map((c) => c.checked)).toEqual([false, true]);
    const values = d.getAllByLabelText('Header value') as HTMLInputElement[];
    expect(values.map((v) => [v.value, v.type])).toEqual([['console', 'text'], ['', 'password']]);
    expect(dialog.textContent).toContain('Set (not shown). Leave it empty to keep it; type a new value to replace it.');
    expect(document.body.innerHTML).not.toContain(vault);
    // Saved with another name only: the secret header is kept without being sent.
    await userEvent.click(d.getByRole('tab', { name: 'Details' }));
    await userEvent.clear(d.getByLabelText('Name'));
    await userEvent.type(d.getByLabelText('Name'), 'Secret header 2');
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    let got = await delivered();
    expect(got['x-vault-token']).toBe(vault);
    expect(got.authorization).toBe(`Basic ${btoa('bob:pw-1')}`);

    // Replaced by typing a value; a new row made secret.
    dialog = await openEdit('Secret header 2');
    d = within(dialog);
    await userEvent.type(d.getAllByLabelText('Header value')[1]!, 'rotated-value');
    await userEvent.click(d.getByRole('button', { name: 'Add header' }));
    await userEvent.type(d.getAllByLabelText('Header name')[2]!, 'X-Api-Secret');
    await userEvent.type(d.getAllByLabelText('Header value')[2]!, 'api-secret-value');
    await userEvent.click(d.getAllByRole('checkbox', { name: 'Secret' })[2]!);
    expect((d.getAllByLabelText('Header value')[2] as HTMLInputElement).type).toBe('password');
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const stored = await call(t.admin.GET('/v1/webhooks/{webhookId}', { params: { path: { webhookId: w.id } } }));
    expect(stored.headers).toEqual({ 'X-Source': 'console' });
    expect(stored.secretHeaders).toEqual({ 'X-Vault-Token': '********', 'X-Api-Secret': '********' });
    got = await delivered();
    expect([got['x-vault-token'], got['x-api-secret'], got['x-source']]).toEqual(['rotated-value', 'api-secret-value', 'console']);

    // A secret header the Basic authentication sets: the API's 400, beside the row, on the Headers tab.
    dialog = await openEdit('Secret header 2');
    d = within(dialog);
    await userEvent.click(d.getByRole('button', { name: 'Add header' }));
    await userEvent.type(d.getAllByLabelText('Header name')[3]!, 'Authorization');
    await userEvent.type(d.getAllByLabelText('Header value')[3]!, 'Token x');
    await userEvent.click(d.getAllByRole('checkbox', { name: 'Secret' })[3]!);
    await userEvent.click(d.getByRole('tab', { name: 'Details' }));
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    const value = (await d.findAllByLabelText('Header value'))[3]!;
    await waitFor(() => expect(value.getAttribute('aria-invalid')).toBe('true'));
    expect(dialog.textContent).toContain('is set by the basic authentication (auth), which would replace it');
    expect(d.getByRole('tab', { name: /Headers/ }).className).toContain('tab-invalid');
  });

  it('asks for the secret again when the authentication changes', async () => {
    const t = await testAccount();
    await webhookOf(t, 'Change user', { auth: { type: 'basic', username: 'bob', password: 'pw-1' } });
    renderSignedIn(<WebhooksScreen />, t);
    const row = (await screen.findByText('Change user')).closest('tr')!;
    await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    const d = within(await screen.findByRole('dialog', { name: /Edit webhook/ }));
    await d.findByLabelText('Name');
    await userEvent.click(d.getByRole('tab', { name: 'Authentication' }));
    await userEvent.clear(d.getByLabelText('username'));
    await userEvent.type(d.getByLabelText('username'), 'alice');
    await userEvent.click(d.getByRole('tab', { name: 'Details' }));
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    // Back on the tab with the problem, beside the password.
    const pw = await d.findByLabelText('password');
    expect(pw.getAttribute('aria-invalid')).toBe('true');
    expect(d.getByRole('tab', { name: /Authentication/ }).className).toContain('tab-invalid');
    await userEvent.type(pw, 'pw-2');
    await userEvent.click(d.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const list = await call(t.admin.GET('/v1/webhooks'));
    expect(list.data[0]!.auth).toEqual({ type: 'basic', username: 'alice', password: '********' });
  });

  it('reveals and rotates the signing secret', async () => {
    const t = await testAccount();
    const w = await webhookOf(t, 'Signed');
    const { secret } = await call(t.admin.GET('/v1/webhooks/{webhookId}/secret', { params: { path: { webhookId: w.id } } }));
    renderSignedIn(<WebhooksScreen />, t);
    const row = (await screen.findByText('Signed')).closest('tr')!;
    await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    const d = within(await screen.findByRole('dialog', { name: /Edit webhook/ }));
    await userEvent.click(await d.findByRole('tab', { name: 'Signing secret' }));
    await userEvent.click(d.getByRole('button', { name: 'Reveal' }));
    await waitFor(() => expect((d.getByLabelText('Current secret') as HTMLInputElement).value).toBe(secret));
    await userEvent.click(d.getByRole('button', { name: 'Rotate' }));
    expect(await d.findByText(/the old one also signs deliveries until/)).toBeTruthy();
    const now = await call(t.admin.GET('/v1/webhooks/{webhookId}/secret', { params: { path: { webhookId: w.id } } }));
    expect(now.secret).not.toBe(secret);
    expect((d.getByLabelText('Current secret') as HTMLInputElement).value).toBe(now.secret);
  });

  it('has no axe violations in the list and in each tab of the edit dialog', async () => {
    const t = await testAccount();
    await webhookOf(t, 'Accessible', { eventTypes: [eventType], auth: { type: 'headers', headers: { 'X-Api-Key': 'k-1' } }, headers: { 'X-Source': 'herald' }, secretHeaders: { 'X-Vault': 'v-1' } });
    renderSignedIn(<WebhooksScreen />, t);
    const row = (await screen.findByText('Accessible')).closest('tr')!;
    await within(row).findByText('No deliveries yet');
    const check = async () => {
      const r = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } });
      expect(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).toEqual([]);
    };
    await check();
    await userEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    const d = within(await screen.findByRole('dialog', { name: /Edit webhook/ }));
    await d.findByLabelText('Name');
    for (const tab of ['Details', 'Authentication', 'Headers', 'Signing secret']) {
      await userEvent.click(d.getByRole('tab', { name: tab }));
      await check();
    }
    // The headers plugin's values are secrets: names shown, values not.
    await userEvent.click(d.getByRole('tab', { name: 'Authentication' }));
    expect((d.getByLabelText('Header name') as HTMLInputElement).value).toBe('X-Api-Key');
    expect((d.getByLabelText('Header value') as HTMLInputElement).value).toBe('');
    expect(document.body.innerHTML).not.toContain('k-1');
  });
});
