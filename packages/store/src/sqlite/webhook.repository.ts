import type Database from 'better-sqlite3';
import { HeraldError, type Webhook, type WebhookAuth } from '@herald/core';
import type { AccountId, WebhookPageQuery, WebhookRepository } from '../repositories.ts';
import { assertListLimit } from '../internal/list-query.ts';
import { fromJsonText, toJsonText } from '../internal/json-value.ts';
import type { StoredWebhookSecrets, WebhookSecrets } from '../internal/webhook-secrets.ts';
import { fromFlag, toDate, toFlag, toMillis, toMillisOrNull } from './columns.ts';

/**
 * A row of `webhooks`. The secrets are as internal/webhook-secrets.ts seals them: with a key,
 * `secret` is `enc:v1:…`, `auth` holds only `{"type":…}` and `sealed_auth` the other settings,
 * encrypted; `previous_secrets` is encrypted JSON text, and so is `secretHeaders` in `data` (the secret
 * headers, name → value: in `data` rather than a column of their own, so that files written before
 * them need no new column). Without a key they are clear.
 */
interface WebhookRow {
  id: string;
  account: string;
  active: number;
  /** JSON array; `page` filters on exact membership with json_each. */
  event_types: string;
  secret: string;
  auth: string;
  sealed_auth: string | null;
  previous_secrets: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
  data: string;
}

/** The rest of a webhook, kept as JSON text (header names may hold any character). */
type WebhookData = Pick<
  Webhook,
  'name' | 'description' | 'url' | 'method' | 'projects' | 'headers' | 'schema' | 'dedupWindowSeconds' | 'retry' | 'timeoutMs' | 'maxConcurrency' | 'rateLimitPerSecond' | 'disabledReason'
> & {
  /** The secret headers as `WebhookSecrets.seal` gives them (JSON text, encrypted with a key); absent = none. */
  secretHeaders?: string;
};

function toRow(w: Webhook, secrets: StoredWebhookSecrets): WebhookRow {
  const data: WebhookData = { name: w.name, url: w.url, method: w.method, headers: w.headers, dedupWindowSeconds: w.dedupWindowSeconds };
  if (w.description !== undefined) data.description = w.description;
  if (w.projects !== undefined) data.projects = w.projects;
  if (w.schema !== undefined) data.schema = w.schema;
  if (w.retry !== undefined) data.retry = { schedule: w.retry.schedule };
  if (w.timeoutMs !== undefined) data.timeoutMs = w.timeoutMs;
  if (w.maxConcurrency !== undefined) data.maxConcurrency = w.maxConcurrency;
  if (w.rateLimitPerSecond !== undefined) data.rateLimitPerSecond = w.rateLimitPerSecond;
  if (w.disabledReason !== undefined) data.disabledReason = w.disabledReason;
  if (secrets.secretHeaders !== undefined) data.secretHeaders = secrets.secretHeaders;
  return {
    id: w.id,
    account: w.account,
    active: toFlag(w.active),
    event_types: toJsonText(w.eventTypes),
    secret: secrets.secret,
    auth: toJsonText(secrets.auth),
    sealed_auth: secrets.sealedAuth ?? null,
    previous_secrets: secrets.previousSecrets ?? null,
    disabled_at: toMillisOrNull(w.disabledAt),
    created_at: toMillis(w.createdAt),
    updated_at: toMillis(w.updatedAt),
    data: toJsonText(data),
  };
}

