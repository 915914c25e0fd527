import { describe, expect, it } from 'vitest';
import { isRoutineKafkaLog } from './kafka-bus.ts';

// What kafkajs 2.2.4 logs at ERROR level on a healthy start, as its Connection and Runner write it.
describe('isRoutineKafkaLog', () => {
  it('takes the retriable errors of a new group or topic as routine', () => {
    for (const error of [
      'The group coordinator is not available',
      'This is not the correct coordinator for this group',
      "The coordinator is loading and hence can't process requests for this group",
      'There is no leader for this topic-partition as we are in the middle of a leadership election',
      'This server does not host this topic-partition',
      'The group is rebalancing, so a rejoin is needed',
    ]) {
      expect(isRoutineKafkaLog('Connection', 'Response FindCoordinator(key: 10, version: 2)', error)).toBe(true);
    }
    expect(isRoutineKafkaLog('Runner', 'The coordinator is not aware of this member, re-joining the group', undefined)).toBe(true);
  });

  it('keeps everything else an error: a broker that is down, a crash, authentication', () => {
    expect(isRoutineKafkaLog('BrokerPool', 'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:9092', undefined)).toBe(false);
    expect(isRoutineKafkaLog('Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available', undefined)).toBe(false);
    expect(isRoutineKafkaLog('Connection', 'Response SaslAuthenticate(key: 36, version: 1)', 'SASL PLAIN authentication failed')).toBe(false);
    expect(isRoutineKafkaLog('Connection', 'Response Produce(key: 0, version: 7)', 'The request included a message larger than the max message size the server will accept')).toBe(false);
  });
});
