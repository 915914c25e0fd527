import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRY_POLICY, newId, nextRetryDelayMs, topicNames, type AttemptErrorClass, type Delivery, type DeliveryJob, type PayloadSchema, type TopicNames, type Webhook } from '@herald/core';
import { decodeJson, type Batch, type Bus, type OutgoingMessage, type Subscription } from '@herald/bus';
import { isHeraldError } from '@herald/core';
import type { DeliveryOutcome, NewDelivery, Store } from '@herald/store';
import type { Logger } from '@herald/runtime';
import type { HttpSender, PluginRegistry } from '@herald/transport';
import { sendAttempt, type AttemptSettings } from '@herald/dispatch';
import { WorkLimiter } from './work-limiter.ts';
import { parseDeliveryJob } from './delivery-job.ts';
import { WorkSlots } from './work-slots.ts';
import { WebhookGates, type WebhookLimits, type WebhookTurn } from './webhook-gates.ts';
import { EndpointHealth, GONE_REASON, type EndpointHealthOptions } from './endpoint-health.ts';

export interface DeliveryServiceOptions {
  bus: Bus;
  store: Store;
  logger: Logger;
  sender: HttpSender;
  plugins: PluginRegistry;
  topics?: TopicNames;
  groupId?: string;
  settings?: Partial<AttemptSettings>;
  /**
   * Deliveries being worked on at once, across all webhooks: claimed and read, or sent and
   * recorded (the instance's work slots; what the store sees at most at once). Those waiting
   * for their webhook's turn (F14) are not counted. Default 64.
   */
  concurrency?: number;
  /**
   * A webhook's attempts in flight at once, per instance, when the webhook sets no
   * `maxConcurrency` (F14). Default 16.
   */
  webhookConcurrency?: number;
  /** How often the retry scheduler looks for due deliveries. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * How long a claimed delivery is held; must exceed the attempt timeout. Default timeout + 30 s.
   * A webhook whose own `timeoutMs` leaves less than the margin is held longer (its timeout plus
   * the same slack), so that no attempt outlives its lease.
   */
  leaseMs?: number;
  /** Endpoint health (F14): when a failing webhook is disabled. */
  health?: Pick<EndpointHealthOptions, 'disableAfterFailures' | 'disableAfterMs' | 'healthyCacheMs'>;
}

export interface DeliveryService {
  start(): Promise<void>;
  /** Stops consuming and scheduling, then waits for the attempts in flight. */
  stop(): Promise<void>;
  /** The lease owner name of this instance. */
  readonly owner: string;
}

/**
 * Deliveries an instance holds at once (claimed and being read, waiting for their webhook's
 * turn, or being sent and recorded), per work slot (`concurrency`). Waiting for a turn holds no
 * work slot, so other webhooks' attempts go on; this bounds how much waits.
 */
export const HELD_PER_WORK_SLOT = 2;

/**
 * While attempts of a webhook wait for their turn, its settings are read again at most this
 * often, in the background: an attempt goes by the latest read when its turn comes (so a webhook
 * switched off meanwhile gets nothing more), and no store read ever holds up a turn.
 */
const REFRESH_WEBHOOK_MS = 1_000;

