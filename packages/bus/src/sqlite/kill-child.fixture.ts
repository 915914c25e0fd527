/**
 * The child process of sqlite-bus.test.ts (not a test itself), run as
 * `node --import tsx kill-child.fixture.ts <mode> <file> [count]`:
 *
 * - `publish <file> <count>`: opens the SQLite bus at <file>, subscribes the group `g-child` (which
 *   handles and commits batches as they come) and the group `g-holding` (whose first batch never
 *   finishes, so it commits nothing and retention deletes nothing), and publishes <count> messages `m<i>`, one call at a
 *   time, in calls of 1 to 3 messages, until done or killed. After each publish resolves it prints
 *   `acked <value> <value>...`. The parent SIGKILLs it mid-stream; the bus is never closed, so what
 *   survives is what the commits left in the file.
 * - `open <file>`: tries to open the bus at <file> and prints `opened`, or `error <code> <message>`.
 *
 * Lines go out with writeSync (each far below PIPE_BUF, so it arrives whole or not at all).
 */
import { writeSync } from 'node:fs';
import { isHeraldError } from '@herald/core';
import { createSqliteBus } from './sqlite-bus.ts';

export const KILL_CHILD_TOPIC = 'kill-topic';
export const KILL_CHILD_GROUP = 'g-child';
/** A group of the child whose first batch never finishes: it holds retention, so the file keeps every message. */
export const KILL_CHILD_HOLDING_GROUP = 'g-holding';

const say = (line: string): void => void writeSync(1, `${line}\n`);

async function publish(path: string, count: number): Promise<void> {
  const bus = createSqliteBus({ path, partitions: 2, maxBatchSize: 7 });
  await bus.ensureTopics([{ topic: KILL_CHILD_TOPIC, partitions: 2 }]);
  await bus.subscribe({ groupId: KILL_CHILD_GROUP, topics: [KILL_CHILD_TOPIC], handleBatch: async () => {} });
  await bus.subscribe({ groupId: KILL_CHILD_HOLDING_GROUP, topics: [KILL_CHILD_TOPIC], handleBatch: () => new Promise<void>(() => {}) });
  for (let i = 0; i < count; ) {
    const size = 1 + (i % 3);
    const values = Array.from({ length: Math.min(size, count - i) }, (_, k) => `m${i + k}`);
    await bus.publish(
      KILL_CHILD_TOPIC,
      values.map((value) => ({ key: `k${value.length % 5}-${value}`, value, headers: { 'x-n': value } })),
    );
    say(`acked ${values.join(' ')}`);
    // As a server between requests: the consumer gets its turns.
    await new Promise((resolve) => setImmediate(resolve));
    i += values.length;
  }
  say('done');
  await bus.close();
}

function open(path: string): void {
  try {
    createSqliteBus({ path, busyTimeoutMs: 0 });
    say('opened');
  } catch (err) {
    say(`error ${isHeraldError(err) ? err.code : 'other'} ${err instanceof Error ? err.message : String(err)}`);
  }
}

if (process.argv[1]?.endsWith('kill-child.fixture.ts')) {
  // The child never outlives a parent that forgot it.
  setTimeout(() => process.exit(2), 60_000).unref();
  const [mode, path, count] = process.argv.slice(2);
  if (mode === 'publish' && path !== undefined && count !== undefined) await publish(path, Number(count));
  else if (mode === 'open' && path !== undefined) open(path);
  else {
    process.stderr.write('usage: kill-child.fixture.ts publish <file> <count> | open <file>\n');
    process.exit(2);
  }
}
