import { entityKey, topicNames, unknownReferenceErrors, validateEnvelope, type EventEnvelope, type FieldError, type TopicNames } from '@herald/core';
import { decodeJson, encodeJson, type Batch, type Bus, type OutgoingMessage, type Subscription } from '@herald/bus';
import type { EventType, Store } from '@herald/store';
import { EventDataValidator, TtlCache, type Logger, type MatcherEventResult, type MatcherMetrics } from '@herald/runtime';
import { AccountPlans, type AccountPlan } from './account-plans.ts';
import { matchEvent } from './match-event.ts';

export interface MatcherOptions {
  bus: Bus;
  store: Store;
  logger: Logger;
  topics?: TopicNames;
  groupId?: string;
  cacheTtlMs?: number;
  /**
   * Event data that fails its event type's JSON Schema: `reject` (to the DLQ) or `flag` (matched
   * anyway). Default reject. An event of an unknown account or type goes to the DLQ either way.
   */
  eventValidation?: 'reject' | 'flag';
  /** Counts events by result for /metrics (createMatcherMetrics). Absent = none. */
  metrics?: MatcherMetrics;
}

export interface Matcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Drops cached configuration (one account, or all). */
  invalidate(account?: string): void;
}

/** The header that carries why a message went to a dead-letter topic. */
export const DLQ_ERROR_HEADER = 'herald-error';

/**
 * Reads events from `herald.events`, matches each against its account's subscriptions and event
 * rules and produces one job per (event, webhook, schema) to `herald.deliveries`. A message that is
 * not a valid envelope, or an event of an account that does not exist or of a type that is not in
 * the event type catalog, or (reject mode) whose data fails its type's schema, goes to
 * `herald.events.dlq` with the reason (`[{ field, message }]` in the DLQ_ERROR_HEADER, as the HTTP
 * intake's 400/422 name them), and the matcher moves on. A batch is committed only after Kafka
 * acknowledged everything it produced.
 */
export function createMatcher(options: MatcherOptions): Matcher {
  const { bus, store, logger } = options;
  const topics = options.topics ?? topicNames();
  const cache = new AccountPlans(store, options.cacheTtlMs ?? 30_000);
  let configSubscription: Subscription | undefined;
  const ttl = options.cacheTtlMs ?? 30_000;
  const typeCache = new TtlCache((name) => store.eventTypes.get(name), ttl);
  const dataValidator = new EventDataValidator((name) => typeCache.get(name));
  const instance = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  let subscription: Subscription | undefined;

  /** The message as a valid event, or why it is not one. Store trouble throws (the batch is retried). */
  async function readEvent(value: Buffer): Promise<{ event: EventEnvelope; type: EventType; account: AccountPlan } | { errors: FieldError[] }> {
    let parsed: unknown;
    try {
      parsed = decodeJson(value);
    } catch (err) {
      return { errors: (err as { errors: FieldError[] }).errors };
    }
    const r = validateEnvelope(parsed);
    if (!r.ok) return { errors: r.errors };
    // Both cached: an unknown account or type costs a store read once per TTL (or config change).
    const [account, type] = await Promise.all([cache.get(r.value.account), typeCache.get(r.value.type)]);
    const unknown = unknownReferenceErrors({ account: account.known, type: type !== null });
    if (unknown.length > 0 || type === null) return { errors: unknown };
    if (r.value.action !== 'delete' && (options.eventValidation ?? 'reject') === 'reject') {
      const errors = dataValidator.errorsFor(type.name, type, r.value.data);
      if (errors.length > 0) return { errors };
    }
    return { event: r.value, type, account };
  }

  async function handleBatch(batch: Batch): Promise<void> {
    const jobs: OutgoingMessage[] = [];
    const dead: OutgoingMessage[] = [];
    /** What each event came to, counted once the batch's output is acknowledged. */
    const results: { result: MatcherEventResult; account: string | undefined; jobs: number }[] = [];
    for (const m of batch.messages) {
      const checked = await readEvent(m.value);
      if ('event' in checked) {
        // An archived event type is switched off: its events are taken in and go to no webhook.
        if (checked.type.archived) {
          logger.debug({ eventId: checked.event.id, type: checked.event.type }, 'event of an archived type: matched to nothing');
          results.push({ result: 'archived_type', account: checked.event.account, jobs: 0 });
          continue;
        }
        const matched = matchEvent(checked.event, checked.account);
        for (const job of matched) {
          jobs.push({ key: entityKey(checked.event), value: encodeJson(job), headers: { 'herald-event-id': checked.event.id } });
        }
        results.push({ result: matched.length > 0 ? 'matched' : 'no_match', account: checked.event.account, jobs: matched.length });
        continue;
      }
      const { errors } = checked;
      results.push({ result: 'dlq', account: undefined, jobs: 0 });
      logger.warn({ topic: m.topic, partition: m.partition, offset: m.offset, errors }, 'invalid event sent to the dead-letter topic');
      dead.push({
        key: m.key,
        value: m.value,
        headers: {
          ...m.headers,
          [DLQ_ERROR_HEADER]: JSON.stringify(errors),
          'herald-source': `${m.topic}/${m.partition}/${m.offset}`,
        },
      });
    }
    await Promise.all([
      jobs.length > 0 ? bus.publish(topics.deliveries, jobs) : undefined,
      dead.length > 0 ? bus.publish(topics.eventsDlq, dead) : undefined,
    ]);
    for (const r of results) options.metrics?.event(r.result, r.account, r.jobs);
    logger.debug({ partition: batch.partition, events: batch.messages.length, jobs: jobs.length, dead: dead.length }, 'batch matched');
  }

  return {
    async start() {
      subscription = await bus.subscribe({
        groupId: options.groupId ?? 'herald-matcher',
        topics: [topics.events],
        handleBatch,
      });
      // Every matcher instance reads every configuration change (a group of its own), from now on.
      configSubscription = await bus.subscribe({
        groupId: `${options.groupId ?? 'herald-matcher'}-config-${instance}`,
        topics: [topics.config],
        fromBeginning: false,
        handleBatch: async (batch) => {
          for (const m of batch.messages) {
            try {
              const change = decodeJson(m.value) as { kind?: string; account?: string; id?: string };
              if (change.kind === 'event-type' && change.id) typeCache.invalidate(change.id);
              else cache.invalidate(change.account);
            } catch {
              cache.invalidate();
            }
          }
        },
      });
      logger.info({ topic: topics.events }, 'matcher started');
    },
    async stop() {
      await subscription?.stop();
      await configSubscription?.stop();
      subscription = undefined;
      configSubscription = undefined;
    },
    invalidate: (account) => cache.invalidate(account),
  };
}
