import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RETRY_POLICY, isHeraldError, newId, nextRetryDelayMs, topicNames, type Attempt, type AttemptErrorClass, type Delivery, type DeliveryJob, type PayloadSchema, type TopicNames, type Webhook } from '@herald/core';
import { decodeJson, type Batch, type Bus, type OutgoingMessage, type Subscription } from '@herald/bus';
import type { DeliveryOutcome, NewDelivery, Store } from '@herald/store';
import type { DeliveryMetrics, Logger } from '@herald/runtime';
import type { HttpSender, PluginRegistry } from '@herald/transport';
import { sendAttempt, type AttemptSettings } from '@herald/dispatch';
import { WorkLimiter } from './work-limiter.ts';
import { parseDeliveryJob } from './delivery-job.ts';
import { WorkSlots } from './work-slots.ts';
import { SLOW_TURN_MS, WebhookGates, type WebhookLimits, type WebhookTurn } from './webhook-gates.ts';
import { EndpointHealth, GONE_REASON, type EndpointHealthOptions } from './endpoint-health.ts';
import { ConfigCache, type ConfigChange } from './config-cache.ts';
import { DeliveryWriter } from './delivery-writer.ts';

export interface DeliveryServiceOptions {
  bus: Bus;
  store: Store;
  logger: Logger;
  sender: HttpSender;
  plugins: PluginRegistry;
  topics?: TopicNames;
  groupId?: string;
  settings?: Partial<AttemptSettings>;
  /** Attempts being sent at once, across all webhooks (the instance's work slots). Default 64. */
  concurrency?: number;
  /**
   * A webhook's attempts in flight at once, per instance, when the webhook sets no
   * `maxConcurrency` (F14). Default 16.
   */
  webhookConcurrency?: number;
  /** How often the retry scheduler looks for due deliveries. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * How long a delivery in the store is held by the instance working on it; must exceed the
   * attempt timeout. Default timeout + 30 s. A webhook whose own `timeoutMs` leaves less than the
   * margin is held longer (its timeout plus the same slack), so that no attempt outlives its lease.
   */
  leaseMs?: number;
  /** Endpoint health (F14): when a failing webhook is disabled. */
  health?: Pick<EndpointHealthOptions, 'disableAfterFailures' | 'disableAfterMs' | 'healthyCacheMs'>;
  /**
   * How long webhooks and payload schemas are kept in memory at most (the backstop for a lost
   * `herald.config` notice; see config-cache.ts). Default 30 s.
   */
  configCacheMs?: number;
  /**
   * A job from Kafka whose outcome is not recorded this long after its attempt started is stored as
   * pending, leased to this instance (it goes on meanwhile), so that the batch can be committed
   * and one slow endpoint holds up no other webhook's jobs (the jobs of a webhook known to be
   * slow, webhook-gates.ts `isSlow`, are parked before they are sent). Default 1000 ms.
   */
  parkAfterMs?: number;
  /** Write batching (see delivery-writer.ts): the most records in one flush, and the longest wait. Defaults 500 and 5 ms. */
  writeBatch?: { maxRecords?: number; maxDelayMs?: number };
  /** Kafka partitions whose batches are handled at once. Default 4. */
  partitionsAtOnce?: number;
  /** Counts outcomes, attempts, latencies and bulk writes for /metrics (createDeliveryMetrics). Absent = none. */
  metrics?: DeliveryMetrics;
}

export interface DeliveryService {
  start(): Promise<void>;
  /** Stops consuming and scheduling, then waits for the attempts in flight. */
  stop(): Promise<void>;
  /** The lease owner name of this instance. */
  readonly owner: string;
  /** Drops cached configuration, as a `herald.config` notice does. */
  configChanged(change: ConfigChange | null): void;
}

/**
 * Deliveries an instance holds in memory at once (waiting for their webhook's turn, or being
 * sent and recorded), per work slot (`concurrency`). Waiting for a turn holds no work slot, so
 * other webhooks' attempts go on; this bounds how much waits.
 */
export const HELD_PER_WORK_SLOT = 4;

/**
 * Attempt errors on Herald's side, before anything was sent (rendering, authentication, signing,
 * a target the SSRF guard refuses: Herald's configuration, HERALD_ALLOWED_TARGETS, not the
 * endpoint's behaviour): they do not count against the endpoint's health.
 */
