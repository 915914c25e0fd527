import type Database from 'better-sqlite3';
import type { AccountId, WebhookHealth, WebhookHealthRepository } from '../repositories.ts';
import { toDate, toMillis } from './columns.ts';

interface RunRow {
  consecutive_failures: number;
  failing_since: number;
}

/**
 * Endpoint health (F14): one row per failing webhook, deleted by a success. A failure is one
 * upsert that adds one and keeps the earliest `failing_since`, atomic as every statement is, so
 * no failure is lost (the contract would allow an undercount).
 */
export class SqliteWebhookHealthRepository implements WebhookHealthRepository {
  readonly #fail: Database.Statement<[{ account: string; webhookId: string; at: number }], RunRow>;
  readonly #get: Database.Statement<[string, string], RunRow>;
  readonly #clear: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.#fail = db.prepare(`
      INSERT INTO webhook_health (account, webhook_id, consecutive_failures, failing_since, updated_at) VALUES (@account, @webhookId, 1, @at, @at)
      ON CONFLICT (account, webhook_id) DO UPDATE SET consecutive_failures = consecutive_failures + 1,
        failing_since = min(failing_since, excluded.failing_since), updated_at = excluded.updated_at
      RETURNING consecutive_failures, failing_since`);
    this.#get = db.prepare(`SELECT consecutive_failures, failing_since FROM webhook_health WHERE account = ? AND webhook_id = ?`);
    this.#clear = db.prepare(`DELETE FROM webhook_health WHERE account = ? AND webhook_id = ?`);
  }

  async recordOutcome(account: AccountId, webhookId: string, success: boolean, at: Date): Promise<WebhookHealth> {
    if (success) {
      this.#clear.run(account, webhookId);
      return healthOf(undefined);
    }
    return healthOf(this.#fail.get({ account, webhookId, at: toMillis(at) }));
  }

  async get(account: AccountId, webhookId: string): Promise<WebhookHealth> {
    return healthOf(this.#get.get(account, webhookId));
  }

  async reset(account: AccountId, webhookId: string): Promise<void> {
    this.#clear.run(account, webhookId);
  }
}

function healthOf(row: RunRow | undefined): WebhookHealth {
  return row && row.consecutive_failures > 0
    ? { consecutiveFailures: row.consecutive_failures, failingSince: toDate(row.failing_since) }
    : { consecutiveFailures: 0, failingSince: null };
}
