import { describe, expect, it } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { signingSecretProblem, validateEnvelope, validateRetrySchedule, webhookUrlProblem } from '@herald/core';
import { plugin as noneAuth } from '@herald/transport-none';
import { plugin as basicAuth } from '@herald/transport-basic';
import { plugin as bearerAuth } from '@herald/transport-bearer';
import { plugin as headersAuth } from '@herald/transport-headers';
import { loadSpec } from './index.ts';

type Json = Record<string, any>;

const spec = loadSpec() as Json;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The document with every `$ref` answered, for validating examples against schemas. */
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec, 'openapi');

function pointer(...parts: string[]): string {
  return '#' + parts.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function validatorAt(ptr: string): ValidateFunction {
  const v = ajv.getSchema(`openapi${ptr}`);
  if (!v) throw new Error(`no schema at ${ptr}`);
  return v;
}

/** Follows a local `$ref` (`#/components/...`) to what it names. */
function deref(node: Json): Json {
  let n = node;
  for (let i = 0; n && typeof n.$ref === 'string' && i < 10; i++) {
    n = n.$ref
      .slice(2)
      .split('/')
      .map((p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o: Json, k: string) => o?.[k], spec);
  }
  return n;
}

interface Operation {
  path: string;
  method: string;
  op: Json;
  /** Path-level and operation-level parameters, dereferenced. */
  parameters: Json[];
}

const operations: Operation[] = Object.entries<Json>(spec.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((method) => ({
    path,
    method,
    op: item[method] as Json,
    parameters: [...(item.parameters ?? []), ...(item[method].parameters ?? [])].map(deref),
  })),
);
/** The last path segments of POSTs that act rather than create. */
const ACTION_VERBS = new Set(['preview', 'rotate', 'test', 'resend', 'replay', 'enable']);
const name = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;
const isPublic = (o: Operation) => Array.isArray(o.op.security) && o.op.security.length === 0;

/** Every example of a media type object, by name, dereferenced. */
function examplesOf(media: Json): Record<string, unknown> {
  if ('example' in media) return { example: media.example };
  return Object.fromEntries(Object.entries<Json>(media.examples ?? {}).map(([k, v]) => [k, deref(v).value]));
}

const envelopeSchema = validatorAt('#/components/schemas/EventEnvelope');
const example = spec.paths['/v1/events'].post.requestBody.content['application/json'].example;

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1 and describes the configuration API', () => {
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/openapi.yaml',
        '/openapi.json',
        '/v1/events',
        '/v1/me',
        '/v1/plugins',
        '/v1/accounts',
        '/v1/accounts/{accountId}',
        '/v1/api-keys',
        '/v1/api-keys/{keyId}',
        '/v1/event-types',
        '/v1/event-types/{name}',
        '/v1/webhooks',
        '/v1/webhooks/{webhookId}',
        '/v1/webhooks/{webhookId}/secret',
        '/v1/webhooks/{webhookId}/deliveries',
        '/v1/deliveries',
        '/v1/deliveries/{deliveryId}',
        '/v1/deliveries/{deliveryId}/attempts',
        '/v1/deliveries/{deliveryId}/resend',
        '/v1/webhooks/{webhookId}/test',
        '/v1/webhooks/{webhookId}/replay',
        '/v1/webhooks/{webhookId}/secret/rotate',
        '/v1/webhooks/{webhookId}/enable',
        '/v1/schemas',
        '/v1/schemas/preview',
        '/v1/schemas/{schemaId}',
        '/v1/rule-groups',
        '/v1/rule-groups/{ruleGroupId}',
      ].sort(),
    );
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('gives every operation a unique camelCase operationId, declared tags, a summary and who may call it', () => {
    const declared = new Set(spec.tags.map((t: Json) => t.name));
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
    for (const o of operations) {
      expect(o.op.operationId, name(o)).toMatch(/^[a-z][A-Za-z]+$/);
      expect(o.op.summary, name(o)).toMatch(/\S/);
      expect(o.op.tags?.length, name(o)).toBeGreaterThan(0);
      for (const t of o.op.tags) expect(declared.has(t), `${name(o)}: tag ${t}`).toBe(true);
      expect(o.op['x-herald-access'], name(o)).toEqual(expect.arrayContaining([expect.stringMatching(/^(public|operator|ingest|admin|read)$/)]));
      expect(o.op['x-herald-access'].includes('public'), `${name(o)}: public iff security: []`).toBe(isPublic(o));
    }
  });

  it('has an example for every JSON request body and every JSON answer, each valid against its schema', () => {
    let checked = 0;
    for (const o of operations) {
      const contents: [string, Json][] = [];
      if (o.op.requestBody) contents.push(['request', o.op.requestBody.content]);
      for (const [status, r] of Object.entries<Json>(o.op.responses)) contents.push([status, deref(r).content ?? {}]);
      for (const [where, content] of contents) {
        for (const [type, media] of Object.entries<Json>(content)) {
          const examples = examplesOf(media);
          const label = `${name(o)} ${where} ${type}`;
          expect(Object.keys(examples).length, `${label} has an example`).toBeGreaterThan(0);
          if (!/json/.test(type)) continue;
          const ptr = media.schema.$ref ?? pointer('paths', o.path, o.method, ...(where === 'request' ? ['requestBody'] : ['responses', where]), 'content', type, 'schema');
          const validate = validatorAt(ptr.startsWith('#') ? ptr : `#${ptr}`);
          for (const [k, value] of Object.entries(examples)) {
            expect(validate(value), `${label} example ${k}: ${ajv.errorsText(validate.errors)}`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('answers every 4xx with an RFC 9457 problem+json and an example', () => {
    for (const o of operations) {
      for (const [status, r] of Object.entries<Json>(o.op.responses)) {
        if (!/^4\d\d$/.test(status)) continue;
        const response = deref(r);
        expect(Object.keys(response.content), `${name(o)} ${status}`).toEqual(['application/problem+json']);
        const media = response.content['application/problem+json'];
        expect(media.schema, `${name(o)} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        for (const [k, value] of Object.entries(examplesOf(media))) {
          expect((value as Json).status, `${name(o)} ${status} example ${k}`).toBe(Number(status));
        }
      }
    }
  });

  it('documents 401 for authenticated operations, 413/415 for bodies, 400/404 for ids in the path', () => {
    const principals = ['operator', 'ingest', 'admin', 'read'];
    for (const o of operations) {
      const statuses = Object.keys(o.op.responses);
      if (!isPublic(o)) expect(statuses, name(o)).toContain('401');
      // A token that is valid but not one the operation takes is a 403.
      if (!isPublic(o) && principals.some((p) => !o.op['x-herald-access'].includes(p))) expect(statuses, `${name(o)}: 403`).toContain('403');
      // Every authenticated operation refuses an unknown query parameter.
      if (!isPublic(o)) expect(statuses, `${name(o)}: 400`).toContain('400');
      if (o.op.requestBody) expect(statuses, name(o)).toEqual(expect.arrayContaining(['400', '413', '415']));
      if (o.parameters.some((p) => p.in === 'path')) expect(statuses, name(o)).toEqual(expect.arrayContaining(['400', '404']));
      if (o.parameters.some((p) => p.in === 'query')) expect(statuses, name(o)).toContain('400');
      // A POST creates (201), except the intake and the actions, whose path ends in a verb.
      const action = ACTION_VERBS.has(o.path.split('/').pop()!);
      if (o.method === 'post' && o.path.startsWith('/v1/') && o.path !== '/v1/events' && !action) expect(statuses, name(o)).toContain('201');
      if (o.method === 'post' && action) expect(statuses, name(o)).toContain('200');
      if (o.method === 'delete') expect(statuses, name(o)).toContain('204');
    }
  });

  it('documents the conflicts the API answers: a taken account id, a rule group too many', () => {
    expect(Object.keys(spec.paths['/v1/accounts'].post.responses)).toContain('409');
    expect(Object.keys(spec.paths['/v1/rule-groups'].post.responses)).toContain('409');
    expect(Object.keys(spec.paths['/v1/event-types'].post.responses)).toContain('409');
  });

  it('takes application/json alone, and says so, PATCH included (merge-patch meaning, JSON media type)', () => {
    for (const o of operations) if (o.op.requestBody) expect(Object.keys(o.op.requestBody.content), name(o)).toEqual(['application/json']);
    expect(spec.info.description).toMatch(/application\/merge-patch\+json/);
    expect(spec.info.description).toMatch(/405/);
    expect(spec.info.description).toMatch(/Allow/);
  });

  it('names every human-readable name and description of a request with one shared rule', () => {
    // Identifiers are not display text: an event type's name is a dotted identifier.
    const identifiers = new Set(['#/components/schemas/EventTypeName']);
    const seen = new Set<Json>();
    const found: string[] = [];
    const visit = (node: Json, at: string): void => {
      if (!node || typeof node !== 'object' || seen.has(node)) return;
      seen.add(node);
      if (typeof node.$ref === 'string') return visit(deref(node), node.$ref);
      for (const [k, v] of Object.entries<Json>(node.properties ?? {})) {
        if (k === 'name' || k === 'description') {
          found.push(`${at}.${k}`);
          if (!identifiers.has(v.$ref)) {
            expect(v.$ref, `${at}.${k}`).toBe(k === 'name' ? '#/components/schemas/DisplayName' : '#/components/schemas/DisplayDescription');
          }
        }
        visit(v, `${at}.${k}`);
      }
      for (const k of ['oneOf', 'anyOf', 'allOf'] as const) (node[k] ?? []).forEach((s: Json) => visit(s, at));
      if (node.items) visit(node.items, `${at}[]`);
    };
    for (const o of operations) if (o.op.requestBody) visit(o.op.requestBody.content['application/json'].schema, name(o));
    expect(found.length).toBeGreaterThanOrEqual(12);
    const displayName = validatorAt('#/components/schemas/DisplayName');
    const displayDescription = validatorAt('#/components/schemas/DisplayDescription');
    for (const ok of ['Acme', 'Ünïcødé 名前', 'emoji 😀', 'a'.repeat(200)]) expect(displayName(ok), JSON.stringify(ok)).toBe(true);
    for (const bad of ['', 'a\u0000b', 'tab\t', 'nl\n', '\u007f', '\u0085', '\u009f', '\ud800', 'x\udc00', '\udc00\ud800', 'a'.repeat(201)]) {
      expect(displayName(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const ok of ['', 'line one\nline two\r\n\tindented', '😀']) expect(displayDescription(ok), JSON.stringify(ok)).toBe(true);
    for (const bad of ['a\u0000', '\u001b[31m', '\u007f', '\u0085', '\ud800']) expect(displayDescription(bad), JSON.stringify(bad)).toBe(false);
  });

  it('agrees with the signing secret rule of core (whsec_ + standard base64 of 24 to 64 bytes)', () => {
    const validate = validatorAt('#/components/schemas/SigningSecret');
    const bytes = (n: number, fill: number) => Buffer.alloc(n, fill).toString('base64');
    const cases: string[] = ['whsec_0', 'whsec_AA==', 'whsec_', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'];
    for (let n = 0; n <= 70; n++) for (const fill of [0, 0x41, 0xff]) cases.push(`whsec_${bytes(n, fill)}`, `whsec_${bytes(n, fill).replace(/=+$/, '')}`, `whsec_${bytes(n, fill)}=`);
    cases.push(`whsec_${bytes(25, 1).replace(/.==$/, 'B==')}`, `whsec_${bytes(26, 1).replace(/.=$/, 'B=')}`, `whsec_${bytes(24, 0xfb).replace(/\+/g, '-')}`);
    let accepted = 0;
    for (const secret of cases) {
      const ok = signingSecretProblem(secret) === undefined;
      if (ok) accepted++;
      expect(validate(secret), secret).toBe(ok);
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('agrees with the webhook URL rule of core (http or https, a host, a port 1-65535, no user info)', () => {
    const validate = validatorAt('#/components/schemas/WebhookUrl');
    const urls = [
      'https://erp.example.com/hooks/herald', 'http://127.0.0.1:8080/x?y=1', 'http://localhost:1/', 'https://h.example.com:65535', 'http://[::1]:9000/hook',
      'https://erp.example.com/a@b', 'https://h.example.com#frag', 'http://', 'http:///path', 'http://:80/', 'http://127.0.0.1:99999/', 'http://h.example.com:0/',
      'http://h.example.com:65536/', 'http://h.example.com:/', 'http://user:pass@host/', 'https://token@h.example.com/', 'ftp://x', 'example.com/hook', 'http://[]/',
    ];
    for (const url of urls) expect(validate(url), url).toBe(webhookUrlProblem(url) === undefined);
  });

  it('documents suppressedBy on deliveries', () => {
    expect(spec.components.schemas.Delivery.properties.suppressedBy).toMatchObject({ $ref: '#/components/schemas/DeliveryId' });
  });

  it('closes every object of every request body (additionalProperties: false)', () => {
    // Free-form on purpose: a third-party plugin's config (validated by the plugin's own schema).
    const open = new Set(['#/components/schemas/WebhookAuthPlugin']);
    const seen = new Set<Json>();
    const visit = (node: Json, at: string): void => {
      if (!node || typeof node !== 'object' || seen.has(node)) return;
      seen.add(node);
      if (typeof node.$ref === 'string') {
        if (!open.has(node.$ref)) visit(deref(node), node.$ref);
      }
      if (node.properties) {
        expect(node.additionalProperties, `${at} is closed`).toBe(false);
        for (const [k, v] of Object.entries<Json>(node.properties)) visit(v, `${at}/properties/${k}`);
      } else if (node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'))) {
        // A map or any JSON object: it must say so explicitly.
        expect(node.additionalProperties, `${at} declares what it holds`).toBeDefined();
      }
      for (const k of ['oneOf', 'anyOf', 'allOf'] as const) (node[k] ?? []).forEach((s: Json, i: number) => visit(s, `${at}/${k}/${i}`));
      if (node.items) visit(node.items, `${at}/items`);
      if (node.additionalProperties && typeof node.additionalProperties === 'object') visit(node.additionalProperties, `${at}/additionalProperties`);
    };
    let bodies = 0;
    for (const o of operations) {
      if (!o.op.requestBody) continue;
      expect(o.op.requestBody.required, name(o)).toBe(true);
      expect(Object.keys(o.op.requestBody.content), name(o)).toEqual(['application/json']);
      visit(o.op.requestBody.content['application/json'].schema, name(o));
      bodies++;
    }
    expect(bodies).toBeGreaterThanOrEqual(11);
  });

  it('refuses unknown fields and bad values in webhooks, as the API must', () => {
    const create = validatorAt('#/components/schemas/WebhookCreate');
    const update = validatorAt('#/components/schemas/WebhookUpdate');
    const ok = { name: 'ERP', url: 'https://erp.example.com/hook' };
    expect(create(ok)).toBe(true);
    expect(create({ ...ok, extra: 1 })).toBe(false);
    expect(create({ name: 'ERP' })).toBe(false);
    expect(create({ ...ok, url: 'ftp://example.com/x' })).toBe(false);
    expect(create({ ...ok, method: 'GET' })).toBe(false);
    expect(create({ ...ok, eventTypes: ['a.b', 'a.b'] })).toBe(false);
    expect(create({ ...ok, projects: [] })).toBe(false);
    expect(create({ ...ok, projects: [''] })).toBe(false);
    expect(create({ ...ok, headers: { 'X-Source': 'herald' } })).toBe(true);
    for (const reserved of ['Content-Type', 'host', 'Webhook-Signature', 'TRIGGERED-AT', 'User-Agent']) {
      expect(create({ ...ok, headers: { [reserved]: 'x' } }), reserved).toBe(false);
    }
    expect(create({ ...ok, headers: { 'bad name': 'x' } })).toBe(false);
    expect(create({ ...ok, headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`x-h${i}`, 'v'])) })).toBe(false);
    expect(create({ ...ok, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).toBe(true);
    expect(create({ ...ok, secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).toBe(false);
    expect(create({ ...ok, dedupWindowSeconds: 86401 })).toBe(false);
    expect(create({ ...ok, timeoutMs: 999 })).toBe(false);
    expect(create({ ...ok, retry: { schedule: [5, 30], jitter: 1 } })).toBe(false);
    expect(create({ ...ok, auth: { type: 'basic', username: 'u', password: 'p' } })).toBe(true);
    expect(create({ ...ok, auth: { type: 'basic', username: 'u' } })).toBe(false);
    expect(create({ ...ok, auth: { type: 'bearer', token: 't', extra: 1 } })).toBe(false);
    expect(create({ ...ok, auth: { type: 'oauth2-client-credentials', clientId: 'c', clientSecret: 's' } })).toBe(true);
    expect(create({ ...ok, auth: { type: 'Not A Plugin Id' } })).toBe(false);
    expect(update({})).toBe(true);
    expect(update({ projects: null, active: false })).toBe(true);
    expect(update({ eventTypes: null })).toBe(false);
    expect(update({ id: 'wh_01JD8X3Y5Z6A7B8C9D0E1F2G3H' })).toBe(false);
    // Per-webhook limits (F14): bounded, and removable in an update.
    expect(create({ ...ok, maxConcurrency: 1, rateLimitPerSecond: 10000 })).toBe(true);
    expect(create({ ...ok, maxConcurrency: 0 })).toBe(false);
    expect(create({ ...ok, maxConcurrency: 101 })).toBe(false);
    expect(create({ ...ok, rateLimitPerSecond: 0 })).toBe(false);
    expect(create({ ...ok, rateLimitPerSecond: 10001 })).toBe(false);
    expect(create({ ...ok, rateLimitPerSecond: 2.5 })).toBe(false);
    expect(create({ ...ok, maxConcurrency: null })).toBe(false);
    expect(update({ maxConcurrency: null, rateLimitPerSecond: null })).toBe(true);
    expect(update({ maxConcurrency: 100, rateLimitPerSecond: 1 })).toBe(true);
    // Herald's own record of why it disabled a webhook is not for clients to write.
    expect(create({ ...ok, disabledReason: 'x' })).toBe(false);
    expect(update({ disabledAt: '2026-11-24T09:14:03Z' })).toBe(false);
  });

  it('agrees with the retry schedule rules of core', () => {
    const validate = validatorAt('#/components/schemas/RetryPolicy');
    const accepted = (schedule: unknown) => {
      try {
        validateRetrySchedule(schedule);
        return true;
      } catch {
        return false;
      }
    };
    for (const schedule of [[5], [0, 604800], [], Array(50).fill(1), Array(51).fill(1), [-1], [604801], [1.5]]) {
      expect(validate({ schedule }), JSON.stringify(schedule)).toBe(accepted(schedule));
    }
  });

  it('describes the built-in auth plugins with their own config schemas', () => {
    const strip = (s: unknown): unknown => {
      if (Array.isArray(s)) return s.map(strip);
      if (!s || typeof s !== 'object') return s;
      return Object.fromEntries(
        Object.entries(s)
          .filter(([k]) => !['description', 'title', 'examples', 'writeOnly'].includes(k))
          .map(([k, v]) => [k, strip(v)]),
      );
    };
    const members = spec.components.schemas.WebhookAuth.oneOf.map((r: Json) => deref(r));
    for (const p of [noneAuth, basicAuth, bearerAuth, headersAuth]) {
      const member = members.find((m: Json) => m.properties?.type?.const === p.id);
      expect(member, p.id).toBeDefined();
      const { type: _type, ...properties } = member.properties;
      const config = p.configSchema as Json;
      expect(strip(properties), p.id).toEqual(strip(config.properties));
      expect((member.required ?? []).filter((r: string) => r !== 'type').sort(), p.id).toEqual([...(config.required ?? [])].sort());
      expect(member.additionalProperties, p.id).toBe(config.additionalProperties);
    }
    const pluginAuth = spec.components.schemas.WebhookAuthPlugin;
    expect(pluginAuth.properties.type.not.enum.sort()).toEqual(['basic', 'bearer', 'headers', 'none']);
    // The webhook's own headers follow the same naming rules as the headers plugin.
    const headers = (headersAuth.configSchema as Json).properties.headers;
    const webhookHeaders = spec.components.schemas.WebhookHeaders;
    expect(webhookHeaders.propertyNames).toEqual(headers.propertyNames);
    expect(webhookHeaders.additionalProperties).toEqual(headers.additionalProperties);
    expect(webhookHeaders.maxProperties).toBe(headers.maxProperties);
    // ... and so do its secret headers.
    const secretHeaders = spec.components.schemas.WebhookSecretHeaders;
    expect(secretHeaders.propertyNames).toEqual(headers.propertyNames);
    expect(secretHeaders.additionalProperties).toEqual(headers.additionalProperties);
    expect(secretHeaders.maxProperties).toBe(headers.maxProperties);
  });

  it('documents an intake example that Herald accepts', () => {
    expect(validateEnvelope(example)).toMatchObject({ ok: true });
    expect(envelopeSchema(example)).toBe(true);
  });

  it('agrees with the envelope validator of core on good and bad envelopes', () => {
    const cases: unknown[] = [
      example,
      { ...example, action: 'created' },
      { ...example, entity: { type: 'ticket', id: 1 } },
      { ...example, extra: true },
      { ...example, occurredAt: 'yesterday' },
      { ...example, id: '' },
    ];
    for (const c of cases) expect(envelopeSchema(c), JSON.stringify(c)).toBe(validateEnvelope(c).ok);
  });

  it('loadSpec answers a fresh copy each time', () => {
    const a = loadSpec();
    a.info.title = 'changed';
    expect(loadSpec().info.title).toBe('Herald API');
  });
});

/**
 * What client generators need of the spec (issue 13), checked here in a second; the integration
 * test generators.int.test.ts runs the generators themselves (openapi-generator-cli for Python
 * and Go, @hey-api/openapi-ts for TypeScript).
 */
describe('openapi.yaml, as client generators read it', () => {
  /** Every schema of the document, with where it is (examples and x- extensions skipped). */
  const schemas: { at: string; node: Json }[] = [];
  const walk = (node: unknown, at: string, isSchema: boolean): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`, isSchema));
    if (isSchema) schemas.push({ at, node: node as Json });
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
      if (isSchema && (k === 'properties' || k === 'patternProperties')) {
        for (const [name, s] of Object.entries<Json>(v)) walk(s, `${at}/${k}/${name}`, true);
        continue;
      }
      const child = k === 'schema' || (isSchema && ['items', 'additionalProperties', 'not', 'propertyNames', 'oneOf', 'anyOf', 'allOf', 'if', 'then', 'else', 'contains'].includes(k));
      if (isSchema && k === 'default') continue;
      walk(v, `${at}/${k}`, child);
    }
  };
  walk(spec.paths, '#/paths', false);
  for (const [name, s] of Object.entries<Json>(spec.components.schemas)) walk(s, `#/components/schemas/${name}`, true);
  walk(spec.components.parameters, '#/components/parameters', false);
  walk(spec.components.responses, '#/components/responses', false);

  it('finds the schemas', () => {
    expect(schemas.length).toBeGreaterThan(300);
    expect(schemas.some((s) => s.at === '#/components/schemas/Delivery/properties/test')).toBe(true);
  });

  it('gives each titled schema its own title (openapi-python-client names classes by title, and drops both of a pair)', () => {
    const byTitle = new Map<string, string[]>();
    for (const { at, node } of schemas) if (typeof node.title === 'string') byTitle.set(node.title, [...(byTitle.get(node.title) ?? []), at]);
    const shared = [...byTitle].filter(([, at]) => at.length > 1);
    expect(shared).toEqual([]);
  });

  it("writes a null as one of a field's types, never a schema that is only null (openapi-generator's Python crashes on it, its Go makes a type nil)", () => {
    const onlyNull = schemas.filter(({ at, node }) => node.type === 'null' && !/\/(oneOf|anyOf)\/\d+$/.test(at)).map((s) => s.at);
    expect(onlyNull).toEqual([]);
    // The attempt list's cursor is a NextCursor, as every list's is (its value is always null).
    expect(spec.components.schemas.AttemptList.properties.nextCursor.$ref).toBe('#/components/schemas/NextCursor');
    expect(spec.components.schemas.NextCursor.type).toEqual(['string', 'null']);
  });

  it('has no boolean const (openapi-generator makes it the string enum "true"), so `test` is a plain boolean', () => {
    expect(schemas.filter(({ node }) => node.type === 'boolean' && 'const' in node).map((s) => s.at)).toEqual([]);
    expect(spec.components.schemas.Delivery.properties.test).toMatchObject({ type: 'boolean' });
  });

  it("puts no object default on a oneOf (openapi-generator's Go writes it as code that does not compile)", () => {
    const bad = schemas.filter(({ node }) => node.default !== null && typeof node.default === 'object' && !Array.isArray(node.default) && (node.oneOf || node.anyOf || deref(node).oneOf || deref(node).anyOf));
    expect(bad.map((s) => s.at)).toEqual([]);
  });

  it("names no schema as a generator names its own types (openapi-generator's Go has a BasicAuth; Python and hey-api theirs)", () => {
    const taken = [
      // openapi-generator, Go client
      'APIClient', 'APIKey', 'APIResponse', 'BasicAuth', 'Configuration', 'GenericOpenAPIError', 'MappedNullable', 'ServerConfiguration', 'ServerConfigurations', 'ServerVariable',
      // openapi-generator, Python client
      'ApiClient', 'ApiResponse', 'ApiException', 'OpenApiException', 'RESTClientObject', 'RESTResponse',
      // @hey-api/openapi-ts
      'Client', 'ClientOptions', 'Options', 'Config',
    ];
    const names = Object.keys(spec.components.schemas);
    expect(names.filter((n) => taken.includes(n) || /^Nullable[A-Z]/.test(n))).toEqual([]);
  });

  it('names the value of a string enum or const without a letter or digit (x-enum-varnames), so generators can name it', () => {
    const unnamed = schemas.filter(({ node }) => {
      const values: unknown[] = node.enum ?? ('const' in node ? [node.const] : []);
      return values.some((v) => typeof v === 'string' && !/[A-Za-z0-9]/.test(v)) && !Array.isArray(node['x-enum-varnames']);
    });
    expect(unnamed.map((s) => s.at)).toEqual([]);
    expect(spec.components.schemas.MaskedSecret['x-enum-varnames']).toEqual(['MASKED']);
  });

  it('uses no allOf (generators that merge one lose its nullable fields); DeliveryDetail is a Delivery, event and attempts written out', () => {
    expect(schemas.filter(({ node }) => node.allOf).map((s) => s.at)).toEqual([]);
    const delivery = spec.components.schemas.Delivery;
    const detail = spec.components.schemas.DeliveryDetail;
    expect(detail.properties).toEqual({ ...delivery.properties, event: detail.properties.event, attempts: detail.properties.attempts });
    expect(detail.required).toEqual([...delivery.required, 'event', 'attempts']);
    expect(detail.properties.event.$ref).toBe('#/components/schemas/DeliveryEvent');
  });

  it("lets a third-party plugin's settings match no built-in auth form, with a pattern every regex engine reads (no lookahead)", () => {
    const type = spec.components.schemas.WebhookAuthPlugin.properties.type;
    expect(type.pattern).not.toMatch(/\(\?[=!<]/);
    expect(type.pattern).not.toContain(','); // Go's validator tags split on commas
    const re = new RegExp(type.pattern, 'u');
    const builtIn = ['none', 'basic', 'bearer', 'headers'];
    expect(type.not.enum.sort()).toEqual([...builtIn].sort());
    const isPluginId = (s: string) => /^[a-z0-9][a-z0-9-]*$/.test(s) && !builtIn.includes(s);
    // Every string up to 4 characters over the letters that matter, and each built-in id with
    // one character added, changed or cut, anywhere.
    const alphabet = 'nobeasicrhd-0zA_';
    const cases = new Set<string>(['oauth2', 'aws-sigv4', 'hmac', 'x', 'headers-v2', 'nonebasic', '-none', 'Basic', 'bearer ', 'a'.repeat(100)]);
    const all = (prefix: string, n: number): void => {
      cases.add(prefix);
      if (n > 0) for (const c of alphabet) all(prefix + c, n - 1);
    };
    all('', 4);
    for (const w of builtIn) {
      for (let i = 0; i <= w.length; i++) {
        cases.add(w.slice(0, i));
        for (const c of alphabet) {
          cases.add(w.slice(0, i) + c + w.slice(i));
          cases.add(w.slice(0, i) + c + w.slice(i + 1));
        }
      }
    }
    const wrong = [...cases].filter((s) => re.test(s) !== isPluginId(s));
    expect(wrong).toEqual([]);
    expect(cases.size).toBeGreaterThan(60_000);
  });
});
