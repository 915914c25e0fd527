/**
 * The child process of sqlite-store.test.ts's SIGKILL test (not a test itself):
 * `node --import tsx kill-child.fixture.ts <file> <count>` opens the SQLite store at <file> and
 * writes, one call at a time, until it has made <count> rounds or is killed. After each write's
 * promise resolves it prints one line naming what was acknowledged:
 *
 *   delivery <id>        deliveries.insertMany([<id>]) resolved
 *   attempt <id>         attempts.insert(attempt 1 of <id>) resolved
 *   claim <key> <id>     dedup.claim(<key>, <id>) resolved with <id> as the holder
 *   webhook <id>         webhooks.upsert(<id>) resolved (every 10th round)
 *
 * Lines go out with writeSync (a line is far below PIPE_BUF, so each arrives whole or not at
 * all). The parent kills it with SIGKILL mid-stream and checks that every acknowledged write is
 * in the file. The store is never closed: what survives is what the commits left on disk.
 */
import { writeSync } from 'node:fs';
import { createSqliteStore } from './sqlite-store.ts';

export const KILL_CHILD_ACCOUNT = 'acc_kill';
export const KILL_CHILD_KEY = Buffer.alloc(32, 7);
export const KILL_CHILD_T0 = new Date('2031-03-01T10:00:00.000Z');

export function killChildSecret(webhookId: string): string {
  return `whsec_${Buffer.from(`secret of ${webhookId}`).toString('base64')}`;
}

async function main(path: string, count: number): Promise<void> {
  // The child never outlives a parent that forgot it.
  setTimeout(() => process.exit(2), 60_000).unref();
  const store = createSqliteStore({ path, encryptionKey: KILL_CHILD_KEY });
  await store.init();
  const account = KILL_CHILD_ACCOUNT;
  const t0 = KILL_CHILD_T0;
  const say = (line: string) => writeSync(1, `${line}\n`);
  for (let i = 0; i < count; i++) {
    const id = `dlv_${String(i).padStart(7, '0')}`;
    await store.deliveries.insertMany([
      {
        id,
        account,
        webhookId: 'wh_kill',
        schemaId: null,
        eventId: `evt_${i}`,
        eventType: 'ticket.updated',
        entity: { type: 'ticket', id: String(i) },
        event: { id: `evt_${i}`, type: 'ticket.updated', account, entity: { type: 'ticket', id: String(i) }, action: 'update', occurredAt: t0.toISOString(), data: { i } },
        status: 'pending',
        nextAttemptAt: new Date(t0.getTime() + 60_000),
        attempts: 1,
        lastError: 'http_status: 503',
        createdAt: t0,
      },
    ]);
    say(`delivery ${id}`);
    await store.attempts.insert({
      id: `att_${i}`,
      account,
      deliveryId: id,
      webhookId: 'wh_kill',
      number: 1,
      startedAt: t0,
      durationMs: 12,
      request: { url: 'https://example.com/hook', method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"i":${i}}` },
      response: { status: 503, headers: {}, body: 'busy', truncated: false },
      success: false,
    });
    say(`attempt ${id}`);
    const key = `key_${i}`;
    const holder = await store.dedup.claim(account, key, id, t0, new Date(t0.getTime() + 3_600_000));
    if (holder === id) say(`claim ${key} ${id}`);
    if (i % 10 === 0) {
      const webhookId = `wh_${String(i).padStart(7, '0')}`;
      await store.webhooks.upsert({
        id: webhookId,
        account,
        name: `Webhook ${i}`,
        url: 'https://example.com/hook',
        method: 'POST',
        active: true,
        eventTypes: ['ticket.updated'],
        auth: { type: 'basic', username: 'erp', password: `pw-${i}` },
        headers: {},
        secret: killChildSecret(webhookId),
        dedupWindowSeconds: 60,
        createdAt: t0,
        updatedAt: t0,
      });
      say(`webhook ${webhookId}`);
    }
  }
  say('done');
  await store.close();
}

const [path, count] = process.argv.slice(2);
if (path !== undefined && count !== undefined && process.argv[1]?.endsWith('kill-child.fixture.ts')) {
  await main(path, Number(count));
}
