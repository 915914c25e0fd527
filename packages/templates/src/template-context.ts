import type { EventEnvelope } from '@herald/core';
import type { PayloadAction } from './default-payload.ts';

/** What templates see of the account: its id, plus whatever summary the caller adds (e.g. `name`). */
export interface TemplateAccount {
  id: string;
  name?: string;
  [field: string]: unknown;
}

/**
 * What templates see of the webhook. Only these fields are copied from whatever is passed in:
 * auth settings, headers and the signing secret never reach a template.
 */
export interface TemplateWebhook {
  id: string;
  name?: string;
  description?: string;
  url?: string;
  method?: string;
}

const WEBHOOK_FIELDS = ['id', 'name', 'description', 'url', 'method'] as const;

export interface TemplateContextOptions {
  /** Defaults to `{ id: event.account }`. */
  account?: TemplateAccount;
  /** A webhook (or a summary of one); only `id`, `name`, `description`, `url`, `method` are exposed. */
  webhook?: { id: string; [field: string]: unknown };
  /** The Test button (F6): `action_type` is `test`. */
  test?: boolean;
}

/** The names every template has; an entity type with one of these names is reachable as `event.data`. */
export const RESERVED_CONTEXT_NAMES = ['event', 'account', 'webhook', 'action_type'] as const;

export interface TemplateContext {
  event: {
    id: string;
    type: string;
    action: EventEnvelope['action'];
    occurredAt: string;
    project?: string;
    entity: { type: string; id: string };
    data?: Record<string, unknown>;
    previous?: Record<string, unknown>;
  };
  account: TemplateAccount;
  webhook?: TemplateWebhook;
  /** `new | update | delete`, or `test` for the Test button (as in the default payload, F5). */
  action_type: PayloadAction;
  /** The record under its entity type (and its lower-cased form): `ticket` → `{{ ticket.ref }}`. */
  [entityType: string]: unknown;
}

function pickWebhook(webhook: { id: string; [field: string]: unknown }): TemplateWebhook {
  const out: Record<string, unknown> = {};
  for (const field of WEBHOOK_FIELDS) {
    const value = webhook[field];
    if (typeof value === 'string') out[field] = value;
  }
  return out as unknown as TemplateWebhook;
}

/**
 * Builds what a template sees for one event (DESIGN.md, "The event envelope"):
 * `event`, `account`, `webhook`, `action_type`, and the record under its entity type, so that
 * `{{ ticket.ref }}` and the placeholder `{{ticket:ref}}` read `event.data.ref` of a `ticket` event.
 *
 * The record is `{ id: <entity id>, ...event.data }`: `{{ticket:id}}` is the entity id unless the
 * data has its own `id`; on a delete (no data) it holds only the id. It is also offered under the
 * lower-cased entity type, since placeholder model names are case-insensitive. The reserved names
 * (`event`, `account`, `webhook`, `action_type`) win over an entity type of the same name.
 */
export function buildTemplateContext(event: EventEnvelope, options: TemplateContextOptions = {}): TemplateContext {
  const templateEvent: TemplateContext['event'] = {
    id: event.id,
    type: event.type,
    action: event.action,
    occurredAt: event.occurredAt,
    entity: { type: event.entity.type, id: event.entity.id },
  };
  if (event.project !== undefined) templateEvent.project = event.project;
  if (event.data !== undefined) templateEvent.data = event.data;
  if (event.previous !== undefined) templateEvent.previous = event.previous;

  const context: TemplateContext = {
    event: templateEvent,
    account: options.account ?? { id: event.account },
    action_type: options.test === true ? 'test' : event.action,
  };
  if (options.webhook !== undefined) context.webhook = pickWebhook(options.webhook);
  const record: Record<string, unknown> = { id: event.entity.id, ...event.data };
  for (const name of [event.entity.type, event.entity.type.toLowerCase()]) {
    if (!(RESERVED_CONTEXT_NAMES as readonly string[]).includes(name)) context[name] = record;
  }
  return context;
}
