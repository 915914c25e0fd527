import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { call } from '../api.ts';
import { renderSignedIn, testAccount, type TestAccount } from '../testing.tsx';
import { LogScreen } from './Log.tsx';
import { seedAvailable, seedDeliveries, testDeliveries } from './log/seed.ts';

const SCRIPT = '<script>alert("pwned")</script>';
const TOKEN = 'log-test-secret-token-42';
/** Unique per run: the event type catalog is product-wide. */
const TAG = `logt${Date.now().toString(36)}`;
const TYPE_A = `${TAG}.created`;
const TYPE_B = `${TAG}.updated`;

let t: TestAccount;
let endpoint: Server;
let whOk: string;
let whFail: string;
const OK_COUNT = 13;
const FAIL_COUNT = 10;

beforeAll(async () => {
  endpoint = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      else res.writeHead(500, { 'content-type': 'text/html' }).end(`<html>${SCRIPT}</html>`);
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;

  t = await testAccount('Log test');
  await call(t.operator.POST('/v1/event-types', { body: { name: TYPE_A, description: 'A', example: { id: '1042' } } }));
  await call(t.operator.POST('/v1/event-types', { body: { name: TYPE_B, description: 'B', example: { id: '7' } } }));
  whOk = (await call(t.admin.POST('/v1/webhooks', { body: { name: 'ERP ok', url: `${base}/ok`, eventTypes: [TYPE_A] } }))).id;
  whFail = (await call(t.admin.POST('/v1/webhooks', { body: { name: 'ERP failing', url: `${base}/fail`, eventTypes: [TYPE_B], auth: { type: 'bearer', token: TOKEN } } }))).id;
  // 23 real deliveries, logged by the Test button: 13 succeeded (type A), then 10 failed (type B).
  await testDeliveries(t, whOk, OK_COUNT);
  await testDeliveries(t, whFail, FAIL_COUNT);
}, 60_000);
afterAll(async () => {
  endpoint.closeAllConnections();
  await new Promise((r) => endpoint.close(r));
});

function table() {
  return screen.findByRole('table', { name: 'Deliveries' });
}
/** The body rows of the deliveries table. */
function rows(tbl: HTMLElement) {
  return within(tbl).getAllByRole('row').slice(1);
}

