import type { TopicNames } from '@herald/core';
import { HeraldError } from '@herald/core';
import { encodeJson, type Bus } from '@herald/bus';
import type { Store } from '@herald/store';
import type { Logger } from '@herald/runtime';
import type { HttpSender, PluginRegistry } from '@herald/transport';
import type { AttemptSettings } from '@herald/dispatch';
import type { Principal } from '../auth.ts';

export interface ApiDeps {
  bus: Bus;
  store: Store;
  logger: Logger;
  topics: TopicNames;
  plugins: PluginRegistry;
  /** What to do with an event whose data fails its event type's schema. */
  eventValidation: 'reject' | 'flag';
  /** The Test button's sender (F6), with the SSRF guard; absent = the Test button is unavailable. */
  sender?: HttpSender;
  /** The Test button's attempt settings (a test is never retried: the schedule is empty). */
  testSettings: AttemptSettings;
}

/** A configuration change, published on `herald.config` so that matchers drop their cache. */
export interface ConfigChange {
  kind: 'account' | 'webhook' | 'event-type' | 'schema' | 'rule-group';
  account?: string;
  id: string;
  at: string;
}

export async function publishConfigChange(deps: ApiDeps, change: Omit<ConfigChange, 'at'>): Promise<void> {
  const value: ConfigChange = { ...change, at: new Date().toISOString() };
  try {
    await deps.bus.publish(deps.topics.config, [{ key: change.account ?? change.id, value: encodeJson(value) }]);
  } catch (err) {
    // The change is stored; matchers see it at the latest when their cache TTL runs out.
    deps.logger.warn({ err, change }, 'could not publish a configuration change; matchers will see it after their cache TTL');
  }
}

/** The account of an account key; the operator token does not act as an account here. */
export function accountOf(principal: Principal | undefined): Extract<Principal, { kind: 'account' }> {
  if (principal?.kind !== 'account') throw new HeraldError('HERALD_FORBIDDEN', 'This operation needs an account API key');
  return principal;
}

/** The caller's account, for the webhook operations: an account key, with the plan switch on (F10). */
export async function enabledAccount(deps: ApiDeps, principal: Principal | undefined): Promise<string> {
  const { account } = accountOf(principal);
  const a = await deps.store.accounts.get(account);
  if (a && !a.webhooksEnabled) {
    throw new HeraldError('HERALD_FORBIDDEN', `Webhooks are not enabled for account ${account}: its plan does not include them (the operator turns them on with webhooksEnabled)`);
  }
  return account;
}

export function notFound(what: string, id: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `No ${what} ${id}`);
}
