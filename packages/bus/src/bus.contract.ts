import { afterEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../../../test/services.ts';
import type { Batch, Bus, ConsumedMessage, OutgoingMessage, SubscribeOptions, Subscription } from './bus.ts';
import { waitUntil } from './testing/wait-until.ts';

/** One bus to test, and what to do after the test closed it. */
export interface BusUnderTest {
  bus: Bus;
  cleanup?: () => Promise<void>;
}

export interface BusContractOptions {
  /** How long a test waits for messages to arrive before it fails. Default 15 s (Kafka needs its group joins). */
  waitMs?: number;
}

/** What one subscription received, and what was wrong with the batches it was handed. */
interface Received {
  subscription: Subscription;
  /** Messages of the batches whose handleBatch resolved, in the order handled. */
  messages: ConsumedMessage[];
  values(): string[];
  /** Violations of the batch invariants (non-empty, one topic-partition, rising offsets). */
  problems: string[];
}

type Handler = (batch: Batch) => Promise<void> | void;

function valuesOf(messages: ConsumedMessage[]): string[] {
  return messages.map((m) => m.value.toString('utf8'));
}

function batchProblems(batch: Batch): string[] {
  const problems: string[] = [];
  if (batch.messages.length === 0) problems.push(`empty batch of ${batch.topic}/${batch.partition}`);
  let previous = -1n;
  for (const m of batch.messages) {
    if (m.topic !== batch.topic || m.partition !== batch.partition) {
      problems.push(`message of ${m.topic}/${m.partition} in a batch of ${batch.topic}/${batch.partition}`);
    }
    const offset = BigInt(m.offset);
    if (offset <= previous) problems.push(`offset ${m.offset} after ${previous} in ${batch.topic}/${batch.partition}`);
    previous = offset;
  }
  return problems;
}

function numbered(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${prefix}${String(from + i).padStart(3, '0')}`);
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

/**
 * The behaviour every `Bus` implementation must show, as a vitest suite. Run it from a test
 * file of the implementation: `busContract('memory', async () => ({ bus: createMemoryBus() }))`.
 * Each test makes its own bus, topics and groups, so the suite can share a broker with others.
 */
export function busContract(
  name: string,
  makeBus: () => Promise<BusUnderTest>,
  contractOptions: BusContractOptions = {},
): void {
  const waitMs = contractOptions.waitMs ?? 15_000;

  describe(`Bus contract: ${name}`, () => {
    let opened: BusUnderTest[] = [];

    afterEach(async () => {
      const toClose = opened.reverse();
      opened = [];
      for (const { bus, cleanup } of toClose) {
        await bus.close();
        await cleanup?.();
      }
    });

    async function openBus(): Promise<Bus> {
      const underTest = await makeBus();
      opened.push(underTest);
      return underTest.bus;
    }

    async function consume(
      bus: Bus,
      options: Omit<SubscribeOptions, 'handleBatch'>,
      handler: Handler = () => {},
    ): Promise<Received> {
      const messages: ConsumedMessage[] = [];
      const problems: string[] = [];
      const subscription = await bus.subscribe({
        ...options,
        handleBatch: async (batch) => {
          problems.push(...batchProblems(batch));
          await handler(batch);
          messages.push(...batch.messages);
        },
      });
      return { subscription, messages, problems, values: () => valuesOf(messages) };
    }

    function until(condition: () => boolean, what: string | (() => string)): Promise<void> {
      return waitUntil(condition, what, waitMs);
    }

    async function newTopic(bus: Bus, label: string, partitions: number): Promise<string> {
      const topic = uniqueName(`bus-${label}`);
      await bus.ensureTopics([{ topic, partitions }]);
      return topic;
    }

    function plain(values: string[], key: (i: number) => string | null = () => 'one-key'): OutgoingMessage[] {
      return values.map((value, i) => ({ key: key(i), value }));
    }

    it('delivers a message with its key, value and headers', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'roundtrip', 1);
      const binary = Buffer.from([0, 1, 2, 127, 128, 255]);
      const before = Date.now();
      await bus.publish(topic, [
        { key: 'acc_1:ticket:1042', value: binary, headers: { 'content-type': 'application/octet-stream', 'x-trace': 'tr-1' } },
        { key: null, value: '{"hello":"wörld"}' },
      ]);

      const received = await consume(bus, { groupId: uniqueName('g-roundtrip'), topics: [topic] });
      await until(() => received.messages.length >= 2, () => `2 messages, got ${received.messages.length}`);
      await received.subscription.stop();

      expect(received.problems).toEqual([]);
      expect(received.messages).toHaveLength(2);
      const [first, second] = received.messages as [ConsumedMessage, ConsumedMessage];
      expect(first).toMatchObject({ topic, partition: 0, offset: '0', key: 'acc_1:ticket:1042' });
      expect(Buffer.isBuffer(first.value)).toBe(true);
      expect(first.value.equals(binary)).toBe(true);
      expect(first.headers).toEqual({ 'content-type': 'application/octet-stream', 'x-trace': 'tr-1' });
      expect(first.timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(first.timestamp).toBeLessThanOrEqual(Date.now() + 1000);
      expect(second).toMatchObject({ topic, partition: 0, offset: '1', key: null, headers: {} });
      expect(second.value.toString('utf8')).toBe('{"hello":"wörld"}');
    });

    it('keeps the order of each key, across partitions', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'order', 3);
      const keys = Array.from({ length: 10 }, (_, k) => `key-${k}`);
      // 200 messages, 20 per key, interleaved, over four publish calls.
      for (let call = 0; call < 4; call++) {
        const messages = Array.from({ length: 50 }, (_, i) => {
          const n = call * 50 + i;
          const key = keys[n % 10]!;
          return { key, value: JSON.stringify({ key, seq: Math.floor(n / 10) }) };
        });
        await bus.publish(topic, messages);
      }

      const received = await consume(bus, { groupId: uniqueName('g-order'), topics: [topic] });
      await until(() => received.messages.length >= 200, () => `200 messages, got ${received.messages.length}`);
      await received.subscription.stop();

      expect(received.problems).toEqual([]);
      expect(received.messages).toHaveLength(200);
      const partitionsUsed = new Set<number>();
      for (const key of keys) {
        const ofKey = received.messages.filter((m) => m.key === key);
        expect(ofKey.map((m) => (JSON.parse(m.value.toString('utf8')) as { seq: number }).seq)).toEqual(
          Array.from({ length: 20 }, (_, seq) => seq),
        );
        expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
        partitionsUsed.add(ofKey[0]!.partition);
      }
      // The keys really were spread, so the order held across partitions, not within one.
      expect(partitionsUsed.size).toBeGreaterThan(1);
    });

    it('gives every group every message', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'groups', 2);
      const values = numbered('m', 0, 30);
      await bus.publish(topic, plain(values, (i) => `k${i % 5}`));

      const [one, two] = await Promise.all([
        consume(bus, { groupId: uniqueName('g-one'), topics: [topic] }),
        consume(bus, { groupId: uniqueName('g-two'), topics: [topic] }),
      ]);
      await until(
        () => one.messages.length >= 30 && two.messages.length >= 30,
        () => `30 messages in each group, got ${one.messages.length} and ${two.messages.length}`,
      );
      await Promise.all([one.subscription.stop(), two.subscription.stop()]);

      for (const group of [one, two]) {
        expect(group.problems).toEqual([]);
        expect([...group.values()].sort()).toEqual(values);
      }
    });

    it('hands a failed batch again after retryDelayMs, and skips nothing', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'retry', 1);
      const retryDelayMs = 300;
      const failures: Array<{ firstOffset: string; values: string[]; at: number }> = [];
      const afterFailure: Array<{ firstOffset: string; values: string[]; at: number }> = [];
      let failuresLeft = 2;

      const received = await consume(bus, { groupId: uniqueName('g-retry'), topics: [topic], retryDelayMs }, (batch) => {
        const handed = { firstOffset: batch.messages[0]!.offset, values: valuesOf(batch.messages), at: performance.now() };
        if (afterFailure.length < failures.length) afterFailure.push(handed);
        if (handed.values.includes('m010') && failuresLeft > 0) {
          failuresLeft--;
          failures.push(handed);
          throw new Error('handleBatch fails on purpose');
        }
      });
      // The first ten are committed before the failing batch comes, so it starts at offset 10.
      await bus.publish(topic, plain(numbered('m', 0, 10)));
      await until(() => received.messages.length >= 10, () => `the first 10 messages, got ${received.messages.length}`);
      await bus.publish(topic, plain(numbered('m', 10, 30)));
      await until(() => received.messages.length >= 30, () => `30 messages, got ${received.values().join(',')}`);
      await received.subscription.stop();

      expect(received.problems).toEqual([]);
      expect(failures).toHaveLength(2);
      expect(afterFailure).toHaveLength(2);
      for (let i = 0; i < failures.length; i++) {
        const failed = failures[i]!;
        const retried = afterFailure[i]!;
        expect(failed.firstOffset).toBe('10');
        expect(retried.firstOffset).toBe(failed.firstOffset);
        expect(retried.values.slice(0, failed.values.length)).toEqual(failed.values);
        expect(retried.at - failed.at).toBeGreaterThanOrEqual(retryDelayMs - 10);
      }
      // Every message handled successfully exactly once, in order.
      expect(received.values()).toEqual(numbered('m', 0, 30));
    });

    it('resumes a group after its last committed batch; a failing batch is never committed', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'resume', 1);
      const groupId = uniqueName('g-resume');
      let failures = 0;

      const first = await consume(bus, { groupId, topics: [topic], retryDelayMs: 100 }, (batch) => {
        if (valuesOf(batch.messages).includes('m005')) {
          failures++;
          throw new Error('handleBatch fails on purpose');
        }
      });
      await bus.publish(topic, plain(numbered('m', 0, 5)));
      await until(() => first.messages.length >= 5, () => `the first 5 messages, got ${first.messages.length}`);
      await bus.publish(topic, plain(numbered('m', 5, 20)));
      await until(() => failures >= 2, 'the batch with m005 to fail twice');
      await first.subscription.stop();
      expect(first.values()).toEqual(numbered('m', 0, 5));

      const second = await consume(bus, { groupId, topics: [topic] });
      await until(() => second.values().includes('m019'), () => `m019, got ${second.values().join(',')}`);
      await second.subscription.stop();

      // One partition, so a re-delivery of m000..m004 would have come before m019.
      expect(second.problems).toEqual([]);
      expect(second.values()).toEqual(numbered('m', 5, 20));
    });

    it('stop() waits for the batch in hand and commits it; the group goes on right after it', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'stop', 1);
      const groupId = uniqueName('g-stop');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let holderBatches = 0;
      let holder: Received | undefined;
      const blockFirstBatch = (self: () => Received) => async (): Promise<void> => {
        if (holder === undefined) holder = self();
        if (holder === self()) {
          holderBatches++;
          await gate;
        }
      };
      // Two members of one group on one partition: one holds it, the other waits for it.
      const x: Received = await consume(bus, { groupId, topics: [topic] }, blockFirstBatch(() => x));
      const y: Received = await consume(bus, { groupId, topics: [topic] }, blockFirstBatch(() => y));
      await bus.publish(topic, plain(numbered('m', 0, 10)));
      await until(() => holder !== undefined, 'the first batch to be handed');
      const holding = holder!;
      const waiting = holding === x ? y : x;

      let stopped = false;
      const stopping = holding.subscription.stop().then(() => {
        stopped = true;
      });
      await bus.publish(topic, plain(numbered('m', 10, 15)));
      // A fixed pause is the only way to show that stop() is still waiting for the handler,
      // and that the partition in hand is not handed to the other member meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stopped).toBe(false);
      expect(waiting.messages).toHaveLength(0);
      release();
      await stopping;
      // The handler finished (its messages were recorded) before stop() resolved.
      expect(holding.messages.length).toBeGreaterThan(0);

      await until(() => waiting.values().includes('m014'), () => `m014, got ${waiting.values().join(',')}`);
      await waiting.subscription.stop();

      expect(holderBatches).toBe(1);
      expect(holding.problems).toEqual([]);
      expect(waiting.problems).toEqual([]);
      // The batch in hand at stop() was committed: the other member went on right after it.
      expect([...holding.values(), ...waiting.values()]).toEqual(numbered('m', 0, 15));
    });

    it('shares the partitions among the subscriptions of a group, each message seen once', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'share', 4);
      const groupId = uniqueName('g-share');
      const a = await consume(bus, { groupId, topics: [topic] });
      const b = await consume(bus, { groupId, topics: [topic] });
      const published: string[] = [];
      const total = (): number => a.messages.length + b.messages.length;

      async function publishRound(label: string): Promise<void> {
        const values = numbered(`${label}-`, 0, 40);
        await bus.publish(topic, plain(values, (i) => `k${i}`));
        published.push(...values);
        await until(() => total() >= published.length, () => `${published.length} messages, got ${total()}`);
      }
      const partitionsOf = (received: Received, label: string): Set<number> =>
        new Set(received.messages.filter((m) => m.value.toString().startsWith(label)).map((m) => m.partition));

      // Both joined when subscribe() resolved, so the first round is normally split already;
      // more rounds only if the group was still settling.
      const deadline = Date.now() + waitMs;
      for (let round = 0; a.messages.length === 0 || b.messages.length === 0; round++) {
        if (Date.now() > deadline) throw new Error(`one subscription got nothing: ${a.messages.length} and ${b.messages.length}`);
        await publishRound(`r${round}`);
      }
      // Once settled, each partition belongs to one of them, round after round.
      for (let round = 0; round < 3; round++) await publishRound(`stable${round}`);
      const aStable = partitionsOf(a, 'stable');
      const bStable = partitionsOf(b, 'stable');
      expect([...aStable].filter((p) => bStable.has(p))).toEqual([]);
      expect([...aStable, ...bStable].sort()).toEqual([0, 1, 2, 3]);

      const bBeforeStop = b.messages.length;
      await b.subscription.stop();
      // The partitions of the stopped one go to the one left.
      await publishRound('after-stop');
      await a.subscription.stop();

      const all = [...a.values(), ...b.values()];
      expect(a.problems).toEqual([]);
      expect(b.problems).toEqual([]);
      expect(duplicates(all)).toEqual([]);
      expect([...all].sort()).toEqual([...published].sort());
      expect(b.messages.length).toBe(bBeforeStop);
      expect(partitionsOf(a, 'after-stop')).toEqual(new Set([0, 1, 2, 3]));
    });

    it('with fromBeginning false, delivers only what is published after subscribe() resolved', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'latest', 1);
      await bus.publish(topic, plain(['old-1', 'old-2']));

      const received = await consume(bus, { groupId: uniqueName('g-latest'), topics: [topic], fromBeginning: false });
      await bus.publish(topic, plain(['new-1', 'new-2']));
      await until(() => received.values().includes('new-2'), () => `new-2, got ${received.values().join(',')}`);
      await received.subscription.stop();

      expect(received.values()).toEqual(['new-1', 'new-2']);
    });

    it('ensureTopics creates the partitions asked for, and leaves existing topics as they are', async () => {
      const bus = await openBus();
      const three = uniqueName('bus-three');
      const two = uniqueName('bus-two');
      await bus.ensureTopics([{ topic: three, partitions: 3 }]);
      await bus.ensureTopics([{ topic: three, partitions: 3 }]);
      await bus.ensureTopics([
        { topic: three, partitions: 5 },
        { topic: two, partitions: 2 },
      ]);
      const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
      await bus.publish(three, plain(keys, (i) => keys[i]!));
      await bus.publish(two, plain(keys, (i) => keys[i]!));

      const received = await consume(bus, { groupId: uniqueName('g-topics'), topics: [three, two] });
      await until(() => received.messages.length >= 120, () => `120 messages, got ${received.messages.length}`);
      await received.subscription.stop();

      const partitionsOf = (topic: string): number[] =>
        [...new Set(received.messages.filter((m) => m.topic === topic).map((m) => m.partition))].sort();
      expect(partitionsOf(three)).toEqual([0, 1, 2]);
      expect(partitionsOf(two)).toEqual([0, 1]);
      expect(received.messages).toHaveLength(120);
    });

    it('answers ping, and refuses work once closed', async () => {
      const bus = await openBus();
      const topic = await newTopic(bus, 'close', 1);
      await expect(bus.ping()).resolves.toBeUndefined();
      const received = await consume(bus, { groupId: uniqueName('g-close'), topics: [topic] });
      await bus.close();
      await expect(bus.ping()).rejects.toThrow();
      await expect(bus.publish(topic, plain(['late']))).rejects.toThrow();
      await expect(bus.subscribe({ groupId: uniqueName('g-late'), topics: [topic], handleBatch: async () => {} })).rejects.toThrow();
      // close() stopped the subscription; stopping it again is harmless.
      await received.subscription.stop();
    });
  });
}
