import type { TopicNames } from '@herald/core';
import { encodeJson, type Bus } from '@herald/bus';
import type { Store } from '@herald/store';
import type { Logger } from '@herald/runtime';

/** The operational event on `herald.operations` when Herald turns a webhook off (F14). */
export interface WebhookDisabledEvent {
  type: 'webhook.disabled';
  account: string;
  webhookId: string;
  /** Why, in words: the run of failures, or the `410 Gone`. */
  reason: string;
  /** When, RFC 3339. */
  at: string;
}

export const GONE_REASON = 'the endpoint answered 410 Gone: it asks not to be called again';

export interface EndpointHealthOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  topics: TopicNames;
  /** Disable after this many consecutive failed deliveries (final status `failed`); 0 = never. Default 10. */
  disableAfterFailures?: number;
  /** ... only when the first and the last of them are at least this far apart. Default 1 day. */
  disableAfterMs?: number;
  /**
   * After a success was recorded (or the webhook found healthy), further successes of it within
   * this time are not written: a healthy webhook costs one store write per this interval, not one
   * per delivery. Default 5 s.
   */
  healthyCacheMs?: number;
}

/** Most webhooks remembered as healthy before the memory is swept of expired entries. */
const HEALTHY_CACHE_SWEEP_AT = 10_000;

/**
 * Endpoint health (F14). Every delivery that ends tells it how: a success clears the webhook's
 * run of failures; a failure adds to it, and a run of `disableAfterFailures` spanning at least
 * `disableAfterMs` disables the webhook. A `410 Gone` disables it at once.
 *
 * Disabling: the webhook is stored `active: false` with `disabledReason` and `disabledAt`, its
 * pending deliveries are cancelled, the change is published on `herald.config` (the matchers
 * stop matching it), and a `webhook.disabled` event goes to `herald.operations` and the log
 * (warn). `POST /v1/webhooks/{id}/enable` turns it back on and clears its run.
 */
export class EndpointHealth {
  readonly #o: EndpointHealthOptions & Required<Pick<EndpointHealthOptions, 'disableAfterFailures' | 'disableAfterMs' | 'healthyCacheMs'>>;
  /** Webhooks known healthy (no run in the store), until when. */
  readonly #healthyUntil = new Map<string, number>();
  /** Webhooks this instance is disabling now: a burst of failures disables (and announces) once. */
  readonly #disabling = new Set<string>();

  constructor(options: EndpointHealthOptions) {
    this.#o = {
      ...options,
      disableAfterFailures: options.disableAfterFailures ?? 10,
      disableAfterMs: options.disableAfterMs ?? 86_400_000,
      healthyCacheMs: options.healthyCacheMs ?? 5_000,
    };
    if (!(Number.isSafeInteger(this.#o.disableAfterFailures) && this.#o.disableAfterFailures >= 0)) throw new RangeError('disableAfterFailures must be a whole number, 0 or more');
    if (!(this.#o.disableAfterMs >= 0)) throw new RangeError('disableAfterMs must be 0 or more');
  }

  /** Whether runs of failures are tracked at all (`disableAfterFailures` > 0). */
  get enabled(): boolean {
    return this.#o.disableAfterFailures > 0;
  }

  /**
   * A delivery of the webhook ended (succeeded or failed for good) at `at`. Returns whether this
   * disabled the webhook. `lastError` (of a failure) goes into the reason.
   */
  async deliveryEnded(account: string, webhookId: string, success: boolean, at: Date, lastError?: string): Promise<boolean> {
    if (!this.enabled) return false;
    const key = `${account}\u0000${webhookId}`;
    const { store } = this.#o;
    if (success) {
      if ((this.#healthyUntil.get(key) ?? 0) > at.getTime()) return false;
      await store.webhookHealth.recordOutcome(account, webhookId, true, at);
      this.#rememberHealthy(key, at.getTime());
      return false;
    }
    this.#healthyUntil.delete(key);
    const health = await store.webhookHealth.recordOutcome(account, webhookId, false, at);
    const since = health.failingSince ?? at;
    const span = at.getTime() - since.getTime();
    if (health.consecutiveFailures < this.#o.disableAfterFailures || span < this.#o.disableAfterMs) return false;
    const reason =
      `${health.consecutiveFailures} consecutive deliveries failed over ${describeSpan(span)} (since ${since.toISOString()})` +
      (lastError ? `; the last error: ${lastError.length > 300 ? `${lastError.slice(0, 300)}…` : lastError}` : '');
    return this.disable(account, webhookId, reason, at);
  }

  /**
   * Turns the webhook off for `reason` (see the class). Returns false, doing nothing, when it is
   * gone, already inactive, or being disabled by this instance right now.
   */
  async disable(account: string, webhookId: string, reason: string, at: Date): Promise<boolean> {
    const key = `${account}\u0000${webhookId}`;
    if (this.#disabling.has(key)) return false;
    this.#disabling.add(key);
    const { store, bus, topics, logger } = this.#o;
    try {
      const webhook = await store.webhooks.get(account, webhookId);
      if (!webhook || !webhook.active) return false;
      // A read-then-replace, as every webhook writer does: an edit made through the API in the
      // same instant may be overwritten (or may switch the webhook back on).
      await store.webhooks.upsert({ ...webhook, active: false, disabledReason: reason, disabledAt: at, updatedAt: at });
      this.#healthyUntil.delete(key);
      const cancelled = await store.deliveries.cancelPendingForWebhook(account, webhookId);
      const iso = at.toISOString();
      const event: WebhookDisabledEvent = { type: 'webhook.disabled', account, webhookId, reason, at: iso };
      await this.#publish(topics.config, account, { kind: 'webhook', account, id: webhookId, at: iso });
      await this.#publish(topics.operations, account, event);
      logger.warn({ event: event.type, account, webhookId, reason, cancelledDeliveries: cancelled }, 'webhook disabled (endpoint health)');
      return true;
    } finally {
      this.#disabling.delete(key);
    }
  }

  async #publish(topic: string, key: string, value: unknown): Promise<void> {
    try {
      await this.#o.bus.publish(topic, [{ key, value: encodeJson(value) }]);
    } catch (err) {
      // The webhook is disabled in the store whatever the bus says; matchers see it when their cache expires.
      this.#o.logger.error({ err, topic }, 'could not publish after disabling a webhook');
    }
  }

  #rememberHealthy(key: string, now: number): void {
    if (this.#healthyUntil.size >= HEALTHY_CACHE_SWEEP_AT) {
      for (const [k, until] of this.#healthyUntil) if (until <= now) this.#healthyUntil.delete(k);
      if (this.#healthyUntil.size >= HEALTHY_CACHE_SWEEP_AT) this.#healthyUntil.clear();
    }
    this.#healthyUntil.set(key, now + this.#o.healthyCacheMs);
  }
}

/** `1 day 2 h`, `3 h 5 min`, `42 s`, `350 ms`: the span of a run, for the reason. */
export function describeSpan(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return `${ms} ms`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return h > 0 ? `${d} day${d > 1 ? 's' : ''} ${h} h` : `${d} day${d > 1 ? 's' : ''}`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}