/** The webhook of `row`, its secrets opened with `secrets` (HERALD_CONFIG_INVALID when they cannot be). */
function fromRow(row: WebhookRow, secrets: WebhookSecrets): Webhook {
  const stored: StoredWebhookSecrets = { secret: row.secret, auth: fromJsonText<WebhookAuth>(row.auth) };
  if (row.sealed_auth !== null) stored.sealedAuth = row.sealed_auth;
  if (row.previous_secrets !== null) stored.previousSecrets = row.previous_secrets;
  const data = fromJsonText<WebhookData>(row.data);
  if (data.secretHeaders !== undefined) stored.secretHeaders = data.secretHeaders;
  const { secret, auth, previousSecrets, secretHeaders } = secrets.open({ id: row.id, account: row.account }, stored);
  const w: Webhook = {
    id: row.id,
    account: row.account,
    name: data.name,
    url: data.url,
    method: data.method,
    active: fromFlag(row.active),
    eventTypes: fromJsonText<string[]>(row.event_types),
    auth,
    headers: data.headers,
    secret,
    dedupWindowSeconds: data.dedupWindowSeconds,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  if (data.description !== undefined) w.description = data.description;
  if (data.projects !== undefined) w.projects = data.projects;
  if (data.schema !== undefined) w.schema = data.schema;
  if (data.retry !== undefined) w.retry = { schedule: data.retry.schedule };
  if (data.timeoutMs !== undefined) w.timeoutMs = data.timeoutMs;
  if (data.maxConcurrency !== undefined) w.maxConcurrency = data.maxConcurrency;
  if (data.rateLimitPerSecond !== undefined) w.rateLimitPerSecond = data.rateLimitPerSecond;
  if (data.disabledReason !== undefined) w.disabledReason = data.disabledReason;
  if (row.disabled_at !== null) w.disabledAt = toDate(row.disabled_at);
  if (previousSecrets !== undefined) w.previousSecrets = previousSecrets;
  if (secretHeaders !== undefined) w.secretHeaders = secretHeaders;
  return w;
}

export class SqliteWebhookRepository implements WebhookRepository {
  readonly #db: Database.Database;
  readonly #secrets: WebhookSecrets;
  readonly #upsert: Database.Statement<[WebhookRow]>;
  readonly #get: Database.Statement<[string, string], WebhookRow>;
  readonly #list: Database.Statement<[string], WebhookRow>;
  readonly #count: Database.Statement<[string], number>;
  readonly #delete: Database.Statement<[string, string]>;
  readonly #pages = new Map<string, Database.Statement<[Record<string, unknown>], WebhookRow>>();

  constructor(db: Database.Database, secrets: WebhookSecrets) {
    this.#db = db;
    this.#secrets = secrets;
    // Replaces the account's own webhook; an id another account holds changes nothing (0 changes).
    this.#upsert = db.prepare(`
      INSERT INTO webhooks (id, account, active, event_types, secret, auth, sealed_auth, previous_secrets, disabled_at, created_at, updated_at, data)
      VALUES (@id, @account, @active, @event_types, @secret, @auth, @sealed_auth, @previous_secrets, @disabled_at, @created_at, @updated_at, @data)
      ON CONFLICT (id) DO UPDATE SET active = excluded.active, event_types = excluded.event_types, secret = excluded.secret, auth = excluded.auth,
        sealed_auth = excluded.sealed_auth, previous_secrets = excluded.previous_secrets, disabled_at = excluded.disabled_at,
        created_at = excluded.created_at, updated_at = excluded.updated_at, data = excluded.data
      WHERE webhooks.account = excluded.account`);
    this.#get = db.prepare(`SELECT * FROM webhooks WHERE id = ? AND account = ?`);
    this.#list = db.prepare(`SELECT * FROM webhooks WHERE account = ? ORDER BY id`);
    this.#count = db.prepare<[string], number>(`SELECT count(*) FROM webhooks WHERE account = ?`).pluck();
    this.#delete = db.prepare(`DELETE FROM webhooks WHERE id = ? AND account = ?`);
  }

  async upsert(webhook: Webhook): Promise<void> {
    const row = toRow(webhook, this.#secrets.seal(webhook));
    if (this.#upsert.run(row).changes === 0) throw new HeraldError('HERALD_CONFLICT', `Webhook id ${webhook.id} is taken`);
  }

  async get(account: AccountId, id: string): Promise<Webhook | null> {
    const row = this.#get.get(id, account);
    return row ? fromRow(row, this.#secrets) : null;
  }

  async list(account: AccountId): Promise<Webhook[]> {
    return this.#list.all(account).map((row) => fromRow(row, this.#secrets));
  }

  async page(account: AccountId, query: WebhookPageQuery): Promise<Webhook[]> {
    assertListLimit(query.limit);
    const where = ['account = @account'];
    const params: Record<string, unknown> = { account, limit: query.limit };
    if (query.after !== undefined) {
      where.push('id > @after');
      params['after'] = query.after;
    }
    if (query.active !== undefined) {
      where.push('active = @active');
      params['active'] = toFlag(query.active);
    }
    if (query.eventType !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(webhooks.event_types) AS t WHERE t.value = @eventType)');
      params['eventType'] = query.eventType;
    }
    const sql = `SELECT * FROM webhooks WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`;
    let statement = this.#pages.get(sql);
    if (!statement) {
      statement = this.#db.prepare<[Record<string, unknown>], WebhookRow>(sql);
      this.#pages.set(sql, statement);
    }
    return statement.all(params).map((row) => fromRow(row, this.#secrets));
  }

  async count(account: AccountId): Promise<number> {
    return this.#count.get(account) ?? 0;
  }

  async delete(account: AccountId, id: string): Promise<boolean> {
    return this.#delete.run(id, account).changes === 1;
  }
}
