import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRY_POLICY, topicNames, type Delivery, type DeliveryJob, type TopicNames } from '@herald/core';
import { decodeJson, type Batch, type Bus, type OutgoingMessage, type Subscription } from '@herald/bus';
import { isHeraldError } from '@herald/core';
import type { NewDelivery, Store } from '@herald/store';
import type { Logger } from '@herald/runtime';
import type { HttpSender, PluginRegistry } from '@herald/transport';
import { sendAttempt, type AttemptSettings } from '@herald/dispatch';
import { WorkLimiter } from './work-limiter.ts';
import { parseDeliveryJob } from './delivery-job.ts';

export interface DeliveryServiceOptions {
  bus: Bus;
  store: Store;
  logger: Logger;
  sender: HttpSender;
  plugins: PluginRegistry;
  topics?: TopicNames;
  groupId?: string;
  settings?: Partial<AttemptSettings>;
  /** Attempts in flight at once. Default 64. */
  concurrency?: number;
  /** How often the retry scheduler looks for due deliveries. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How long a claimed delivery is held; must exceed the attempt timeout. Default timeout + 30 s. */
  leaseMs?: number;
}

export interface DeliveryService {
  start(): Promise<void>;
  /** Stops consuming and scheduling, then waits for the attempts in flight. */
  stop(): Promise<void>;
  /** The lease owner name of this instance. */
  readonly owner: string;
}

/** The de-duplication key of a job (F8): its webhook, schema and entity (within its account). */
export function dedupKeyOf(job: Pick<DeliveryJob, 'webhookId' | 'schemaId' | 'event'>): string {
  return JSON.stringify([job.webhookId, job.schemaId, job.event.entity.type, job.event.entity.id]);
}

function toNewDelivery(job: DeliveryJob, now: Date, suppressedBy?: string): NewDelivery {
  if (suppressedBy !== undefined) {
    return {
      id: job.deliveryId, account: job.account, webhookId: job.webhookId, schemaId: job.schemaId, eventId: job.event.id,
      eventType: job.event.type, entity: job.event.entity, event: job.event, status: 'suppressed', nextAttemptAt: null, suppressedBy, createdAt: now,
    };
  }
  return {
    id: job.deliveryId,
    account: job.account,
    webhookId: job.webhookId,
    schemaId: job.schemaId,
    eventId: job.event.id,
    eventType: job.event.type,
    entity: job.event.entity,
    event: job.event,
    status: 'pending',
    nextAttemptAt: now,
    createdAt: now,
  };
}

/**
 * The delivery engine. Jobs from `herald.deliveries` become deliveries in the store
 * (idempotently, by their derived id) before their batch is committed; then each is claimed
 * with a lease and attempted. A scheduler claims the due ones (retries, and any left behind
 * by a crash) from the store, so nothing depends on a process staying up.
 */
