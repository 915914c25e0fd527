import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { Delivery, PayloadSchema, Webhook } from '@herald/core';
import { HttpSender, newSigningSecret, TargetGuard } from '@herald/transport';
import { sendAttempt, USER_AGENT } from './send-attempt.ts';
import { loadPlugins } from '@herald/runtime';
import { startReceiver } from '../../../test/receiver.ts';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const sender = new HttpSender();
const secret = newSigningSecret();

beforeAll(async () => {
  receiver = await startReceiver((r) => {
    if (r.path.startsWith('/gone')) return { status: 410, body: 'gone' };
    if (r.path.startsWith('/busy')) return { status: 429, body: 'slow down', headers: { 'retry-after': r.path.endsWith('huge') ? '99999999' : '600' } };
    return { status: r.path.startsWith('/fail') ? 503 : 200, body: 'thanks' };
  });
});
afterAll(async () => {
  await sender.close();
  await receiver.close();
});

const event = {
  id: 'evt_1', type: 'ticket.priority_changed', account: 'acc_1', entity: { type: 'ticket', id: '1042' },
  action: 'update' as const, occurredAt: '2026-11-24T10:55:27Z', data: { ref: 'T-1042', priority: 'high' },
};
const delivery = (extra: Partial<Delivery> = {}): Delivery => ({
  id: 'dlv_1', account: 'acc_1', webhookId: 'wh_1', schemaId: null, eventId: 'evt_1', eventType: event.type,
  entity: event.entity, event, status: 'pending', attempts: 0, nextAttemptAt: new Date(), leaseUntil: null,
  createdAt: new Date(), updatedAt: new Date(), ...extra,
});
const webhook = (extra: Partial<Webhook> = {}): Webhook => ({
  id: 'wh_1', account: 'acc_1', name: 'w', url: `${receiver.url}/hooks`, method: 'POST', active: true,
  eventTypes: [event.type], auth: { type: 'basic', username: 'ops@example.com', password: 's3cret!' },
  headers: { 'X-Custom': 'yes', 'Content-Type': 'text/evil', 'webhook-signature': 'forged' }, secret,
  dedupWindowSeconds: 60, createdAt: new Date(), updatedAt: new Date(), ...extra,
});
const schemas = new Map<string, PayloadSchema>();
const loadSchema = async (account: string, id: string) => {
  const s = schemas.get(id);
  return s && s.account === account ? s : null;
};
function addSchema(id: string, contentType: PayloadSchema['contentType'], body: string): void {
  schemas.set(id, { id, account: 'acc_1', name: id, contentType, body, strict: false, eventTypes: [], createdAt: new Date(), updatedAt: new Date() });
}
const settings = { timeoutMs: 2_000, maxResponseBytes: 1024, retryPolicy: { schedule: [10, 20], jitter: 0 } };

