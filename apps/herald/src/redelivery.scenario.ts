/**
 * The Test button, resend and replay (F6, F13) end to end, through the API only: events are
 * posted, matched and sent by the real delivery engine to a local receiver; the Test button,
 * resend and replay are driven with an account key, and what the engine then does is read back
 * from the delivery log. Run over the embedded mode (redelivery.test.ts) and over Kafka and
 * MongoDB (redelivery.int.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createHeraldClient, type HeraldClient } from '@herald/api-spec';
import { eventually, startReceiver } from '../../../test/receiver.ts';

/** A running Herald (config-api, matcher and delivery engine) to drive through its API. */
export interface RunningHerald {
  apiUrl: string;
  operatorToken: string;
  stop(): Promise<void>;
}

type Delivery = { id: string; status: string; attemptCount: number; nextAttemptAt: string | null; attempts?: Array<{ number: number; success: boolean }> };

export function redeliveryScenario(name: string, start: () => Promise<RunningHerald>, timeoutMs = 20_000): void {
  describe(`Test button, resend and replay end to end (${name})`, () => {
    let herald: RunningHerald;
    let admin: HeraldClient;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    /** The flaky endpoint answers 500 until this is true. */
    let healthy = false;
    let seq = 0;
    let accountId = '';
    const startedAt = new Date(Date.now() - 1000).toISOString();

    beforeAll(async () => {
      receiver = await startReceiver((r) => (r.path.startsWith('/flaky') && !healthy ? { status: 500, body: 'down' } : { status: 200, body: 'ok' }));
      herald = await start();
      const operator = createHeraldClient({ baseUrl: herald.apiUrl, apiKey: herald.operatorToken });
      const account = await operator.POST('/v1/accounts', { body: { name: 'Redelivery' } });
      const key = await operator.POST('/v1/api-keys', { body: { account: account.data!.id, role: 'admin', name: 'tests' } });
      admin = createHeraldClient({ baseUrl: herald.apiUrl, apiKey: key.data!.key });
      accountId = account.data!.id;
      const type = await operator.POST('/v1/event-types', { body: { name: 'order.paid', description: 'An order was paid', example: { id: 'o-1', total: 99.5 } } });
      expect(type.response.status).toBeLessThan(300);
    });
    afterAll(async () => {
      await herald?.stop();
      await receiver?.close();
    });

    async function webhook(path: string, schedule: number[]): Promise<string> {
      const w = await admin.POST('/v1/webhooks', { body: { name: path, url: `${receiver.url}${path}`, eventTypes: ['order.paid'], retry: { schedule }, dedupWindowSeconds: 0 } });
      expect(w.response.status).toBe(201);
      return w.data!.id;
    }

    async function postEvent(): Promise<void> {
      seq++;
      const res = await fetch(`${herald.apiUrl}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${herald.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `evt_redelivery_${seq}_${Date.now()}`, type: 'order.paid', account: accountId,
          entity: { type: 'order', id: `o-${seq}` }, action: 'update', occurredAt: new Date().toISOString(), data: { id: `o-${seq}`, total: seq },
        }),
      });
      expect(res.status).toBe(202);
    }

    async function deliveriesOf(webhookId: string): Promise<Delivery[]> {
      const page = await admin.GET('/v1/webhooks/{webhookId}/deliveries', { params: { path: { webhookId }, query: { limit: 100 } } });
      return (page.data?.data ?? []) as Delivery[];
    }
    async function deliveryOf(id: string): Promise<Delivery> {
      return (await admin.GET('/v1/deliveries/{deliveryId}', { params: { path: { deliveryId: id } } })).data as Delivery;
    }
    const settled = (d: Delivery | undefined, status: string, attempts: number) => d !== undefined && d.status === status && d.attemptCount === attempts;

    it('the Test button sends action_type test now, signed, and logs it as a test delivery', async () => {
      const webhookId = await webhook('/ok', [0]);
      const before = receiver.received.length;
      const r = await admin.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId } }, body: {} });
      expect(r.response.status).toBe(200);
      const d = r.data!.delivery;
      expect(d).toMatchObject({ status: 'succeeded', attemptCount: 1, test: true, eventType: 'order.paid' });
      expect(receiver.received.length).toBe(before + 1);
      const got = receiver.received.at(-1)!;
      expect(JSON.parse(got.body)).toMatchObject({ action_type: 'test', entity_type: 'order', entity_id: 'o-1', result: { id: 'o-1', total: 99.5 } });
      const { data: secret } = await admin.GET('/v1/webhooks/{webhookId}/secret', { params: { path: { webhookId } } });
      expect(new StandardWebhook(secret!.secret).verify(got.body, got.headers as Record<string, string>)).toBeTruthy();
      expect((await deliveryOf(d.id)).attempts).toHaveLength(1);
      expect(d.event.account).toBe(accountId);
    });

    it('a resend is one more attempt (attempt numbers continue), failed again if it fails, succeeded when it succeeds', async () => {
      healthy = false;
      const webhookId = await webhook('/flaky-resend', [0]);
      await postEvent();
      let failed: Delivery | undefined;
      await eventually(async () => settled((failed = (await deliveriesOf(webhookId))[0]), 'failed', 2), 'the delivery to fail after 2 attempts', timeoutMs, 100);
      const id = failed!.id;

      // More retries on the webhook now: the resend still gets one attempt, not a new schedule.
      const patched = await admin.PATCH('/v1/webhooks/{webhookId}', { params: { path: { webhookId } }, body: { retry: { schedule: [0, 0, 0, 0, 0] } } });
      expect(patched.response.status).toBe(200);
      const first = await admin.POST('/v1/deliveries/{deliveryId}/resend', { params: { path: { deliveryId: id } } });
      expect(first.response.status).toBe(200);
      expect(first.data!.delivery).toMatchObject({ id, status: 'pending', attemptCount: 2 });
      await eventually(async () => settled(await deliveryOf(id), 'failed', 3), 'the resent delivery to fail again after attempt 3', timeoutMs, 100);
      // Failed for good: no retry of the resend follows.
      await new Promise((r) => setTimeout(r, 600));
      expect(await deliveryOf(id)).toMatchObject({ status: 'failed', attemptCount: 3, nextAttemptAt: null });

      healthy = true;
      expect((await admin.POST('/v1/deliveries/{deliveryId}/resend', { params: { path: { deliveryId: id } } })).response.status).toBe(200);
      await eventually(async () => settled(await deliveryOf(id), 'succeeded', 4), 'the second resend to succeed as attempt 4', timeoutMs, 100);
      const done = await deliveryOf(id);
      expect(done.attempts!.map((a) => [a.number, a.success])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
      const sent = receiver.received.filter((r) => r.headers['webhook-id'] === id);
      expect(sent).toHaveLength(4);
      // A succeeded delivery can be resent too: it is sent again, as attempt 5.
      expect((await admin.POST('/v1/deliveries/{deliveryId}/resend', { params: { path: { deliveryId: id } } })).response.status).toBe(200);
      await eventually(async () => settled(await deliveryOf(id), 'succeeded', 5), 'the resent succeeded delivery to be sent again', timeoutMs, 100);
      expect(receiver.received.filter((r) => r.headers['webhook-id'] === id)).toHaveLength(5);
    });

    it('a replay requeues the failed deliveries since a time, and the engine sends each once more', async () => {
      healthy = false;
      const webhookId = await webhook('/flaky-replay', [0]);
      for (let i = 0; i < 3; i++) await postEvent();
      await eventually(async () => {
        const list = await deliveriesOf(webhookId);
        return list.length === 3 && list.every((d) => settled(d, 'failed', 2));
      }, 'three deliveries to fail', timeoutMs, 100);

      healthy = true;
      const r = await admin.POST('/v1/webhooks/{webhookId}/replay', { params: { path: { webhookId } }, body: { since: startedAt } });
      expect(r.response.status).toBe(200);
      expect(r.data).toEqual({ requeued: 3 });
      await eventually(async () => {
        const list = await deliveriesOf(webhookId);
        return list.length === 3 && list.every((d) => settled(d, 'succeeded', 3));
      }, 'the three replayed deliveries to succeed as attempt 3', timeoutMs, 100);
      // Nothing failed is left to replay.
      expect((await admin.POST('/v1/webhooks/{webhookId}/replay', { params: { path: { webhookId } }, body: { since: startedAt } })).data).toEqual({ requeued: 0 });
    });
  });
}
