import type { AccountId, WebhookHealth, WebhookHealthRepository } from '../repositories.ts';

interface Run {
  consecutiveFailures: number;
  failingSince: number;
}

/** The memory store's endpoint health: the run of failures of each failing webhook. */
export class MemoryWebhookHealthRepository implements WebhookHealthRepository {
  readonly #runs = new Map<string, Run>();

  async recordOutcome(account: AccountId, webhookId: string, success: boolean, at: Date): Promise<WebhookHealth> {
    const k = key(account, webhookId);
    if (success) {
      this.#runs.delete(k);
      return healthOf(undefined);
    }
    const run = this.#runs.get(k);
    const next: Run = run ? { consecutiveFailures: run.consecutiveFailures + 1, failingSince: Math.min(run.failingSince, at.getTime()) } : { consecutiveFailures: 1, failingSince: at.getTime() };
    this.#runs.set(k, next);
    return healthOf(next);
  }

  async get(account: AccountId, webhookId: string): Promise<WebhookHealth> {
    return healthOf(this.#runs.get(key(account, webhookId)));
  }

  async reset(account: AccountId, webhookId: string): Promise<void> {
    this.#runs.delete(key(account, webhookId));
  }
}

function key(account: string, webhookId: string): string {
  return `${account}\u0000${webhookId}`;
}

function healthOf(run: Run | undefined): WebhookHealth {
  return run ? { consecutiveFailures: run.consecutiveFailures, failingSince: new Date(run.failingSince) } : { consecutiveFailures: 0, failingSince: null };
}
