import { HeraldError, isHeraldError, newId, type EventEnvelope, type FieldError, type PayloadSchema } from '@herald/core';
import { checkSchema, compileTemplate, sampleEvent, type SchemaTemplate } from '@herald/templates';
import type { OperationHandler } from '../openapi-router.ts';
import { pageOf, presentSchema } from '../presenters.ts';
import { enabledAccount, notFound, publishConfigChange, type ApiDeps } from './context.ts';

type SchemaInput = Partial<Pick<PayloadSchema, 'name' | 'description' | 'contentType' | 'body' | 'strict' | 'eventTypes'>>;

interface PreviewInput {
  schemaId?: string;
  body?: string;
  contentType?: PayloadSchema['contentType'];
  strict?: boolean;
  eventType?: string;
  event?: EventEnvelope;
  webhookId?: string;
}

/** Adds where a failed check came from to each of its `/body` errors. */
function withSource(err: unknown, source: string): never {
  if (isHeraldError(err, 'HERALD_VALIDATION') && err.errors?.length) {
    throw HeraldError.validation(err.message, err.errors.map((e) => ({ ...e, message: `${e.message} (${source})` })));
  }
  throw err;
}

export function schemaHandlers(deps: ApiDeps): Record<string, OperationHandler> {
  /**
   * The check on save (F3): the event types exist, the template parses, and it renders with each
   * type's example — well-formed for JSON and XML, and with every attribute for a strict schema.
   */
  async function check(schema: SchemaTemplate & { eventTypes: string[] }, account: string): Promise<void> {
    const errors: FieldError[] = [];
    const samples: EventEnvelope[] = [];
    for (const [i, name] of schema.eventTypes.entries()) {
      const t = await deps.store.eventTypes.get(name);
      if (!t) errors.push({ field: `/eventTypes/${i}`, message: 'is not in the event type catalog' });
      else if (t.example) samples.push(sampleEvent(t, account));
    }
    if (errors.length > 0) throw HeraldError.validation('The schema is invalid', errors);
    compileTemplate(schema);
    for (const sample of samples) {
      try {
        checkSchema(schema, sample);
      } catch (err) {
        withSource(err, `rendered with the example of ${sample.type}`);
      }
    }
  }

  async function load(account: string, id: string): Promise<PayloadSchema> {
    const s = await deps.store.schemas.get(account, id);
    if (!s) throw notFound('schema', id);
    return s;
  }

  async function previewEvent(account: string, b: PreviewInput): Promise<EventEnvelope> {
    if ((b.eventType === undefined) === (b.event === undefined)) {
      throw HeraldError.validation('Say what to render with', [{ field: b.event ? '/event' : '/eventType', message: 'give exactly one of eventType and event' }]);
    }
    if (b.event) return { ...b.event, account };
    const t = await deps.store.eventTypes.get(b.eventType!);
    if (!t) throw HeraldError.validation('The preview request is invalid', [{ field: '/eventType', message: 'is not in the event type catalog' }]);
    return sampleEvent(t, account);
  }

  return {
    async createSchema({ principal, body }) {
      const account = await enabledAccount(deps, principal);
      const b = body as SchemaInput & Pick<PayloadSchema, 'name' | 'contentType' | 'body'>;
      const now = new Date();
      const schema: PayloadSchema = {
        id: newId('sch'), account, name: b.name, ...(b.description !== undefined ? { description: b.description } : {}),
        contentType: b.contentType, body: b.body, strict: b.strict ?? false, eventTypes: [...new Set(b.eventTypes ?? [])],
        createdAt: now, updatedAt: now,
      };
      await check(schema, account);
      await deps.store.schemas.upsert(schema);
      await publishConfigChange(deps, { kind: 'schema', account, id: schema.id });
      return { status: 201, body: presentSchema(schema), headers: { location: `/v1/schemas/${schema.id}` } };
    },
    async listSchemas({ principal, query }) {
      const account = await enabledAccount(deps, principal);
      const limit = (query.limit as number | undefined) ?? 20;
      const items = await deps.store.schemas.page(account, { limit: limit + 1, ...(query.after ? { after: query.after as string } : {}) });
      return { status: 200, body: pageOf(items, limit, (s) => s.id, presentSchema) };
    },
    async getSchema({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      return { status: 200, body: presentSchema(await load(account, params.schemaId!)) };
    },
    async updateSchema({ principal, params, body }) {
      const account = await enabledAccount(deps, principal);
      const current = await load(account, params.schemaId!);
      const b = body as SchemaInput;
      const next: PayloadSchema = { ...current, ...b, updatedAt: new Date() };
      if (b.eventTypes) next.eventTypes = [...new Set(b.eventTypes)];
      await check(next, account);
      await deps.store.schemas.upsert(next);
      await publishConfigChange(deps, { kind: 'schema', account, id: next.id });
      return { status: 200, body: presentSchema(next) };
    },
    async deleteSchema({ principal, params }) {
      const account = await enabledAccount(deps, principal);
      const id = params.schemaId!;
      await load(account, id);
      const users = (await deps.store.webhooks.list(account)).filter((w) => w.schema === id).map((w) => w.id);
      if (users.length > 0) {
        throw new HeraldError('HERALD_CONFLICT', `Schema ${id} is the default schema of webhook${users.length > 1 ? 's' : ''} ${users.join(', ')}; give ${users.length > 1 ? 'them' : 'it'} another schema first`);
      }
      await deps.store.schemas.delete(account, id);
      await publishConfigChange(deps, { kind: 'schema', account, id });
      return { status: 204 };
    },
    async previewSchema({ principal, body }) {
      const account = await enabledAccount(deps, principal);
      const b = body as PreviewInput;
      if ((b.schemaId === undefined) === (b.body === undefined)) {
        throw HeraldError.validation('Say what to render', [{ field: b.schemaId ? '/schemaId' : '/body', message: 'give exactly one of schemaId and body' }]);
      }
      if (b.body !== undefined && b.contentType === undefined) {
        throw HeraldError.validation('Say what to render', [{ field: '/contentType', message: 'is required with body' }]);
      }
      const template: SchemaTemplate = b.schemaId !== undefined ? await load(account, b.schemaId) : { body: b.body!, contentType: b.contentType!, strict: b.strict ?? false };
      const event = await previewEvent(account, b);
      let webhook: { id: string; [k: string]: unknown } | undefined;
      if (b.webhookId !== undefined) {
        const w = await deps.store.webhooks.get(account, b.webhookId);
        if (!w) throw HeraldError.validation('The preview request is invalid', [{ field: '/webhookId', message: 'is not a webhook of the account' }]);
        webhook = { id: w.id, name: w.name, description: w.description, url: w.url, method: w.method };
      }
      const { rendered } = checkSchema(template, event, webhook ? { webhook } : {});
      return { status: 200, body: { contentType: template.contentType, body: rendered } };
    },
  };
}
