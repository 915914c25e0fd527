import { HeraldError } from '@herald/core';
import type { Admin } from 'kafkajs';
import { isKafkaErrorOf } from './kafka-errors.ts';

/** How long ensureTopics waits for every partition of the topics it created to have a leader. */
export const TOPIC_READY_TIMEOUT_MS = 30_000;

/** What a broker answers for a topic it has created but not yet made ready on every partition. */
const METADATA_LAG_ERRORS: ReadonlySet<string> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  'UNKNOWN_LEADER_EPOCH',
]);

/**
 * Waits until the broker reports a leader for every partition of `topics`, and those leaders
 * answer for them (a ListOffsets, served by each partition's leader, succeeds), treating the
 * errors of a broker that has not caught up with a creation as "not yet". A leader known to the
 * metadata may still refuse the first produce to a partition it has not opened yet; kafkajs then
 * retries the whole send, and the partitions that did take it get those messages twice.
 */
export async function waitForLeaders(
  client: Pick<Admin, 'fetchTopicMetadata' | 'fetchTopicOffsets'>,
  topics: string[],
  timeoutMs: number,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const { topics: meta } = await client.fetchTopicMetadata({ topics });
      const ready =
        meta.length === topics.length &&
        meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) {
        for (const topic of topics) await client.fetchTopicOffsets(topic);
        return;
      }
      last = new Error(`partitions without a leader: ${meta.map((t) => t.name).join(', ')}`);
    } catch (err) {
      if (!isKafkaErrorOf(err, METADATA_LAG_ERRORS)) throw err;
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new HeraldError(
        'HERALD_UNAVAILABLE',
        `Topics ${topics.join(', ')} were created but had no leaders after ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`,
        { cause: last },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