describe('LogScreen', () => {
  it('lists the deliveries latest first, with the webhook name, type, entity, status and attempts', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams()} />, t);
    const tbl = await table();
    const r = rows(tbl);
    expect(r).toHaveLength(20);
    // the latest are the failing webhook's
    const first = within(r[0]!);
    expect(first.getByText('ERP failing')).toBeTruthy();
    expect(first.getByText(TYPE_B)).toBeTruthy();
    expect(first.getByText(`${TAG}/7`)).toBeTruthy();
    expect(first.getByText('Failed')).toBeTruthy();
    expect(first.getByText(/http_status/)).toBeTruthy();
    expect(within(r[FAIL_COUNT]!).getByText('ERP ok')).toBeTruthy();
    expect(within(r[FAIL_COUNT]!).getByText('Succeeded')).toBeTruthy();
  });

  it('applies the filters: status failed shows only the failed ones, and the hash keeps them', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams()} />, t);
    await table();
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'failed');
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(async () => expect(rows(await table())).toHaveLength(FAIL_COUNT));
    for (const row of rows(await table())) expect(within(row).getByText('Failed')).toBeTruthy();
    expect(window.location.hash).toBe('#/log?status=failed');

    await userEvent.selectOptions(screen.getByLabelText('Status'), 'succeeded');
    await userEvent.selectOptions(screen.getByLabelText('Webhook'), whOk);
    await userEvent.selectOptions(screen.getByLabelText('Event type'), TYPE_A);
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(async () => expect(rows(await table())).toHaveLength(OK_COUNT));
    expect(window.location.hash).toBe(`#/log?webhookId=${whOk}&eventType=${encodeURIComponent(TYPE_A)}&status=succeeded`);

    await userEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(async () => expect(rows(await table())).toHaveLength(20));
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('');
  });

  it('filters by entity and by time (datetime-local sent as RFC 3339 UTC)', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams()} />, t);
    await table();
    await userEvent.type(screen.getByLabelText('Entity type'), TAG);
    await userEvent.type(screen.getByLabelText('Entity ID'), '1042');
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(async () => expect(rows(await table())).toHaveLength(OK_COUNT));

    await userEvent.click(screen.getByRole('button', { name: 'Clear' }));
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2000-01-01T00:00' } });
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(await screen.findByText('No delivery matches these filters.')).toBeTruthy();
    expect(new URLSearchParams(window.location.hash.split('?')[1]).get('until')).toBe(new Date('2000-01-01T00:00').toISOString());
  });

  it('takes its filters from the hash (a linked view)', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: whOk })} />, t);
    const tbl = await table();
    expect(rows(tbl)).toHaveLength(OK_COUNT);
    expect((screen.getByLabelText('Webhook') as HTMLSelectElement).value).toBe(whOk);
  });

  it('pages with the cursor: Next page, then First page', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams()} />, t);
    const tbl = await table();
    const firstIds = rows(tbl).map((r) => r.getAttribute('data-delivery-id'));
    expect((screen.getByRole('button', { name: 'First page' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(async () => expect(rows(await table())).toHaveLength(OK_COUNT + FAIL_COUNT - 20));
    const secondIds = rows(await table()).map((r) => r.getAttribute('data-delivery-id'));
    expect(secondIds.some((id) => firstIds.includes(id))).toBe(false);
    expect(screen.getByText('Page 2')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'First page' }));
    await waitFor(async () => expect(rows(await table()).map((r) => r.getAttribute('data-delivery-id'))).toEqual(firstIds));
  });

  it('shows a webhook’s last 10, titled with its name, without paging', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: whOk, last: '10' })} />, t);
    expect(await screen.findByRole('heading', { level: 1, name: 'Last 10 deliveries of ERP ok' })).toBeTruthy();
    const tbl = await screen.findByRole('table', { name: 'Last 10 deliveries of ERP ok' });
    expect(rows(tbl)).toHaveLength(10);
    for (const row of rows(tbl)) expect(within(row).getByText('ERP ok')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Next page' })).toBeNull();
    expect(screen.queryByLabelText('Status')).toBeNull();
  });

  it('shows an attempt’s request and response; a <script> body is text, JSON is pretty-printed', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: whFail })} />, t);
    const tbl = await table();
    await userEvent.click(within(rows(tbl)[0]!).getByRole('button', { name: 'Show details' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByRole('heading', { name: /Attempt 1/ });
    expect(within(dialog).getByText(/^POST http:\/\/127\.0\.0\.1:\d+\/fail$/)).toBeTruthy();
    // the secret header as the API masks it
    const reqHeaders = within(dialog).getByRole('table', { name: 'Request headers of attempt 1' });
    const auth = within(reqHeaders).getByText('authorization').closest('tr')!;
    expect(within(auth).getByText('********')).toBeTruthy();
    expect(dialog.textContent).not.toContain(TOKEN);
    // the request body, pretty JSON
    const reqBody = within(dialog).getByLabelText('Request body of attempt 1');
    expect(reqBody.tagName).toBe('PRE');
    expect(reqBody.textContent).toMatch(/^\{\n {2}"/);
    expect(reqBody.textContent).toContain('"action_type": "test"');
    // the response: status, headers, the body literally
    expect(within(dialog).getByText('500')).toBeTruthy();
    const resHeaders = within(dialog).getByRole('table', { name: 'Response headers of attempt 1' });
    expect(within(resHeaders).getByText('text/html')).toBeTruthy();
    const resBody = within(dialog).getByLabelText('Response body of attempt 1');
    expect(resBody.tagName).toBe('PRE');
    expect(resBody.textContent).toBe(`<html>${SCRIPT}</html>`);
    expect(dialog.querySelector('script')).toBeNull();
    expect(within(dialog).getByText('http_status')).toBeTruthy();
    expect(within(dialog).getByText(/\d ms$/)).toBeTruthy();
  });

  it('does not offer to resend a test delivery, and says why', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: whFail })} />, t);
    await userEvent.click(within(rows(await table())[0]!).getByRole('button', { name: 'Show details' }));
    const dialog = await screen.findByRole('dialog');
    const resend = await within(dialog).findByRole('button', { name: 'Resend' });
    expect((resend as HTMLButtonElement).disabled).toBe(true);
    expect(within(dialog).getByText(/A test delivery is not resent/)).toBeTruthy();
  });

  it('with a read key, Resend and Replay are disabled with the reason', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: whFail })} />, t, { role: 'read' });
    await userEvent.click(within(rows(await table())[0]!).getByRole('button', { name: 'Show details' }));
    const dialog = await screen.findByRole('dialog');
    const resend = await within(dialog).findByRole('button', { name: 'Resend' });
    expect((resend as HTMLButtonElement).disabled).toBe(true);
    expect(resend.getAttribute('title')).toBe('Needs an admin key');
    expect(document.getElementById(resend.getAttribute('aria-describedby')!)!.textContent).toBe('Needs an admin key');
    await userEvent.keyboard('{Escape}');
    const replay = screen.getByRole('button', { name: 'Replay' });
    expect((replay as HTMLButtonElement).disabled).toBe(true);
    expect(replay.getAttribute('title')).toBe('Needs an admin key');
  });

  it('replays a webhook’s failed deliveries since a time and says how many were queued (test deliveries are left out)', async () => {
    renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: whFail })} />, t);
    await table();
    fireEvent.change(screen.getByLabelText('Replay failed since'), { target: { value: '2000-01-01T00:00' } });
    await userEvent.click(screen.getByRole('button', { name: 'Replay' }));
    expect(await screen.findByText('0 deliveries were queued again.')).toBeTruthy();
  });

  describe.skipIf(!seedAvailable())('with ordinary deliveries (the global setup’s seeder)', () => {
    let account: TestAccount;
    let wh: string;
    beforeAll(async () => {
      account = await testAccount('Log seeded');
      wh = (await call(account.admin.POST('/v1/webhooks', { body: { name: 'Seeded ERP', url: 'https://erp.example.com/hooks' } }))).id;
    });

    it('Resend posts, says so, and reloads the delivery and the list', async () => {
      const [id] = await seedDeliveries(account, [{ webhookId: wh, status: 'failed', responseBody: SCRIPT }]);
      renderSignedIn(<LogScreen params={new URLSearchParams()} />, account);
      const tbl = await table();
      const row = rows(tbl).find((r) => r.getAttribute('data-delivery-id') === id)!;
      expect(within(row).getByText('Failed')).toBeTruthy();
      await userEvent.click(within(row).getByRole('button', { name: 'Show details' }));
      const dialog = await screen.findByRole('dialog');
      expect(within(dialog).getByLabelText('Response body of attempt 1').textContent).toBe(SCRIPT);
      await userEvent.click(await within(dialog).findByRole('button', { name: 'Resend' }));
      expect(await within(dialog).findByText(new RegExp(`Resent: delivery ${id} is pending again`))).toBeTruthy();
      await waitFor(() => expect(within(dialog).getAllByText('Pending').length).toBeGreaterThan(0));
      await waitFor(async () => expect(within(rows(await table()).find((r) => r.getAttribute('data-delivery-id') === id)!).getByText('Pending')).toBeTruthy());
      expect((await call(account.admin.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: id! } } }))).status).toBe('pending');
    });

    it('Replay queues the failed ones again and says how many', async () => {
      const since = new Date();
      await seedDeliveries(account, [{ webhookId: wh, status: 'failed' }, { webhookId: wh, status: 'failed' }, { webhookId: wh, status: 'succeeded' }]);
      renderSignedIn(<LogScreen params={new URLSearchParams({ webhookId: wh, status: 'failed' })} />, account);
      await table();
      const local = new Date(since.getTime() - 60_000 - since.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      fireEvent.change(screen.getByLabelText('Replay failed since'), { target: { value: local } });
      await userEvent.click(screen.getByRole('button', { name: 'Replay' }));
      expect(await screen.findByText('2 deliveries were queued again.')).toBeTruthy();
      // the list (status failed) reloads: both are pending now
      expect(await screen.findByText('No delivery matches these filters.')).toBeTruthy();
    });
  });
});
