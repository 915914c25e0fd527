import type { EventEnvelope } from './envelope.ts';

/** The Kafka value on `herald.deliveries`: one (event, webhook, schema) to send. */
export interface DeliveryJob {
  deliveryId: string;
  account: string;
  webhookId: string;
  /** null = the default payload (F5). */
  schemaId: string | null;
  event: EventEnvelope;
  /** When the matcher produced the job (ISO 8601). */
  createdAt: string;
  /**
   * The webhook's de-duplication window (F8) when the job was made, in seconds: the same (webhook,
   * schema, entity) is not sent twice within it. Absent or 0 = off.
   */
  dedupWindowSeconds?: number;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'suppressed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** The statuses a delivery ends in: nothing more is sent. Only these are ever removed by the retention sweeper. */
export const FINAL_DELIVERY_STATUSES = ['succeeded', 'failed', 'suppressed', 'cancelled'] as const satisfies readonly DeliveryStatus[];

/** A delivery: one message for one webhook, tried until acknowledged or out of retries. */
export interface Delivery {
  id: string;
  account: string;
  webhookId: string;
  schemaId: string | null;
  eventId: string;
  eventType: string;
  entity: { type: string; id: string };
  event: EventEnvelope;
  status: DeliveryStatus;
  /** How many attempts were made so far. */
  attempts: number;
  /** When the next attempt is due; null once final. */
  nextAttemptAt: Date | null;
  /** A worker holds the delivery until then; another may take it over after. */
  leaseUntil: Date | null;
  lastError?: string;
  /** For a `suppressed` delivery (F8): the delivery of the same (webhook, schema, entity) within the window that it gave way to. */
  suppressedBy?: string;
  /**
   * A delivery of the Test button (F6): rendered with `action_type: test`, sent once at once
   * and logged final; never retried, resent or replayed.
   */
  test?: boolean;
  /**
   * The number of the last attempt this delivery may get; absent = its retry schedule decides.
   * A resend or replay (F13) sets it to the next attempt's number: a resent delivery gets one
   * attempt, and is `failed` again if that one fails.
   */
  attemptLimit?: number;
  createdAt: Date;
  updatedAt: Date;
}

export type AttemptErrorClass =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'tls'
  | 'ssrf_blocked'
  | 'http_status'
  | 'response_too_large'
  | 'render'
  | 'plugin'
  | 'signature'
  | 'network';

export interface AttemptRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface AttemptResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body was cut at the configured limit. */
  truncated: boolean;
}

/** One try of a delivery, as the log shows it (secrets masked). */
export interface Attempt {
  id: string;
  account: string;
  deliveryId: string;
  webhookId: string;
  /** 1 for the first attempt. */
  number: number;
  startedAt: Date;
  durationMs: number;
  request: AttemptRequest;
  response?: AttemptResponse;
  error?: { class: AttemptErrorClass; message: string };
  success: boolean;
}
