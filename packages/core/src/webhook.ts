/** The transport plugin settings of a webhook: `type` names the plugin, the rest is its config. */
export interface WebhookAuth {
  type: string;
  [setting: string]: unknown;
}

/** A rotated-out signing secret, still valid for a while. */
export interface PreviousSecret {
  secret: string;
  expiresAt: Date;
}

/** The secrets a delivery is signed with at `now`: the current one, then the previous ones not yet expired. */
export function signingSecrets(webhook: Pick<Webhook, 'secret' | 'previousSecrets'>, now: Date): string[] {
  return [webhook.secret, ...(webhook.previousSecrets ?? []).filter((p) => p.expiresAt.getTime() > now.getTime()).map((p) => p.secret)];
}

export type HttpMethod = 'POST' | 'PUT' | 'PATCH';

/** A customer's webhook (F1), as the store keeps it. Secrets are clear text only in memory. */
export interface Webhook {
  id: string;
  account: string;
  name: string;
  description?: string;
  url: string;
  method: HttpMethod;
  active: boolean;
  /** Subscribed event types; empty = receives only what event rules send it. */
  eventTypes: string[];
  /** Project scope; absent = all projects of the account. */
  projects?: string[];
  auth: WebhookAuth;
  headers: Record<string, string>;
  /**
   * Extra request headers whose values are secrets, name → value, beside `headers` and whatever
   * the auth plugin sets: write-only at the API, masked in the delivery log, encrypted at rest
   * with the store's key. No name is both here and in `headers`. Absent = none.
   */
  secretHeaders?: Record<string, string>;
  /** Standard Webhooks signing secret, `whsec_…`. */
  secret: string;
  /**
   * Earlier signing secrets that still sign deliveries, beside `secret`, until `expiresAt`: the
   * overlap of a rotation (F12). Absent = none.
   */
  previousSecrets?: PreviousSecret[];
  /** Default schema id; absent = the default payload (F5). */
  schema?: string;
  dedupWindowSeconds: number;
  retry?: { schedule: number[] };
  timeoutMs?: number;
  /**
   * Most attempts of this webhook in flight at once, per delivery instance (1–100); absent =
   * `HERALD_WEBHOOK_CONCURRENCY` (F14).
   */
  maxConcurrency?: number;
  /** Most attempts of this webhook started per second, per delivery instance (1–10000); absent = no limit (F14). */
  rateLimitPerSecond?: number;
  /**
   * Why Herald turned the webhook off (endpoint health, F14: sustained failure or `410 Gone`);
   * absent when it is active or was turned off by a person. Cleared when it is enabled again.
   */
  disabledReason?: string;
  /** When Herald turned it off; present exactly when `disabledReason` is. */
  disabledAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}
