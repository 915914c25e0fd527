import { isHeraldError } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { waitForLeaders } from './wait-for-leaders.ts';

type Meta = Awaited<ReturnType<Parameters<typeof waitForLeaders>[0]['fetchTopicMetadata']>>;

const partition = (partitionId: number, leader: number) => ({ partitionErrorCode: 0, partitionId, leader, replicas: [1], isr: [1], offlineReplicas: [] });
const kafkaError = (type: string) => Object.assign(new Error(`broker said ${type}`), { type });

/**
 * An admin client whose fetchTopicMetadata answers each call with the next scripted answer (the
 * last one repeats), and whose fetchTopicOffsets fails with the scripted errors first, then answers.
 */
function scripted(answers: (Meta | Error)[], offsetErrors: Error[] = []) {
  let calls = 0;
  let offsetCalls = 0;
  return {
    get calls() { return calls; },
    get offsetCalls() { return offsetCalls; },
    async fetchTopicMetadata() {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async fetchTopicOffsets() {
      const error = offsetErrors[offsetCalls++];
      if (error) throw error;
      return [{ partition: 0, offset: '0', high: '0', low: '0' }];
    },
  };
}

const ready: Meta = { topics: [{ name: 't', partitions: [partition(0, 1), partition(1, 1)] }] };

describe('waitForLeaders', () => {
  it('waits through a broker that does not know a topic it has just created yet, and through partitions without a leader', async () => {
    const admin = scripted([
      kafkaError('UNKNOWN_TOPIC_OR_PARTITION'),
      kafkaError('LEADER_NOT_AVAILABLE'),
      { topics: [{ name: 't', partitions: [partition(0, 1), partition(1, -1)] }] },
      ready,
    ]);
    await waitForLeaders(admin, ['t'], 5_000, 1);
    expect(admin.calls).toBe(4);
  });

  it('returns at once when every partition has a leader that answers for it', async () => {
    const admin = scripted([ready]);
    await waitForLeaders(admin, ['t'], 5_000, 1);
    expect(admin.calls).toBe(1);
    expect(admin.offsetCalls).toBe(1);
  });

  it('waits through leaders that the metadata names but that do not answer for their partitions yet', async () => {
    const admin = scripted([ready], [kafkaError('NOT_LEADER_FOR_PARTITION'), kafkaError('UNKNOWN_TOPIC_OR_PARTITION')]);
    await waitForLeaders(admin, ['t'], 5_000, 1);
    expect(admin.offsetCalls).toBe(3);
  });

  it('passes any other error on at once', async () => {
    const admin = scripted([kafkaError('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(waitForLeaders(admin, ['t'], 5_000, 1)).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(admin.calls).toBe(1);
  });

  it('gives up after its timeout with HERALD_UNAVAILABLE naming the topics and the last answer', async () => {
    const admin = scripted([kafkaError('UNKNOWN_TOPIC_OR_PARTITION')]);
    const err = await waitForLeaders(admin, ['t', 'u'], 30, 5).catch((e: unknown) => e);
    expect(isHeraldError(err) && err.code).toBe('HERALD_UNAVAILABLE');
    expect((err as Error).message).toMatch(/Topics t, u were created but had no leaders after 30 ms: broker said UNKNOWN_TOPIC_OR_PARTITION/);
  });
});