/** Attempt errors on Herald's side, before anything was sent (rendering, authentication, signing): they do not count against the endpoint's health. */
const HERALD_SIDE_ERRORS: ReadonlySet<AttemptErrorClass> = new Set<AttemptErrorClass>(['render', 'plugin', 'signature']);

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
 *
 * A claimed delivery waits for its webhook's turn (per-webhook concurrency cap and rate limit,
 * F14, see webhook-gates.ts) without holding a work slot, then for a work slot; the waits are
 * kept within its lease: a delivery that would have to wait longer is handed back to the store,
 * due when its webhook is expected to have room, and no attempt starts unless the lease outlasts
 * its timeout. Every delivery that ends tells endpoint health (endpoint-health.ts), which
 * disables a webhook after sustained failure or at once on `410 Gone`.
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
  /** What the lease leaves beyond the timeout; a webhook with a longer timeout is leased for its timeout plus this. */
  const leaseSlackMs = Math.max(0, leaseMs - settings.timeoutMs);
  /** What must be left of a lease, beyond the attempt's timeout, when the attempt starts. */
  const leaseMarginMs = Math.min(5_000, leaseSlackMs / 4);
  /** Whether leases leave room to check at all (a lease no longer than the timeout guarantees nothing, as before). */
  const leaseGuarded = leaseMarginMs > 0;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const concurrency = options.concurrency ?? 64;
  const webhookConcurrency = options.webhookConcurrency ?? 16;
  const work = new WorkSlots(concurrency);
  const held = new WorkLimiter(concurrency * HELD_PER_WORK_SLOT);
  const gates = new WebhookGates({ maxWaitingPerWebhook: Math.max(1, Math.floor(held.capacity / 4)) });
  const health = new EndpointHealth({ store, bus, logger, topics, ...options.health });
  const owner = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  let subscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let polling: Promise<void> = Promise.resolve();

  const timeoutOf = (webhook: Webhook) => webhook.timeoutMs ?? settings.timeoutMs;
  const limitsOf = (webhook: Webhook): WebhookLimits => ({
    maxConcurrency: webhook.maxConcurrency ?? webhookConcurrency,
    ...(webhook.rateLimitPerSecond ? { rateLimitPerSecond: webhook.rateLimitPerSecond } : {}),
  });
  /** How long `delivery` may still wait before its attempt (timeout and margin kept within the lease). */
  const waitBudgetMs = (delivery: Delivery, webhook: Webhook) =>
    (delivery.leaseUntil ? delivery.leaseUntil.getTime() : 0) - Date.now() - timeoutOf(webhook) - leaseMarginMs;

  /** Each webhook as last read here, and when (see REFRESH_WEBHOOK_MS). */
  const loaded = new Map<string, { webhook: Webhook | null; at: number; refreshing: boolean }>();
  let loadedSweptAt = Date.now();
  async function loadWebhook(key: string, delivery: Delivery): Promise<Webhook | null> {
    const startedAt = Date.now();
    const webhook = await store.webhooks.get(delivery.account, delivery.webhookId);
    const seen = loaded.get(key);
    // A read that started after the one kept is newer.
    if (!seen || seen.at <= startedAt) loaded.set(key, { webhook, at: startedAt, refreshing: false });
    const now = Date.now();
    if (now - loadedSweptAt > 10_000) {
      loadedSweptAt = now;
      for (const [k, v] of loaded) if (v.at < now - 10 * REFRESH_WEBHOOK_MS && !v.refreshing) loaded.delete(k);
    }
    return webhook;
  }
  /** The latest read of the webhook (never older than `own`, this attempt's own read); starts a background read when it is getting old. */
  function latestWebhook(key: string, delivery: Delivery, own: Webhook | null, ownAt: number): Webhook | null {
    const seen = loaded.get(key);
    if (!seen || seen.at < ownAt) return own;
    if (!seen.refreshing && Date.now() - seen.at > REFRESH_WEBHOOK_MS) {
      seen.refreshing = true;
      loadWebhook(key, delivery)
        .catch((err: unknown) => logger.warn({ err, webhookId: delivery.webhookId }, 'could not read a webhook again'))
        .finally(() => {
          seen.refreshing = false;
        });
    }
    return seen.webhook;
  }

  /** Releases a claimed delivery unsent, due at `at` (its attempts and last error unchanged). */
  async function handBack(delivery: Delivery, at: Date): Promise<boolean> {
    return store.deliveries.complete(delivery.account, delivery.id, owner, {
      status: 'pending',
      attempts: delivery.attempts,
      nextAttemptAt: at,
      ...(delivery.lastError !== undefined ? { lastError: delivery.lastError } : {}),
    });
  }

  /**
   * Takes a delivery of a webhook whose timeout the lease it was claimed with cannot cover again,
   * with a lease that can (its timeout plus the configured slack). Null when another instance
   * took it in between.
   */
  async function relet(delivery: Delivery, webhook: Webhook): Promise<Delivery | null> {
    if (!(await handBack(delivery, new Date()))) return null;
    return store.deliveries.claim(delivery.account, delivery.id, owner, timeoutOf(webhook) + leaseSlackMs);
  }

  /**
   * A delivery in hand, from its claim (`take`) to its outcome, in three steps: claim and read
   * (in a work slot), wait for the webhook's turn (holding no slot), send and record (in a work
   * slot, ahead of new work). So the store sees no more work at once than the instance's
   * concurrency, and no store read or write ever holds up a turn of a webhook.
   */
  async function run(take: () => Promise<Delivery | null>): Promise<void> {
    let log: Logger = logger;
    try {
      const prepared = await work.with(async () => {
        let delivery = await take();
        if (!delivery) return null;
        log = logger.child({ deliveryId: delivery.id, account: delivery.account, webhookId: delivery.webhookId });
        const key = `${delivery.account}\u0000${delivery.webhookId}`;
        const readAt = Date.now();
        const webhook = await loadWebhook(key, delivery);
        if (!webhook || !webhook.active) {
          await cancel(delivery, webhook, log);
          return null;
        }
        if (leaseGuarded && waitBudgetMs(delivery, webhook) < 0) {
          delivery = await relet(delivery, webhook);
          if (!delivery) return null;
        }
        const schema = delivery.schemaId !== null ? await store.schemas.get(delivery.account, delivery.schemaId) : null;
        return { delivery, key, webhook, readAt, schema };
      });
      if (!prepared) return;
      const { delivery, key, readAt, schema } = prepared;
      let { webhook } = prepared;

      const limits = limitsOf(webhook);
      const turn = await gates.enter(key, limits, stopping ? 0 : Math.max(0, waitBudgetMs(delivery, webhook)));
      if (!turn) {
        const at = stopping ? Date.now() : gates.deferUntil(key, limits);
        if (await work.with(() => handBack(delivery, new Date(at)))) log.debug({ dueAt: new Date(at) }, 'webhook at its limit: delivery handed back for later');
        return;
      }

      try {
        await work.with(async () => {
          if (stopping || (leaseGuarded && waitBudgetMs(delivery, webhook) < -leaseMarginMs / 2)) {
            // Shutting down, or the wait for a work slot ate the lease: another turn will send it.
            turn.release(0);
            await handBack(delivery, new Date());
            return;
          }
          // It may have waited: the webhook may have changed (or gone) meanwhile; go by the latest read.
          const latest = latestWebhook(key, delivery, webhook, readAt);
          if (!latest || !latest.active) {
            turn.release(0);
            await cancel(delivery, latest, log);
            return;
          }
          webhook = latest;
          await attempt(delivery, webhook, schema, turn, log);
        }, true);
      } finally {
        turn.release();
      }
    } catch (err) {
      // Store trouble: the lease expires and the scheduler tries again; nothing is lost.
      log.error({ err }, 'attempt could not be completed; it will be retried when its lease expires');
    }
  }

  async function cancel(delivery: Delivery, webhook: Webhook | null, log: Logger): Promise<void> {
    await store.deliveries.complete(delivery.account, delivery.id, owner, {
      status: 'cancelled',
      attempts: delivery.attempts,
      nextAttemptAt: null,
      lastError: webhook ? (webhook.disabledReason ? `the webhook was disabled: ${webhook.disabledReason}` : 'the webhook is inactive') : 'the webhook was deleted',
    });
    log.info('delivery cancelled: webhook gone or inactive');
  }

  /** Sends, logs and records one attempt; the webhook's turn ends with the HTTP exchange (the cap is the endpoint's). */
  async function attempt(delivery: Delivery, webhook: Webhook, schema: PayloadSchema | null, turn: WebhookTurn, log: Logger): Promise<void> {
    let result: Awaited<ReturnType<typeof sendAttempt>>;
    const sentAt = Date.now();
    const loadSchema = async (account: string, id: string) => (id === delivery.schemaId ? schema : store.schemas.get(account, id));
    try {
      result = await sendAttempt(delivery, webhook, { sender, plugins, settings, loadSchema });
    } finally {
      turn.release(Date.now() - sentAt);
    }
    let { attempt: a, outcome } = result;
    const { gone } = result;
    for (let tries = 0; ; tries++) {
      try {
        await store.attempts.insert(a);
        break;
      } catch (err) {
        if (!isHeraldError(err, 'HERALD_CONFLICT')) throw err;
        // Attempt #n is logged already. Either another instance sent it after this one's lease
        // ran out (then the fenced `complete` below changes nothing), or an instance logged it and
        // then died, or failed to write, before recording the outcome: the delivery's count lags
        // its log. This send is then an attempt of its own, logged after the last one, and its
        // outcome recorded — so the delivery ends instead of being sent again at every lease.
        const logged = await store.attempts.listForDelivery(delivery.account, delivery.id);
        if (tries >= 2 || logged.length === 0) {
          log.warn({ number: a.number }, 'attempt already logged by another instance (lease lost)');
          return;
        }
        const number = Math.max(...logged.map((x) => x.number)) + 1;
        log.warn({ number: a.number, loggedAs: number }, 'attempt number already logged (an outcome left unrecorded): logged as the next one');
        a = { ...a, id: newId('att', a.startedAt.getTime()), number };
        outcome = renumbered(outcome, number, delivery, webhook, logged.some((x) => x.success));
      }
    }
    const kept = await store.deliveries.complete(delivery.account, delivery.id, owner, outcome);
    if (!kept) {
      log.warn('lease lost before the outcome was recorded');
      return;
    }
    log.info({ number: a.number, status: outcome.status, httpStatus: a.response?.status, error: a.error?.class, durationMs: a.durationMs }, 'attempt made');
    try {
      const at = new Date();
      if (gone) await health.disable(delivery.account, delivery.webhookId, GONE_REASON, at);
      else if (outcome.status === 'succeeded') await health.deliveryEnded(delivery.account, delivery.webhookId, true, at);
      // A failure that never reached the endpoint (Herald could not render or authenticate) says nothing of its health.
      else if (outcome.status === 'failed' && !(a.error && HERALD_SIDE_ERRORS.has(a.error.class))) {
        await health.deliveryEnded(delivery.account, delivery.webhookId, false, at, outcome.lastError);
      }
    } catch (err) {
      log.error({ err }, 'endpoint health could not be updated');
    }
  }

  /**
   * The outcome of an attempt logged as `number` rather than the number it was sent as (see
   * `attempt`): a success stays one (as does an earlier logged success: the endpoint has it), a
   * final failure stays final, and a retry is scheduled for `number` — or none is left.
   */
  function renumbered(outcome: DeliveryOutcome, number: number, delivery: Delivery, webhook: Webhook, deliveredBefore: boolean): DeliveryOutcome {
    if (outcome.status === 'succeeded' || deliveredBefore) return { status: 'succeeded', attempts: number, nextAttemptAt: null };
    if (outcome.status !== 'pending') return { ...outcome, attempts: number };
    const policy = webhook.retry ? { ...settings.retryPolicy, schedule: webhook.retry.schedule } : settings.retryPolicy;
    const delay = delivery.attemptLimit !== undefined && number >= delivery.attemptLimit ? null : nextRetryDelayMs(number, policy);
    const lastError = outcome.lastError !== undefined ? { lastError: outcome.lastError } : {};
    return delay === null
      ? { status: 'failed', attempts: number, nextAttemptAt: null, ...lastError }
      : { status: 'pending', attempts: number, nextAttemptAt: new Date(Date.now() + delay), ...lastError };
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
    // Inserted already leased to this instance ("born leased"): only the inserter of an id gets it
    // back as inserted, so it may send it without a claim, and the retry scheduler (of this or any
    // instance) cannot take it until the lease runs out — a crash before the send leaves it to them.
    const leasedAt = Date.now();
    const { inserted } = deliveries.length > 0 ? await store.deliveries.insertMany(deliveries, { owner, leaseMs }) : { inserted: [] };
    // Durable now: the batch may be committed. Send the new ones right away (the fast path);
    // anything not sent here is found by the scheduler.
    const byId = new Map(deliveries.map((d) => [d.id, d]));
    for (const id of inserted) {
      if (stopping) break;
      const d = byId.get(id)!;
      if (d.status !== 'pending') continue;
      // The store's lease began at or after `leasedAt`: counting from it errs on the safe side.
      const leased: Delivery = {
        ...d, attempts: d.attempts ?? 0, leaseUntil: new Date(leasedAt + leaseMs), createdAt: d.createdAt ?? new Date(leasedAt), updatedAt: new Date(leasedAt),
      };
      await held.schedule(() => run(async () => leased));
    }
  }

  async function poll(): Promise<void> {
    if (stopping) return;
    try {
      // As many as can be held and worked on now; those waiting for their webhook's turn hold no
      // work slot, so a slow webhook does not stop the others' retries.
      for (let room = Math.min(held.free, work.free); !stopping && room > 0; room = Math.min(held.free, work.free)) {
        const due = await store.deliveries.claimDueAcrossAccounts(owner, leaseMs, room);
        for (const d of due) await held.schedule(() => run(async () => d));
        if (due.length < room) break;
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
      // Waiters for a turn hand their deliveries back at once (due now, for whoever runs next).
      gates.close();
      await held.drain();
    },
  };
}
