import { HeraldError } from '@herald/core';

/** Kafka's rule for topic names, so that a name accepted in embedded mode is accepted in production too. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export function checkTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic)) {
    throw HeraldError.validation('Invalid topic name', [
      { field: '/topic', message: `"${topic}" must be 1 to 249 characters of letters, digits, ".", "_" and "-"` },
    ]);
  }
}

export function checkPartitionCount(partitions: number, field: string): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw HeraldError.validation('Invalid partition count', [{ field, message: 'must be a whole number of at least 1' }]);
  }
}