export function createDeliveryService(options: DeliveryServiceOptions): DeliveryService {
  const { bus, store, logger, sender, plugins } = options;
  const topics = options.topics ?? topicNames();
  const settings: AttemptSettings = {
    timeoutMs: options.settings?.timeoutMs ?? 15_000,
    maxResponseBytes: options.settings?.maxResponseBytes ?? 65_536,
    retryPolicy: options.settings?.retryPolicy ?? DEFAULT_RETRY_POLICY,
  };
  const leaseMs = options.leaseMs ?? settings.timeoutMs + 30_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const limiter = new WorkLimiter(options.concurrency ?? 64);
  const owner = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  let subscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let polling: Promise<void> = Promise.resolve();

  async function attempt(delivery: Delivery): Promise<void> {
    const log = logger.child({ deliveryId: delivery.id, account: delivery.account, webhookId: delivery.webhookId });
    try {
      const webhook = await store.webhooks.get(delivery.account, delivery.webhookId);
      if (!webhook || !webhook.active) {
        await store.deliveries.complete(delivery.account, delivery.id, owner, {
          status: 'cancelled',
          attempts: delivery.attempts,
          nextAttemptAt: null,
          lastError: webhook ? 'the webhook is inactive' : 'the webhook was deleted',
        });
        log.info('delivery cancelled: webhook gone or inactive');
        return;
      }
      const { attempt: a, outcome } = await sendAttempt(delivery, webhook, { sender, plugins, settings, loadSchema: (account, id) => store.schemas.get(account, id) });
      try {
        await store.attempts.insert(a);
      } catch (err) {
        if (!isHeraldError(err, 'HERALD_CONFLICT')) throw err;
        log.warn({ number: a.number }, 'attempt already logged by another instance (lease lost)');
        return;
      }
      const kept = await store.deliveries.complete(delivery.account, delivery.id, owner, outcome);
      if (!kept) log.warn('lease lost before the outcome was recorded');
      log.info({ number: a.number, status: outcome.status, httpStatus: a.response?.status, error: a.error?.class, durationMs: a.durationMs }, 'attempt made');
    } catch (err) {
      // Store trouble: the lease expires and the scheduler tries again; nothing is lost.
      log.error({ err }, 'attempt could not be completed; it will be retried when its lease expires');
    }
  }

  /**
   * De-duplication (F8): each job whose webhook has a window claims its (webhook, schema, entity)
   * key; a job whose key another delivery holds becomes a `suppressed` delivery naming it. The
   * claim names the job's own (derived) delivery id, so a batch replayed after a crash between the
   * claim and the insert finds its own claim and is sent, never dropped. Jobs of one key are
   * claimed in batch order (one entity's events share a partition); different keys at once.
   */
  async function deliveriesOf(jobs: DeliveryJob[]): Promise<NewDelivery[]> {
    const now = new Date();
    const out: NewDelivery[] = new Array(jobs.length);
    const byKey = new Map<string, number[]>();
    jobs.forEach((job, i) => {
      if (!(job.dedupWindowSeconds && job.dedupWindowSeconds > 0)) {
        out[i] = toNewDelivery(job, now);
        return;
      }
      const key = `${job.account}\u0000${dedupKeyOf(job)}`;
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    });
    await Promise.all(
      [...byKey.values()].map(async (indexes) => {
        for (const i of indexes) {
          const job = jobs[i]!;
          const holder = await store.deliveries.get(job.account, job.deliveryId).then((existing) =>
            existing ? job.deliveryId : store.dedup.claim(job.account, dedupKeyOf(job), job.deliveryId, now, new Date(now.getTime() + job.dedupWindowSeconds! * 1000)),
          );
          out[i] = toNewDelivery(job, now, holder === job.deliveryId ? undefined : holder);
        }
      }),
    );
    return out;
  }

  async function handleBatch(batch: Batch): Promise<void> {
    const jobs: DeliveryJob[] = [];
    const dead: OutgoingMessage[] = [];
    for (const m of batch.messages) {
      try {
        jobs.push(parseDeliveryJob(decodeJson(m.value)));
      } catch (err) {
        logger.error({ err, offset: m.offset, partition: m.partition }, 'unreadable delivery job sent to the dead-letter topic');
        dead.push({ key: m.key, value: m.value, headers: { ...m.headers, 'herald-error': (err as Error).message } });
      }
    }
    if (dead.length > 0) await bus.publish(topics.deliveriesDlq, dead);
    const deliveries = await deliveriesOf(jobs);
    const { inserted } = deliveries.length > 0 ? await store.deliveries.insertMany(deliveries) : { inserted: [] };
    // Durable now: the batch may be committed. Send the new ones right away (the fast path);
    // anything not sent here is found by the scheduler.
    const byId = new Map(deliveries.map((d) => [d.id, d]));
    for (const id of inserted) {
      if (stopping) break;
      const d = byId.get(id)!;
      if (d.status !== 'pending') continue;
      await limiter.schedule(async () => {
        const claimed = await store.deliveries.claim(d.account, id, owner, leaseMs);
        if (claimed) await attempt(claimed);
      });
    }
  }

  async function poll(): Promise<void> {
    if (stopping) return;
    try {
      while (!stopping && limiter.free > 0) {
        const due = await store.deliveries.claimDueAcrossAccounts(owner, leaseMs, limiter.free);
        for (const d of due) await limiter.schedule(() => attempt(d));
        if (due.length === 0) break;
      }
    } catch (err) {
      logger.error({ err }, 'retry scheduler could not read due deliveries');
    }
    if (!stopping) timer = setTimeout(() => (polling = poll()), pollIntervalMs);
  }

  return {
    owner,
    async start() {
      stopping = false;
      subscription = await bus.subscribe({ groupId: options.groupId ?? 'herald-delivery', topics: [topics.deliveries], handleBatch });
      polling = poll();
      logger.info({ topic: topics.deliveries, owner }, 'delivery started');
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await subscription?.stop();
      subscription = undefined;
      await polling;
      await limiter.drain();
    },
  };
}
