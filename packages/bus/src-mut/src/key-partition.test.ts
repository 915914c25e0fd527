import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './key-partition.ts';

describe('partitionForKey', () => {
  // kafkajs' DefaultPartitioner is what the Kafka bus uses; the memory bus must agree with it.
  const kafkaPartitioner = kafkajs.Partitioners.DefaultPartitioner();
  const kafkaPartitionOf = (key: string, partitions: number): number =>
    kafkaPartitioner({
      topic: 't',
      partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      })),
      message: { key, value: null },
    });

  it('picks the partition Kafka picks, for keys of every length and of non-ASCII text', () => {
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'acc_1:ticket:1042',
      'æøå-日本語-🙂',
      ...Array.from({ length: 500 }, (_, i) => `acc_${i % 7}:ticket:${i * 7919}`),
    ];
    for (const partitions of [1, 2, 3, 6, 12, 50]) {
      for (const key of keys) {
        expect(partitionForKey(key, partitions), `${key} over ${partitions}`).toBe(kafkaPartitionOf(key, partitions));
      }
    }
  });

  it('matches the Java client on the values of its own test (UtilsTest.testMurmur2)', () => {
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });
});
