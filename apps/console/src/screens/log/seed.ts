/**
 * Test-side arrangements of the delivery log (component tests only):
 * - `testDeliveries`: real deliveries through the API's Test button (POST /v1/webhooks/{id}/test),
 *   sent to a loopback endpoint of the test (the test API's sender allows 127.0.0.1). They are
 *   logged with `test: true` and are never resent or replayed.
 * - `seedDeliveries`: ordinary (non-test) deliveries written into the test API's store through
 *   the seeder of the global setup (./seed-server.ts), when the global setup provides it
 *   (`inject('consoleSeed')`); `seedAvailable()` says whether it does.
 */
import { inject } from 'vitest';
import type { components } from '@herald/api-spec';
import { call } from '../../api.ts';
import type { TestAccount } from '../../testing.tsx';
import type { SeedBody } from './seed-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The delivery seeder (./seed-server.ts), when the global setup starts it. */
    consoleSeed?: { url: string };
  }
}

type Detail = components['schemas']['DeliveryDetail'];
type Status = components['schemas']['DeliveryStatus'];

export function seedAvailable(): boolean {
  return Boolean(inject('consoleSeed')?.url);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** An id of the API's form: a prefix and 26 Crockford base32 characters. */
export function fakeId(prefix: string): string {
  let s = '';
  for (let i = 0; i < 26; i++) s += CROCKFORD[Math.floor(Math.random() * 32)];
  return `${prefix}_${s}`;
}

/** Sends `count` test deliveries of `webhookId` (one at a time: the log's order is creation order). */
export async function testDeliveries(t: TestAccount, webhookId: string, count: number, eventType?: string): Promise<Detail[]> {
  const out: Detail[] = [];
  for (let i = 0; i < count; i++) {
    const r = await call(t.admin.POST('/v1/webhooks/{webhookId}/test', { params: { path: { webhookId } }, body: eventType ? { eventType } : {} }));
    out.push(r.delivery);
    // distinct createdAt milliseconds keep the order stable
    await new Promise((r2) => setTimeout(r2, 2));
  }
  return out;
}

export interface SeedSpec {
  webhookId: string;
  status: Status;
  eventType?: string;
  entity?: { type: string; id: string };
  createdAt?: Date;
  /** The attempts already made (with a failed one's response), default one for a final status. */
  attempts?: number;
  lastError?: string;
  responseBody?: string;
}

/** Writes ordinary deliveries (with their attempts) into the test API's store; answers their ids. */
export async function seedDeliveries(t: TestAccount, specs: SeedSpec[]): Promise<string[]> {
  const seed = inject('consoleSeed');
  if (!seed) throw new Error('The global setup provides no delivery seeder (consoleSeed)');
  const body: SeedBody = { deliveries: [], attempts: [] };
  for (const s of specs) {
    const id = fakeId('dlv');
    const createdAt = s.createdAt ?? new Date();
    const eventType = s.eventType ?? 'ticket.updated';
    const entity = s.entity ?? { type: 'ticket', id: '1042' };
    const event = { id: fakeId('evt'), type: eventType, account: t.accountId, entity, action: 'update' as const, occurredAt: createdAt.toISOString(), data: { ref: 'T-1042' } };
    const attempts = s.attempts ?? (s.status === 'pending' ? 0 : 1);
    const failed = s.status === 'failed';
    body.deliveries.push({
      id, account: t.accountId, webhookId: s.webhookId, schemaId: null, eventId: event.id, eventType, entity, event, status: s.status,
      nextAttemptAt: s.status === 'pending' ? new Date(Date.now() + 3_600_000).toISOString() : null, createdAt: createdAt.toISOString(), attempts,
      ...(failed ? { lastError: s.lastError ?? 'http_status: the endpoint answered 500' } : {}),
    });
    for (let n = 1; n <= attempts; n++) {
      body.attempts.push({
        id: fakeId('att'), account: t.accountId, deliveryId: id, webhookId: s.webhookId, number: n, startedAt: createdAt.toISOString(), durationMs: 42,
        request: { url: 'https://erp.example.com/hooks/herald', method: 'POST', headers: { 'content-type': 'application/json', authorization: '********' }, body: JSON.stringify({ entity_id: entity.id }) },
        ...(failed
          ? { response: { status: 500, headers: { 'content-type': 'text/plain' }, body: s.responseBody ?? 'Internal Server Error', truncated: false }, error: { class: 'http_status' as const, message: 'the endpoint answered 500' }, success: false }
          : { response: { status: 200, headers: {}, body: '{"ok":true}', truncated: false }, success: true }),
      });
    }
  }
  const res = await fetch(`${seed.url}/deliveries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`seed: ${res.status} ${await res.text()}`);
  return body.deliveries.map((d) => d.id);
}