describe('sendAttempt', () => {
  it('sends the default payload, signed, with Herald\'s headers, the webhook\'s headers and the plugin\'s auth', async () => {
    const plugins = await loadPlugins();
    const { attempt, outcome } = await sendAttempt(delivery(), webhook(), { sender, plugins, settings, loadSchema });
    const got = receiver.received.at(-1)!;
    expect(got.path).toBe('/hooks');
    expect(JSON.parse(got.body)).toEqual({
      event_id: 'evt_1', event_type: 'ticket.priority_changed', occurred_at: '2026-11-24T10:55:27Z',
      entity_id: '1042', entity_type: 'ticket', action_type: 'update', result: { ref: 'T-1042', priority: 'high' },
    });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe(USER_AGENT);
    expect(got.headers['triggered-at']).toBe('2026-11-24T10:55:27Z');
    expect(got.headers['x-custom']).toBe('yes');
    expect(got.headers['webhook-id']).toBe('dlv_1');
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('ops@example.com:s3cret!').toString('base64')}`);
    // verified with the public library, not with our own code
    expect(new StandardWebhook(secret).verify(got.body, got.headers as Record<string, string>)).toBeTruthy();

    expect(outcome).toEqual({ status: 'succeeded', attempts: 1, nextAttemptAt: null });
    expect(attempt).toMatchObject({ deliveryId: 'dlv_1', number: 1, success: true, response: { status: 200, body: 'thanks', truncated: false } });
    expect(attempt.request.headers.authorization).toBe('********');
    expect(JSON.stringify(attempt)).not.toContain('s3cret');
    expect(JSON.stringify(attempt)).not.toContain(Buffer.from('ops@example.com:s3cret!').toString('base64'));
  });

  it('sends the webhook\'s secret headers beside Basic auth and its plain headers, and logs them masked', async () => {
    const plugins = await loadPlugins();
    const w = webhook({ secretHeaders: { 'X-Vault-Token': 'vault-value-0042', 'Webhook-Id': 'forged' } });
    const { attempt } = await sendAttempt(delivery(), w, { sender, plugins, settings, loadSchema });
    const got = receiver.received.at(-1)!;
    expect(got.headers['x-vault-token']).toBe('vault-value-0042');
    expect(got.headers['x-custom']).toBe('yes');
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('ops@example.com:s3cret!').toString('base64')}`);
    expect(got.headers['webhook-id']).toBe('dlv_1'); // a name Herald sets is never replaced
    expect(attempt.request.headers).toMatchObject({ 'x-vault-token': '********', authorization: '********', 'x-custom': 'yes', 'webhook-id': 'dlv_1' });
    expect(JSON.stringify(attempt)).not.toContain('vault-value-0042');

    // masked also when the auth plugin fails before anything is sent
    const failed = await sendAttempt(delivery(), { ...w, auth: { type: 'oauth2' } }, { sender, plugins, settings, loadSchema });
    expect(failed.attempt.error?.class).toBe('plugin');
    expect(failed.attempt.request.headers['x-vault-token']).toBe('********');
  });

  it('schedules a retry after a failure, then fails when the schedule is used up', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const first = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/fail` }), { sender, plugins, settings, loadSchema, now: () => now });
    expect(first.attempt.error?.class).toBe('http_status');
    expect(first.attempt.response?.status).toBe(503);
    expect(first.outcome).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: new Date(now.getTime() + 10_000) });
    const third = await sendAttempt(delivery({ attempts: 2 }), webhook({ url: `${receiver.url}/fail` }), { sender, plugins, settings, loadSchema, now: () => now });
    expect(third.attempt.number).toBe(3);
    expect(third.outcome).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    expect(third.outcome.lastError).toContain('http_status');
  });

  it('uses the webhook\'s own retry schedule when it has one', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const r = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/fail`, retry: { schedule: [1] } }), { sender, plugins, settings, loadSchema, now: () => now });
    expect(r.outcome.nextAttemptAt).toEqual(new Date(now.getTime() + 1_000));
  });

  it('logs an unknown plugin as a plugin error without sending anything', async () => {
    const plugins = await loadPlugins();
    const before = receiver.received.length;
    const r = await sendAttempt(delivery(), webhook({ auth: { type: 'oauth2' } }), { sender, plugins, settings, loadSchema });
    expect(receiver.received.length).toBe(before);
    expect(r.attempt.error?.class).toBe('plugin');
    expect(r.outcome.status).toBe('pending');
  });

  it('fails an attempt whose signing secret cannot sign as a logged `signature` error, sending nothing', async () => {
    const plugins = await loadPlugins();
    const before = receiver.received.length;
    const r = await sendAttempt(delivery(), webhook({ secret: 'not-a-secret' }), { sender, plugins, settings, loadSchema });
    expect(receiver.received.length).toBe(before);
    expect(r.attempt.error).toEqual({ class: 'signature', message: "the webhook's signing secret cannot be used: A signing secret must start with whsec_" });
    expect(r.attempt.success).toBe(false);
    expect(r.outcome).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r.outcome.lastError).toMatch(/^signature: /);
  });

  it('sends the Norwegian seed\'s text schema "Message 1" byte for byte, as text/plain', async () => {
    const plugins = await loadPlugins();
    addSchema('sch_message1', 'text/plain', '{\n  Hello\n}');
    const r = await sendAttempt(delivery({ schemaId: 'sch_message1' }), webhook(), { sender, plugins, settings, loadSchema });
    expect(r.outcome.status).toBe('succeeded');
    const got = receiver.received.at(-1)!;
    expect(got.body).toBe('{\n  Hello\n}');
    expect(got.headers['content-type']).toBe('text/plain');
    // The library's verify() parses the body as JSON, so a text body is checked with its sign().
    const expected = new StandardWebhook(secret).sign(String(got.headers['webhook-id']), new Date(Number(got.headers['webhook-timestamp']) * 1000), got.body);
    expect(String(got.headers['webhook-signature']).split(' ')).toContain(expected);
  });

  it('renders a JSON schema with the seed\'s placeholders, escaping what it inserts', async () => {
    const plugins = await loadPlugins();
    addSchema('sch_json', 'application/json', '{ "ticket": "{{ticket:ref}}", "title": "{{ ticket.title }}", "hook": "{{ webhook.name }}" }');
    const quoted = { ...event, data: { ref: 'T-1042', title: 'Say "hi" \\ bye' } };
    await sendAttempt(delivery({ schemaId: 'sch_json', event: quoted }), webhook(), { sender, plugins, settings, loadSchema });
    const got = receiver.received.at(-1)!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toEqual({ ticket: 'T-1042', title: 'Say "hi" \\ bye', hook: 'w' });
  });

  it('fails a delivery whose schema was deleted since for good, sending nothing: no retry can bring it back', async () => {
    const plugins = await loadPlugins();
    const before = receiver.received.length;
    const r = await sendAttempt(delivery({ schemaId: 'sch_gone' }), webhook(), { sender, plugins, settings, loadSchema });
    expect(receiver.received.length).toBe(before);
    expect(r.attempt.error).toEqual({ class: 'render', message: 'schema sch_gone does not exist any more' });
    expect(r.outcome).toEqual({
      status: 'failed', attempts: 1, nextAttemptAt: null,
      lastError: 'render: schema sch_gone does not exist any more (not retried: another attempt would fail the same way)',
    });
  });

  /** A sender that counts what it is asked to send. */
  function countingSender(): { sender: HttpSender; calls: () => number } {
    let calls = 0;
    return {
      sender: {
        send: (request, options) => {
          calls++;
          return sender.send(request, options);
        },
      } as HttpSender,
      calls: () => calls,
    };
  }

  it('does not send an XML body that is not well-formed (issue 13: `<{{ ticket.tag }}>` with tag "bad tag"), and fails it for good with the reason and position', async () => {
    const plugins = await loadPlugins();
    addSchema('sch_xml_tag', 'application/xml', '<{{ ticket.tag }}>{{ ticket.ref }}</{{ ticket.tag }}>');
    const counting = countingSender();
    const before = receiver.received.length;
    const bad = { ...event, data: { ref: 'T-9', tag: 'bad tag' } };
    const r = await sendAttempt(delivery({ schemaId: 'sch_xml_tag', event: bad }), webhook(), { ...{ plugins, settings, loadSchema }, sender: counting.sender });
    expect(counting.calls()).toBe(0);
    expect(receiver.received.length).toBe(before);
    const reason = 'the rendered body is not well-formed XML: line 1, column 6: the attribute "tag" of <bad> has no value ("=" and a quoted value expected, found ">")';
    expect(r.attempt.error).toEqual({ class: 'render', message: reason });
    expect(r.attempt.success).toBe(false);
    expect(r.attempt.response).toBeUndefined();
    // The log shows what was rendered (and not sent), so that the schema can be fixed.
    expect(r.attempt.request.body).toBe('<bad tag>T-9</bad tag>');
    // Final, though the schedule has two retries left: the same event renders the same way every time.
    expect(r.outcome).toEqual({ status: 'failed', attempts: 1, nextAttemptAt: null, lastError: `render: ${reason} (not retried: another attempt would fail the same way)` });

    // The same schema with a tag that is a name is sent.
    const good = await sendAttempt(delivery({ schemaId: 'sch_xml_tag', event: { ...event, data: { ref: 'T-9', tag: 'ticket' } } }), webhook(), { plugins, settings, loadSchema, sender: counting.sender });
    expect(good.outcome.status).toBe('succeeded');
    expect(receiver.received.at(-1)!.body).toBe('<ticket>T-9</ticket>');
    expect(receiver.received.at(-1)!.headers['content-type']).toBe('application/xml');
  });

  it('does not send a JSON body that is not well-formed (issue 13: `{ "n": {{ ticket.n }} }` with no n), and fails it for good with the reason and position', async () => {
    const plugins = await loadPlugins();
    addSchema('sch_json_n', 'application/json', '{ "n": {{ ticket.n }} }');
    const counting = countingSender();
    const before = receiver.received.length;
    const r = await sendAttempt(delivery({ schemaId: 'sch_json_n', attempts: 0 }), webhook(), { plugins, settings, loadSchema, sender: counting.sender });
    expect(counting.calls()).toBe(0);
    expect(receiver.received.length).toBe(before);
    const reason = 'the rendered body is not well-formed JSON: line 1, column 9: unexpected "}", expected a value';
    expect(r.attempt.error).toEqual({ class: 'render', message: reason });
    expect(r.attempt.request.body).toBe('{ "n":  }');
    expect(r.outcome).toEqual({ status: 'failed', attempts: 1, nextAttemptAt: null, lastError: `render: ${reason} (not retried: another attempt would fail the same way)` });

    const withN = await sendAttempt(delivery({ schemaId: 'sch_json_n', event: { ...event, data: { n: 7 } } }), webhook(), { plugins, settings, loadSchema, sender: counting.sender });
    expect(withN.outcome.status).toBe('succeeded');
    expect(JSON.parse(receiver.received.at(-1)!.body)).toEqual({ n: 7 });
  });

  it('logs a template error with its reason and position in the template, not only a title, and fails it for good', async () => {
    const plugins = await loadPlugins();
    schemas.set('sch_strict', { id: 'sch_strict', account: 'acc_1', name: 'strict', contentType: 'application/json', body: '{ "p": "{{ ticket.nope }}" }', strict: true, eventTypes: [], createdAt: new Date(), updatedAt: new Date() });
    const before = receiver.received.length;
    const r = await sendAttempt(delivery({ schemaId: 'sch_strict' }), webhook(), { sender, plugins, settings, loadSchema });
    expect(receiver.received.length).toBe(before);
    expect(r.attempt.error).toEqual({ class: 'render', message: 'The schema template could not be rendered: undefined variable: ticket.nope at line 1, column 12' });
    expect(r.outcome).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
  });

  it('retries a render that failed because the schema could not be read (a store error), on the schedule', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const unreadable = async () => {
      throw new Error('MongoDB is unreachable');
    };
    const r = await sendAttempt(delivery({ schemaId: 'sch_json_n' }), webhook(), { sender, plugins, settings, loadSchema: unreadable, now: () => now });
    expect(r.attempt.error).toEqual({ class: 'render', message: 'schema sch_json_n could not be read: MongoDB is unreachable' });
    expect(r.outcome).toEqual({ status: 'pending', attempts: 1, nextAttemptAt: new Date(now.getTime() + 10_000), lastError: 'render: schema sch_json_n could not be read: MongoDB is unreachable' });
  });

  it('fails a target the SSRF guard refuses for good at the first attempt, as a configuration error, connecting to nothing', async () => {
    const plugins = await loadPlugins();
    // The receiver listens on 127.0.0.1; the guard allows only that address, so 127.0.0.2 is refused.
    const guarded = new HttpSender({ guard: new TargetGuard({ allowedTargets: '127.0.0.1/32' }) });
    try {
      const before = receiver.received.length;
      const port = new URL(receiver.url).port;
      const r = await sendAttempt(delivery(), webhook({ url: `http://127.0.0.2:${port}/hooks` }), { sender: guarded, plugins, settings, loadSchema });
      expect(receiver.received.length).toBe(before);
      expect(r.attempt.error).toEqual({ class: 'ssrf_blocked', message: '127.0.0.2 is a loopback address (not in HERALD_ALLOWED_TARGETS)' });
      expect(r.attempt.response).toBeUndefined();
      // Final though the schedule has retries left, and lastError says what to change.
      expect(r.outcome).toEqual({
        status: 'failed', attempts: 1, nextAttemptAt: null,
        lastError: "ssrf_blocked: 127.0.0.2 is a loopback address (not in HERALD_ALLOWED_TARGETS) (a configuration error, not retried: the target is not allowed (see HERALD_ALLOWED_TARGETS); change the webhook's URL or the allow-list)",
      });
      // The allowed address is still sent to by the same sender.
      expect((await sendAttempt(delivery(), webhook(), { sender: guarded, plugins, settings, loadSchema })).outcome.status).toBe('succeeded');
    } finally {
      await guarded.close();
    }
  });

  it('signs with the previous secret too during a rotation\'s overlap, and not after it', async () => {
    const plugins = await loadPlugins();
    const old = newSigningSecret();
    const now = new Date();
    const rotated = webhook({ previousSecrets: [{ secret: old, expiresAt: new Date(now.getTime() + 60_000) }] });
    await sendAttempt(delivery(), rotated, { sender, plugins, settings, loadSchema, now: () => now });
    const during = receiver.received.at(-1)!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [secret, old]) expect(new StandardWebhook(s).verify(during.body, during.headers as Record<string, string>)).toBeTruthy();

    const expired = webhook({ previousSecrets: [{ secret: old, expiresAt: new Date(now.getTime() - 1) }] });
    await sendAttempt(delivery(), expired, { sender, plugins, settings, loadSchema, now: () => now });
    const after = receiver.received.at(-1)!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(new StandardWebhook(secret).verify(after.body, after.headers as Record<string, string>)).toBeTruthy();
    expect(() => new StandardWebhook(old).verify(after.body, after.headers as Record<string, string>)).toThrow();
  });

  it('waits as long as a 429\'s Retry-After asks (at most a day), never less than the schedule', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const asked = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/busy` }), { sender, plugins, settings, loadSchema, now: () => now });
    expect(asked.attempt.response?.status).toBe(429);
    expect(asked.outcome.nextAttemptAt).toEqual(new Date(now.getTime() + 600_000));
    const huge = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/busy-huge` }), { sender, plugins, settings, loadSchema, now: () => now });
    expect(huge.outcome.nextAttemptAt).toEqual(new Date(now.getTime() + 24 * 3600_000));
  });

  it('sends a test delivery with action_type test, in the default payload and in a schema, and never retries it', async () => {
    const plugins = await loadPlugins();
    const r = await sendAttempt(delivery({ test: true }), webhook(), { sender, plugins, settings, loadSchema });
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ action_type: 'test', entity_id: '1042', result: { ref: 'T-1042', priority: 'high' } });
    expect(r.outcome).toEqual({ status: 'succeeded', attempts: 1, nextAttemptAt: null });

    addSchema('sch_test_flag', 'application/json', '{ "action": "{{ action_type }}", "ref": "{{ticket:ref}}" }');
    await sendAttempt(delivery({ test: true, schemaId: 'sch_test_flag' }), webhook(), { sender, plugins, settings, loadSchema });
    expect(JSON.parse(receiver.received.at(-1)!.body)).toEqual({ action: 'test', ref: 'T-1042' });
    await sendAttempt(delivery({ schemaId: 'sch_test_flag' }), webhook(), { sender, plugins, settings, loadSchema });
    expect(JSON.parse(receiver.received.at(-1)!.body)).toEqual({ action: 'update', ref: 'T-1042' });

    // A failed test is final, though the schedule has retries left.
    const failed = await sendAttempt(delivery({ test: true }), webhook({ url: `${receiver.url}/fail` }), { sender, plugins, settings, loadSchema });
    expect(failed.outcome).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
    expect(failed.outcome.lastError).toContain('http_status');
  });

  it('gives a resent delivery (attemptLimit) no retry past its limit', async () => {
    const plugins = await loadPlugins();
    const now = new Date('2026-11-25T00:00:00Z');
    const fail = webhook({ url: `${receiver.url}/fail` });
    // Out of the schedule after 3 attempts and resent: attempt 4 is the last one.
    const resent = await sendAttempt(delivery({ status: 'pending', attempts: 3, attemptLimit: 4 }), fail, { sender, plugins, settings, loadSchema, now: () => now });
    expect(resent.attempt.number).toBe(4);
    expect(resent.outcome).toMatchObject({ status: 'failed', attempts: 4, nextAttemptAt: null });
    // A limit not reached yet leaves the schedule in charge; a success is a success.
    const early = await sendAttempt(delivery({ attemptLimit: 2 }), fail, { sender, plugins, settings, loadSchema, now: () => now });
    expect(early.outcome).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: new Date(now.getTime() + 10_000) });
    const ok = await sendAttempt(delivery({ attempts: 3, attemptLimit: 4 }), webhook(), { sender, plugins, settings, loadSchema, now: () => now });
    expect(ok.outcome).toEqual({ status: 'succeeded', attempts: 4, nextAttemptAt: null });
  });

  it('ends the delivery at a 410 Gone and says the webhook is to be disabled', async () => {
    const plugins = await loadPlugins();
    const r = await sendAttempt(delivery(), webhook({ url: `${receiver.url}/gone` }), { sender, plugins, settings, loadSchema });
    expect(r.gone).toBe(true);
    expect(r.outcome).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });
    expect(r.outcome.lastError).toMatch(/410 Gone/);
  });
});
