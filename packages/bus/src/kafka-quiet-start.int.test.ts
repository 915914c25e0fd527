import { describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from '../../../test/services.ts';
import type { BusLogger } from './bus-logger.ts';
import { createKafkaBus } from './kafka-bus.ts';
import { waitUntil } from './testing/wait-until.ts';

describe('a healthy start on real Kafka', () => {
  it('logs nothing at warn or error: new topics, a new group joining, a message through', async () => {
    const loud: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const logger: BusLogger = {
      debug: () => {},
      info: () => {},
      warn: (fields, message) => loud.push({ level: 'warn', message, fields }),
      error: (fields, message) => loud.push({ level: 'error', message, fields }),
    };
    const bus = createKafkaBus({ brokers: kafkaBrokers(), clientId: uniqueName('herald-quiet'), topicPrefix: 'herald-quiet-test.', logger });
    const topic = uniqueName('quiet');
    const got: string[] = [];
    try {
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const sub = await bus.subscribe({
        groupId: uniqueName('g-quiet'),
        topics: [topic],
        handleBatch: async (batch) => {
          for (const m of batch.messages) got.push(m.value.toString());
        },
      });
      await bus.publish(topic, [{ key: 'k', value: 'hello' }]);
      await waitUntil(() => got.length === 1, 'the message', 30_000);
      await sub.stop();
    } finally {
      await bus.close();
    }
    expect(loud).toEqual([]);
  });
});