const HERALD_SIDE_ERRORS: ReadonlySet<AttemptErrorClass> = new Set<AttemptErrorClass>(['render', 'plugin', 'signature', 'ssrf_blocked']);

/** The de-duplication key of a job (F8): its webhook, schema and entity (within its account). */
export function dedupKeyOf(job: Pick<DeliveryJob, 'webhookId' | 'schemaId' | 'event'>): string {
  return JSON.stringify([job.webhookId, job.schemaId, job.event.entity.type, job.event.entity.id]);
}

function toNewDelivery(job: DeliveryJob, now: Date, suppressedBy?: string): NewDelivery {
  const base = {
    id: job.deliveryId,
    account: job.account,
    webhookId: job.webhookId,
    schemaId: job.schemaId,
    eventId: job.event.id,
    eventType: job.event.type,
    entity: job.event.entity,
    event: job.event,
    createdAt: now,
  };
  if (suppressedBy !== undefined) return { ...base, status: 'suppressed', nextAttemptAt: null, suppressedBy };
  return { ...base, status: 'pending', nextAttemptAt: now };
}

/** A delivery as it is to be stored after `outcome` (its first attempt, or none). */
function withOutcome(d: Delivery, outcome: DeliveryOutcome): NewDelivery {
  const { attempts: _a, leaseUntil: _l, updatedAt: _u, lastError: _e, ...rest } = d;
  return {
    ...rest,
    status: outcome.status,
    attempts: outcome.attempts,
    nextAttemptAt: outcome.nextAttemptAt,
    ...(outcome.lastError !== undefined ? { lastError: outcome.lastError } : {}),
  };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * A delivery this instance works on. Either it came from Kafka and is not in the store yet
 * (`stored` false: its outcome is written as a new delivery, in bulk), or it is in the store under
 * this instance's lease (claimed by the scheduler, or parked: its outcome is recorded with the
 * fenced `complete`).
 */
interface Held {
  delivery: Delivery;
  stored: boolean;
  /** Resolves once the Kafka batch may be committed as far as this delivery goes (it is durable). */
  durable: Deferred;
  /** The park write under way (never rejects; see `park`). */
  parking?: Promise<void>;
  /** Its outcome is being written as a new delivery: it is not parked then. */
  settling: boolean;
  /** Written back to the store before it started: not to be run here. */
  spilled: boolean;
  started: boolean;
  /** The store had it already when it was parked: another instance holds it; nothing is recorded here. */
  lost: boolean;
}

/**
 * The delivery engine (see DESIGN.md, "Delivery semantics", and docs/operations.md).
 *
 * The fast path: a batch of jobs from `herald.deliveries` is checked against the store once (jobs
 * stored already are not sent again) and against the de-duplication claims once; each job is then
 * rendered with the cached webhook and schema, sent, and only then written — the delivery with
 * its outcome and its first attempt — in bulk with the other outcomes of the moment
 * (delivery-writer.ts). The batch is committed once every job in it is durable: its outcome
 * written, or, if it is still waiting for its webhook or its answer after `parkAfterMs`, the
 * delivery parked in the store as pending, leased to this instance. A crash before that loses
 * nothing: the batch is not committed and its jobs come again (a job sent but not yet written is
 * sent again, with the same `webhook-id`).
 *
 * The slow path: retries, parked deliveries and any left behind by a crash are in the store; a
 * scheduler claims the due ones with a lease, and an outcome is recorded only under that lease.
 *
 * A delivery waits for its webhook's turn (per-webhook concurrency cap and rate limit, F14, see
 * webhook-gates.ts) without holding a work slot, then for a work slot; the waits are kept within
 * its lease: a delivery that would have to wait longer is handed back to the store, due when its
 * webhook is expected to have room, and no attempt starts unless the lease outlasts its timeout.
 * Every delivery that ends tells endpoint health (endpoint-health.ts), which disables a webhook
 * after sustained failure or at once on `410 Gone`.
 */
