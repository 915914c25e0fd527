// Uses the TypeScript client that @hey-api/openapi-ts made from openapi.yaml
// (client-generators.sh copies this file beside it as check.ts and runs tsc over both): the
// calls a user makes compile, and mistakes do not (each @ts-expect-error must be an error, or
// tsc fails). Type-checked only, never run.
import { createClient } from './client/client/index.js';
import { createWebhook, listDeliveryAttempts, listWebhooks, testWebhook } from './client/sdk.gen.js';
import type { AttemptList, Delivery, Webhook, WebhookAuthMasked, WebhookCreateWritable } from './client/types.gen.js';

const client = createClient({ baseUrl: 'http://127.0.0.1:8080', auth: () => 'hk_key' });

export async function useIt(): Promise<string[]> {
  // hey-api types a request body with its writeOnly fields (the secrets) as `...Writable`
  const body: WebhookCreateWritable = {
    name: 'ERP',
    url: 'https://erp.example.com/hooks/herald',
    eventTypes: ['ticket.priority_changed'],
    auth: { type: 'bearer', token: 'the-token' },
  };
  const created = await createWebhook({ client, body });
  const webhook: Webhook | undefined = created.data;
  const auth: WebhookAuthMasked | undefined = webhook?.auth;
  const kind: string | undefined = auth?.type;

  const tested = await testWebhook({ client, path: { webhookId: webhook?.id ?? 'wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H' }, body: {} });
  const isTest: Delivery['test'] = tested.data?.delivery.test;
  const attempts = await listDeliveryAttempts({ client, path: { deliveryId: tested.data?.delivery.id ?? '' } });
  const cursor: AttemptList['nextCursor'] = attempts.data?.nextCursor ?? null;
  const page = await listWebhooks({ client, query: { limit: 10 } });
  const next: string | null | undefined = page.data?.nextCursor;

  // @ts-expect-error: a webhook needs a url
  await createWebhook({ client, body: { name: 'ERP' } });
  // @ts-expect-error: `test` is a boolean, not the string 'true'
  const notABoolean: Delivery['test'] = 'true';

  return [kind ?? '', String(isTest), String(cursor), String(next), String(notABoolean)];
}
