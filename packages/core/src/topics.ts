/** The Kafka topics of Herald. A deployment (or a test) may prefix them all: `HERALD_TOPIC_PREFIX`. */
export interface TopicNames {
  /** Domain events from the host product. */
  events: string;
  /** Events that failed validation, with the reason in the `herald-error` header. */
  eventsDlq: string;
  /** Delivery jobs from the matcher to the delivery app. */
  deliveries: string;
  /** Jobs the delivery app could not read. */
  deliveriesDlq: string;
  /** Configuration changes, for the matchers' caches. */
  config: string;
  /** Operational events for the operator's tooling (JSON), e.g. `webhook.disabled` (F14). */
  operations: string;
}

export function topicNames(prefix = ''): TopicNames {
  return {
    events: `${prefix}herald.events`,
    eventsDlq: `${prefix}herald.events.dlq`,
    deliveries: `${prefix}herald.deliveries`,
    deliveriesDlq: `${prefix}herald.deliveries.dlq`,
    config: `${prefix}herald.config`,
    operations: `${prefix}herald.operations`,
  };
}

export const TOPICS: TopicNames = topicNames();