export function createDeliveryService(options: DeliveryServiceOptions): DeliveryService {
  const { bus, store, logger, sender, plugins, metrics } = options;
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
  const parkAfterMs = options.parkAfterMs ?? 1_000;
  const concurrency = options.concurrency ?? 64;
  const webhookConcurrency = options.webhookConcurrency ?? 16;
  const work = new WorkSlots(concurrency);
  const held = new WorkLimiter(concurrency * HELD_PER_WORK_SLOT);
  const gates = new WebhookGates({ maxWaitingPerWebhook: Math.max(1, Math.floor(held.capacity / 4)) });
  const health = new EndpointHealth({ store, bus, logger, topics, ...options.health });
  const config = new ConfigCache(store, options.configCacheMs ?? 30_000);
  const writer = new DeliveryWriter({
    store,
    logger,
    ...(options.writeBatch?.maxRecords !== undefined ? { maxBatch: options.writeBatch.maxRecords } : {}),
    ...(options.writeBatch?.maxDelayMs !== undefined ? { maxDelayMs: options.writeBatch.maxDelayMs } : {}),
    ...(metrics ? { onFlush: (records: number) => metrics.storeBatch(records) } : {}),
  });
  const owner = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  /** A moving average of how long this instance's sends take, all webhooks together. */
  let typicalSendMs = 0;
  /** Ids of the deliveries held here now: a job that comes again meanwhile is not sent twice. */
  const inHand = new Set<string>();
  let subscription: Subscription | undefined;
  let configSubscription: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let polling: Promise<void> = Promise.resolve();

  const timeoutOf = (webhook: Webhook) => webhook.timeoutMs ?? settings.timeoutMs;
  /** The lease a delivery of `webhook` is stored with: long enough for its timeout. */
  const leaseFor = (webhook: Webhook | null) => (webhook ? Math.max(leaseMs, timeoutOf(webhook) + leaseSlackMs) : leaseMs);
  const limitsOf = (webhook: Webhook): WebhookLimits => ({
    maxConcurrency: webhook.maxConcurrency ?? webhookConcurrency,
    ...(webhook.rateLimitPerSecond ? { rateLimitPerSecond: webhook.rateLimitPerSecond } : {}),
  });
  /**
   * How long `h` may still wait before its attempt (timeout and margin kept within the lease). A
   * delivery not stored yet has no lease; it gets one when parked, at the earliest now, so its
   * budget counts as if leased now.
   */
  const waitBudgetMs = (h: Held, webhook: Webhook) =>
    (h.stored ? (h.delivery.leaseUntil ? h.delivery.leaseUntil.getTime() : 0) - Date.now() : leaseFor(webhook)) - timeoutOf(webhook) - leaseMarginMs;

  function heldOf(delivery: Delivery, stored: boolean): Held {
    const h: Held = { delivery, stored, durable: deferred(), settling: false, spilled: false, started: false, lost: false };
    if (stored) h.durable.resolve();
    return h;
  }

  /**
   * Stores a delivery that came from Kafka as pending, leased to this instance, while it goes on
   * here: its batch may then be committed. A crash leaves it to the scheduler once the lease ends.
   */
  function park(h: Held, webhook: Webhook | null): void {
    if (h.stored || h.parking || h.settling || h.spilled) return;
    const lease = leaseFor(webhook);
    const at = Date.now();
    h.parking = writer.write(withOutcome(h.delivery, { status: 'pending', attempts: 0, nextAttemptAt: new Date(at) }), undefined, { owner, leaseMs: lease }).then(
      (result) => {
        if (result === 'inserted') {
          h.stored = true;
          // The store's lease began at or after `at`: counting from it errs on the safe side.
          h.delivery = { ...h.delivery, leaseUntil: new Date(at + lease) };
        } else h.lost = true;
        h.durable.resolve();
      },
      (err: Error) => h.durable.reject(err),
    );
  }

  /** Writes a delivery that came from Kafka and has not started back to the store, due now, for the scheduler. */
  function spill(h: Held): void {
    if (h.started || h.spilled || h.parking) return;
    h.spilled = true;
    writer.write(withOutcome(h.delivery, { status: 'pending', attempts: 0, nextAttemptAt: new Date() })).then(
      () => h.durable.resolve(),
      (err: Error) => h.durable.reject(err),
    ).finally(() => inHand.delete(h.delivery.id));
  }

  /**
   * Records how a delivery in hand ends here (an attempt and its outcome, or none: cancelled, or
   * handed back for later). Returns whether it was recorded (false: the lease was lost, or another
   * instance holds the delivery).
   */
  async function settle(h: Held, outcome: DeliveryOutcome, attempt: Attempt | undefined, webhook: Webhook | null, log: Logger): Promise<{ recorded: boolean; outcome: DeliveryOutcome; attempt?: Attempt }> {
    if (h.parking) await h.parking;
    if (!h.stored) {
      if (h.lost) {
        if (attempt) await store.attempts.insertMany([attempt]);
        log.warn('another instance stored this delivery meanwhile: its outcome is left to it');
        return { recorded: false, outcome };
      }
      h.settling = true;
      try {
        const result = await writer.write(withOutcome(h.delivery, outcome), attempt);
        h.durable.resolve();
        if (result === 'existed') {
          log.warn('the delivery was stored meanwhile (its job came twice): this attempt is logged, the stored delivery left as it is');
          return { recorded: false, outcome };
        }
        return { recorded: true, outcome, ...(attempt ? { attempt } : {}) };
      } catch (err) {
        h.durable.reject(err as Error);
        throw err;
      }
    }
    return settleStored(h.delivery, outcome, attempt, webhook, log);
  }

  /** `settle` for a delivery held under a lease: the attempt logged, then the outcome recorded, fenced. */
  async function settleStored(delivery: Delivery, outcome: DeliveryOutcome, attempt: Attempt | undefined, webhook: Webhook | null, log: Logger): Promise<{ recorded: boolean; outcome: DeliveryOutcome; attempt?: Attempt }> {
    let a = attempt;
    for (let tries = 0; a; tries++) {
      try {
        await store.attempts.insert(a);
        break;
      } catch (err) {
        if (!isHeraldError(err, 'HERALD_CONFLICT') || !webhook) throw err;
        // Attempt #n is logged already. Either another instance sent it after this one's lease
        // ran out (then the fenced `complete` below changes nothing), or an instance logged it and
        // then died, or failed to write, before recording the outcome: the delivery's count lags
        // its log. This send is then an attempt of its own, logged after the last one, and its
        // outcome recorded — so the delivery ends instead of being sent again at every lease.
        const logged = await store.attempts.listForDelivery(delivery.account, delivery.id);
        if (tries >= 2 || logged.length === 0) {
          log.warn({ number: a.number }, 'attempt already logged by another instance (lease lost)');
          return { recorded: false, outcome };
        }
        const number = Math.max(...logged.map((x) => x.number)) + 1;
        log.warn({ number: a.number, loggedAs: number }, 'attempt number already logged (an outcome left unrecorded): logged as the next one');
        a = { ...a, id: newId('att', a.startedAt.getTime()), number };
        outcome = renumbered(outcome, number, delivery, webhook, logged.some((x) => x.success));
      }
    }
    const kept = await store.deliveries.complete(delivery.account, delivery.id, owner, outcome);
    if (!kept) log.warn('lease lost before the outcome was recorded');
    return { recorded: kept, outcome, ...(a ? { attempt: a } : {}) };
  }

  /** Takes a stored delivery with a lease long enough for its webhook's timeout. Null when another instance took it in between. */
  async function relet(h: Held, webhook: Webhook): Promise<Held | null> {
    const d = h.delivery;
    if (!(await store.deliveries.complete(d.account, d.id, owner, handBackOutcome(d, new Date())))) return null;
    const again = await store.deliveries.claim(d.account, d.id, owner, leaseFor(webhook));
    return again ? heldOf(again, true) : null;
  }

  function handBackOutcome(d: Delivery, at: Date): DeliveryOutcome {
    return { status: 'pending', attempts: d.attempts, nextAttemptAt: at, ...(d.lastError !== undefined ? { lastError: d.lastError } : {}) };
  }

  /** Ends a delivery of a webhook deleted or switched off: `cancelled`, nothing sent. */
  async function cancel(h: Held, webhook: Webhook | null, log: Logger): Promise<void> {
    const lastError = webhook ? (webhook.disabledReason ? `the webhook was disabled: ${webhook.disabledReason}` : 'the webhook is inactive') : 'the webhook was deleted';
    const r = await settle(h, { status: 'cancelled', attempts: h.delivery.attempts, nextAttemptAt: null, lastError }, undefined, webhook, log);
    if (r.recorded) metrics?.deliveryEnded('cancelled', h.delivery.account);
    log.info('delivery cancelled: webhook gone or inactive');
  }

  /**
   * A delivery in hand, to its end here: wait for the webhook's turn (holding no work slot), then
   * send and record (in a work slot). Never throws: store trouble leaves a stored delivery to the
   * scheduler when its lease ends, and a new one unwritten (its Kafka batch is not committed).
   */
  async function run(first: Held): Promise<void> {
    let h = first;
    const d0 = h.delivery;
    let log: Logger = logger;
    let parkTimer: NodeJS.Timeout | undefined;
    try {
      if (h.spilled) return;
      h.started = true;
      log = logger.child({ deliveryId: d0.id, account: d0.account, webhookId: d0.webhookId });
      const key = `${d0.account}\u0000${d0.webhookId}`;
      let webhook = await config.webhook(d0.account, d0.webhookId);
      if (!h.stored) {
        // Not written by then (waiting for its webhook's turn, or for a slow answer): parked, so its batch can be committed.
        const w = webhook;
        parkTimer = setTimeout(() => park(h, w), parkAfterMs);
      }
      if (!webhook || !webhook.active) {
        await cancel(h, webhook, log);
        return;
      }
      if (h.stored && leaseGuarded && waitBudgetMs(h, webhook) < 0) {
        const again = await relet(h, webhook);
        if (!again) return;
        h = again;
      }
      const schema = h.delivery.schemaId !== null ? await config.schema(h.delivery.account, h.delivery.schemaId) : null;
      const limits = limitsOf(webhook);
      const admitted = gates.admit(key, limits, stopping ? 0 : Math.max(0, waitBudgetMs(h, webhook)));
      // A webhook whose turns take long (a slow or silent endpoint) would hold up the batch — and,
      // since kafkajs fetches again only once a fetch's batches are all done, every partition —
      // for as long: its job is parked at once, before it waits or is sent. (One refused at once
      // is written back below, due later, without a lease.)
      const refused = 'turn' in admitted && admitted.turn === null;
      if (!h.stored && !refused && gates.isSlow(key)) park(h, webhook);
      const turn = 'wait' in admitted ? await admitted.wait : admitted.turn;
      if (!turn) {
        const at = stopping ? Date.now() : gates.deferUntil(key, limits);
        const r = await settle(h, handBackOutcome(h.delivery, new Date(at)), undefined, webhook, log);
        if (r.recorded) log.debug({ dueAt: new Date(at) }, 'webhook at its limit: delivery handed back for later');
        return;
      }
      try {
        await work.with(async () => {
          if (stopping || (h.stored && leaseGuarded && waitBudgetMs(h, webhook!) < -leaseMarginMs / 2)) {
            // Shutting down, or the wait for a work slot ate the lease: another turn will send it.
            turn.release(0);
            await settle(h, handBackOutcome(h.delivery, new Date()), undefined, webhook, log);
            return;
          }
          // It may have waited: the webhook may have changed (or gone) meanwhile; go by the latest.
          const latest = await config.webhook(d0.account, d0.webhookId);
          if (!latest || !latest.active) {
            turn.release(0);
            await cancel(h, latest, log);
            return;
          }
          webhook = latest;
          await attempt(h, latest, schema, turn, log);
        });
      } finally {
        turn.release();
      }
    } catch (err) {
      log.error({ err }, 'attempt could not be completed; it will be tried again');
    } finally {
      if (parkTimer) clearTimeout(parkTimer);
      inHand.delete(d0.id);
    }
  }

  /** Sends, logs and records one attempt; the webhook's turn ends with the HTTP exchange (the cap is the endpoint's). */
  async function attempt(h: Held, webhook: Webhook, schema: PayloadSchema | null, turn: WebhookTurn, log: Logger): Promise<void> {
    let result: Awaited<ReturnType<typeof sendAttempt>>;
    const sentAt = Date.now();
    const delivery = h.delivery;
    const loadSchema = async (account: string, id: string) => (id === delivery.schemaId ? schema : config.schema(account, id));
    // An answer that keeps this batch waiting while others' came (slower than a slow webhook's
    // turn, and than a few times this instance's usual answer, so that an instance slowed down as
    // a whole does not park everything): parked meanwhile, so that it holds up no batch.
    const slowAnswer = h.stored ? undefined : setTimeout(() => park(h, webhook), Math.max(SLOW_TURN_MS, 4 * typicalSendMs));
    try {
      result = await sendAttempt(delivery, webhook, { sender, plugins, settings, loadSchema });
    } finally {
      clearTimeout(slowAnswer);
      const took = Date.now() - sentAt;
      typicalSendMs = typicalSendMs * 0.95 + took * 0.05;
      turn.release(took);
    }
    const { gone } = result;
    metrics?.attemptMade(result.attempt.error?.class, result.attempt.durationMs, delivery.account);
    const settled = await settle(h, result.outcome, result.attempt, webhook, log);
    if (!settled.recorded) return;
    const { outcome } = settled;
    if (metrics && outcome.status !== 'pending') {
      metrics.deliveryEnded(outcome.status, delivery.account);
      // End to end is the event's path to its first success: a resend or replay (attemptLimit) is not.
      if (outcome.status === 'succeeded' && delivery.attemptLimit === undefined && !delivery.test) metrics.delivered(delivery.event.occurredAt);
    }
    const a = settled.attempt ?? result.attempt;
    log.debug({ number: a.number, status: outcome.status, httpStatus: a.response?.status, error: a.error?.class, durationMs: a.durationMs }, 'attempt made');
    try {
      const at = new Date();
      if (gone) await health.disable(delivery.account, delivery.webhookId, GONE_REASON, at);
      else if (outcome.status === 'succeeded') await health.deliveryEnded(delivery.account, delivery.webhookId, true, at);
      // A failure that never reached the endpoint (Herald could not render or authenticate, or may not connect) says nothing of its health.
      else if (outcome.status === 'failed' && !(a.error && HERALD_SIDE_ERRORS.has(a.error.class))) {
        await health.deliveryEnded(delivery.account, delivery.webhookId, false, at, outcome.lastError);
      }
    } catch (err) {
      log.error({ err }, 'endpoint health could not be updated');
    }
  }

  /**
   * The outcome of an attempt logged as `number` rather than the number it was sent as (see
   * `settleStored`): a success stays one (as does an earlier logged success: the endpoint has it),
   * a final failure stays final, and a retry is scheduled for `number` — or none is left.
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
   * De-duplication (F8), for a whole batch in one call: each job whose webhook has a window claims
   * its (webhook, schema, entity) key; a job whose key another delivery holds becomes a
   * `suppressed` delivery naming it. The claim names the job's own (derived) delivery id, so a
   * batch handed again after a crash finds its own claims and is sent, never dropped. Jobs of one
   * key are decided in batch order (one entity's events share a partition).
   */
  async function holdersOf(jobs: DeliveryJob[], now: Date): Promise<(string | undefined)[]> {
    const claims: { index: number; claim: { account: string; key: string; deliveryId: string; until: Date } }[] = [];
    jobs.forEach((job, index) => {
      if (job.dedupWindowSeconds && job.dedupWindowSeconds > 0) {
        claims.push({ index, claim: { account: job.account, key: dedupKeyOf(job), deliveryId: job.deliveryId, until: new Date(now.getTime() + job.dedupWindowSeconds * 1000) } });
      }
    });
    const out: (string | undefined)[] = new Array(jobs.length).fill(undefined);
    if (claims.length === 0) return out;
    const holders = await store.dedup.claimMany(claims.map((c) => c.claim), now);
    claims.forEach((c, i) => {
      out[c.index] = holders[i];
    });
    return out;
  }

  async function handleBatch(batch: Batch): Promise<void> {
    const jobs: DeliveryJob[] = [];
    const dead: OutgoingMessage[] = [];
    const seen = new Set<string>();
    for (const m of batch.messages) {
      try {
        const job = parseDeliveryJob(decodeJson(m.value));
        // One held here already (or earlier in this batch) is not taken twice.
        if (seen.has(job.deliveryId) || inHand.has(job.deliveryId)) continue;
        seen.add(job.deliveryId);
        jobs.push(job);
      } catch (err) {
        logger.error({ err, offset: m.offset, partition: m.partition }, 'unreadable delivery job sent to the dead-letter topic');
        dead.push({ key: m.key, value: m.value, headers: { ...m.headers, 'herald-error': (err as Error).message } });
      }
    }
    if (dead.length > 0) await bus.publish(topics.deliveriesDlq, dead);
    if (jobs.length === 0) return;
    // A job stored already (its batch was handed again) is not sent again: the store has it.
    const stored = await store.deliveries.existingAcrossAccounts(jobs.map((j) => j.deliveryId));
    const fresh = jobs.filter((j) => !stored.has(j.deliveryId));
    if (fresh.length === 0) return;
    const now = new Date();
    const holders = await holdersOf(fresh, now);
    const durable: Promise<void>[] = [];
    const mine: Held[] = [];
    fresh.forEach((job, i) => {
      const holder = holders[i];
      if (holder !== undefined && holder !== job.deliveryId) {
        durable.push(
          writer.write(toNewDelivery(job, now, holder)).then((r) => {
            if (r === 'inserted') metrics?.deliveryEnded('suppressed', job.account);
          }),
        );
        return;
      }
      const d = toNewDelivery(job, now);
      const h = heldOf({ ...d, attempts: 0, leaseUntil: null, createdAt: now, updatedAt: now }, false);
      inHand.add(job.deliveryId);
      mine.push(h);
      durable.push(h.durable.promise);
    });
    // Each runs as soon as the instance can hold it (back-pressure on the consumer otherwise); one
    // not written `parkAfterMs` after it started is parked (see `run`). The batch is committed once
    // all are durable. Shutting down, those not started are written back for the scheduler.
    for (const h of mine) {
      if (stopping) spill(h);
      if (h.spilled) continue;
      await held.schedule(() => run(h));
    }
    await Promise.all(durable);
  }

  async function poll(): Promise<void> {
    if (stopping) return;
    try {
      // As many as can be held and worked on now; those waiting for their webhook's turn hold no
      // work slot, so a slow webhook does not stop the others' retries.
      for (let room = Math.min(held.free, work.free); !stopping && room > 0; room = Math.min(held.free, work.free)) {
        const due = (await store.deliveries.claimDueAcrossAccounts(owner, leaseMs, room)).filter((d) => !inHand.has(d.id));
        for (const d of due) {
          inHand.add(d.id);
          await held.schedule(() => run(heldOf(d, true)));
        }
        if (due.length < room) break;
      }
    } catch (err) {
      logger.error({ err }, 'retry scheduler could not read due deliveries');
    }
    if (!stopping) timer = setTimeout(() => (polling = poll()), pollIntervalMs);
  }

  const instance = randomBytes(4).toString('hex');
  return {
    owner,
    configChanged: (change) => config.apply(change),
    async start() {
      stopping = false;
      // Every instance reads every configuration change (a group of its own), from now on.
      configSubscription = await bus.subscribe({
        groupId: `${options.groupId ?? 'herald-delivery'}-config-${process.pid}-${instance}`,
        topics: [topics.config],
        fromBeginning: false,
        handleBatch: async (b) => {
          for (const m of b.messages) {
            let change: ConfigChange | null = null;
            try {
              change = decodeJson(m.value) as ConfigChange;
            } catch {
              change = null;
            }
            config.apply(change);
          }
        },
      });
      subscription = await bus.subscribe({
        groupId: options.groupId ?? 'herald-delivery',
        topics: [topics.deliveries],
        handleBatch,
        partitionsAtOnce: options.partitionsAtOnce ?? 4,
      });
      polling = poll();
      logger.info({ topic: topics.deliveries, owner }, 'delivery started');
    },
    async stop() {
      stopping = true;
      writer.giveUpOnFailure();
      if (timer) clearTimeout(timer);
      // Waiters for a turn hand their deliveries back at once (due now, for whoever runs next).
      gates.close();
      await subscription?.stop();
      subscription = undefined;
      await polling;
      await held.drain();
      await writer.close();
      await configSubscription?.stop();
      configSubscription = undefined;
    },
  };
}
