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
}

export function topicNames(prefix = ''): TopicNames {
  return {
    events: `${prefix}herald.events`,
    eventsDlq: `${prefix}herald.events.dlq`,
    deliveries: `${prefix}herald.deliveries`,
    deliveriesDlq: `${prefix}herald.deliveries.dlq`,
    config: `${prefix}herald.config`,
  };
}

export const TOPICS: TopicNames = topicNames();
