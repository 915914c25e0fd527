import type { components, operations, paths } from './generated/openapi.ts';

export { OPENAPI_PATH, loadSpec, loadSpecText, type OpenApiDocument } from './spec.ts';
export { createHeraldClient, type HeraldClient, type HeraldClientOptions } from './client.ts';

/** The types generated from `openapi.yaml` by openapi-typescript. */
export type { components, operations, paths };

type Schemas = components['schemas'];
export type Account = Schemas['Account'];
export type AccountCreate = Schemas['AccountCreate'];
export type AccountUpdate = Schemas['AccountUpdate'];
export type ApiKey = Schemas['ApiKey'];
export type ApiKeyCreate = Schemas['ApiKeyCreate'];
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
export type ApiKeyRole = Schemas['ApiKeyRole'];
export type EventType = Schemas['EventType'];
export type EventTypeCreate = Schemas['EventTypeCreate'];
export type EventTypeUpdate = Schemas['EventTypeUpdate'];
export type Webhook = Schemas['Webhook'];
export type WebhookCreate = Schemas['WebhookCreate'];
export type WebhookUpdate = Schemas['WebhookUpdate'];
export type WebhookAuth = Schemas['WebhookAuth'];
export type WebhookAuthMasked = Schemas['WebhookAuthMasked'];
export type EventEnvelope = Schemas['EventEnvelope'];
export type Problem = Schemas['Problem'];
export type FieldError = NonNullable<Problem['errors']>[number];
/** A page of a list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
