/**
 * The SQLite bus's own throughput (packages/bus/src/sqlite/): BENCH_MESSAGES messages (default
 * 10 000) of ~500 bytes published in calls of BENCH_BATCH (default 100) to a one-partition topic,
 * while one consumer group (batches of up to 500, as the memory bus) takes them; the clock runs from
 * the first publish to the last message handled and committed. Each publish call is followed by a
 * turn of the event loop, as a server between requests, so publishing and consuming interleave.
 * Runs with synchronous NORMAL (the default) and FULL, then the in-memory bus for reference, and
 * the same with calls of 1 message (POST /v1/events publishes one event a call).
 *
 *   npx tsx bench/sqlite-bus.ts
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBus, createSqliteBus, type Bus } from '../packages/bus/src/index.ts';

const N = Math.max(100, Number(process.env.BENCH_MESSAGES ?? 10_000));
const BATCH = Math.max(1, Number(process.env.BENCH_BATCH ?? 100));
const log = (line: string): void => void process.stderr.write(`[bench:sqlite-bus] ${line}\n`);

const value = JSON.stringify({
  id: 'evt_01JD0000000000000000000000',
  type: 'ticket.priority_changed',
  account: 'acc_bench',
  entity: { type: 'ticket', id: '1042' },
  action: 'update',
  occurredAt: '2026-11-24T10:55:27Z',
  data: { ref: 'T-1042', priority: 'high', title: 'x'.repeat(280) },
  previous: { priority: 'low' },
});

async function run(label: string, bus: Bus, batch: number): Promise<number> {
  await bus.ensureTopics([{ topic: 'bench', partitions: 1 }]);
  let handled = 0;
  let allHandled!: () => void;
  const done = new Promise<void>((resolve) => (allHandled = resolve));
  await bus.subscribe({
    groupId: 'bench-group',
    topics: ['bench'],
    handleBatch: async (b) => {
      handled += b.messages.length;
      if (handled >= N) setImmediate(allHandled); // after this batch's commit
    },
  });
  const started = performance.now();
  for (let sent = 0; sent < N; sent += batch) {
    const size = Math.min(batch, N - sent);
    await bus.publish('bench', Array.from({ length: size }, (_, i) => ({ key: `acc_bench:ticket:${(sent + i) % 50}`, value })));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const elapsed = (performance.now() - started) / 1000;
  await bus.close();
  const perS = N / elapsed;
  log(`${label}, calls of ${batch}: ${N} messages published and consumed in ${(elapsed * 1000).toFixed(0)} ms = ${perS.toFixed(0)} msg/s`);
  return perS;
}

const dir = mkdtempSync(join(tmpdir(), 'herald-bench-bus-'));
try {
  for (const batch of [BATCH, 1]) {
    for (const synchronous of ['normal', 'full'] as const) {
      const path = join(dir, `${synchronous}-${batch}.db`);
      await run(`SQLite, synchronous ${synchronous.toUpperCase()}`, createSqliteBus({ path, synchronous }), batch);
      log(`  file after close: ${(statSync(path).size / 1024).toFixed(0)} KiB (retention pruned what the group committed)`);
    }
    await run('memory', createMemoryBus(), batch);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
