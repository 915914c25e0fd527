import { Router, type Request, type Response } from 'express';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HeraldError, type FieldError } from '@herald/core';
import type { OpenApiDocument } from '@herald/api-spec';
import type { Logger } from '@herald/runtime';
import type { Principal } from './auth.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** Who may call an operation, as `x-herald-access` in the spec says. */
export type Access = 'public' | 'operator' | 'ingest' | 'admin' | 'read';

export interface OperationContext {
  req: Request;
  principal: Principal | undefined;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface OperationResult {
  status: number;
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export type OperationHandler = (ctx: OperationContext) => Promise<OperationResult> | OperationResult;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface Operation {
  operationId: string;
  method: string;
  path: string;
  access: Access[];
  validateParams: ValidateFunction;
  validateBody?: ValidateFunction;
  bodyRequired: boolean;
  responses: Map<string, ValidateFunction | null>;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a JSON object', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null',
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function pointerEscape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolveRef<T>(spec: OpenApiDocument, node: T): T {
  const ref = (node as { $ref?: string } | undefined)?.$ref;
  if (!ref) return node;
  let cur: unknown = spec;
  for (const part of ref.replace(/^#\//, '').split('/')) cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur as T;
}

/** Turns ajv errors into Herald's field errors (JSON Pointers for bodies, names for parameters). */
export function fieldErrors(errors: ErrorObject[] | null | undefined, where: 'body' | 'params'): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let field = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      field += `/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      field += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not a known field';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
    } else if (e.keyword === 'format') {
      message = `must be a valid ${(e.params as { format: string }).format}`;
    } else if (e.keyword === 'type') {
      message = `must be ${String((e.params as { type: string }).type).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`;
    } else if (e.keyword === 'if' || e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not' || e.keyword === 'const') {
      if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue; // the branch errors say more
    }
    if (where === 'params') field = field.replace(/^\//, '');
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out;
}

/** Compiles every operation of the spec: access, parameter, body and response validators. */
export function compileOperations(spec: OpenApiDocument): Operation[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true, coerceTypes: false, useDefaults: true, discriminator: false });
  addFormats(ajv);
  const coercing = new Ajv2020({ strict: false, allErrors: true, coerceTypes: true, useDefaults: true });
  addFormats(coercing);
  const doc = structuredClone(spec) as OpenApiDocument & { $id?: string };
  doc.$id = 'openapi';
  ajv.addSchema(doc);
  coercing.addSchema(structuredClone(doc));
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = ((item as { parameters?: Parameter[] }).parameters ?? []).map((p) => resolveRef(spec, p));
    for (const method of METHODS) {
      const op = item[method] as
        | { operationId: string; parameters?: Parameter[]; requestBody?: unknown; responses: Record<string, unknown>; 'x-herald-access'?: Access[] }
        | undefined;
      if (!op) continue;
      const params = [...shared, ...(op.parameters ?? []).map((p) => resolveRef(spec, p))].filter((p) => p.in !== 'header');
      const base = `openapi#/paths/${pointerEscape(path)}/${method}`;
      const paramSchema = {
        type: 'object',
        properties: Object.fromEntries(params.map((p) => [p.name, p.schema ? rewriteRefs(p.schema) : {}])),
        required: params.filter((p) => p.required).map((p) => p.name),
        additionalProperties: false,
      };
      const validateParams = coercing.compile(paramSchema);
      const rb = resolveRef(spec, op.requestBody as { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined);
      const validateBody = rb?.content?.['application/json']?.schema ? ajv.compile({ $ref: `${base}/requestBody/content/application~1json/schema` }) : undefined;
      const responses = new Map<string, ValidateFunction | null>();
      for (const [status, r] of Object.entries(op.responses)) {
        const resp = resolveRef(spec, r as { content?: Record<string, { schema?: unknown }> });
        const ct = resp.content ? Object.keys(resp.content)[0] : undefined;
        const isRef = (r as { $ref?: string }).$ref;
        const schemaPath = isRef
          ? `openapi#${(isRef as string).slice(1)}/content/${pointerEscape(ct ?? '')}/schema`
          : `${base}/responses/${status}/content/${pointerEscape(ct ?? '')}/schema`;
        responses.set(status, ct && resp.content?.[ct]?.schema && ct.includes('json') ? ajv.compile({ $ref: schemaPath }) : null);
      }
      ops.push({
        operationId: op.operationId,
        method,
        path,
        access: op['x-herald-access'] ?? [],
        validateParams,
        ...(validateBody ? { validateBody } : {}),
        bodyRequired: rb?.required === true,
        responses,
      });
    }
  }
  return ops;
}

/** Parameter schemas are compiled standalone: point their refs into the registered spec. */
function rewriteRefs(schema: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi#/')) as Record<string, unknown>;
}

function allowed(access: Access[], principal: Principal | undefined): boolean {
  if (access.includes('public')) return true;
  if (!principal) return false;
  if (principal.kind === 'operator') return access.includes('operator');
  if (principal.kind === 'ingest') return access.includes('ingest');
  return access.includes(principal.role);
}

/**
 * Routes every operation of the spec to its handler. An operation without a handler (or a
 * handler without an operation) stops the app at start: the spec and the code cannot drift.
 * Parameters and bodies are validated against the spec before the handler runs; answers are
 * validated against it too when `validateResponses` is on (tests and dev), and a mismatch is
 * a 500, so a wrong answer never passes silently.
 */
export function openApiRouter(options: {
  spec: OpenApiDocument;
  handlers: Record<string, OperationHandler>;
  authenticate: (req: Request) => Promise<Principal | undefined>;
  validateResponses: boolean;
  logger: Logger;
  /** Lets the app say more than the spec can about some fields (e.g. plugin auth settings). */
  refineBodyErrors?: (operationId: string, body: unknown, errors: FieldError[]) => FieldError[];
}): { router: Router; operations: Operation[] } {
  const operations = compileOperations(options.spec);
  const missing = operations.filter((o) => !options.handlers[o.operationId]).map((o) => o.operationId);
  const extra = Object.keys(options.handlers).filter((id) => !operations.some((o) => o.operationId === id));
  if (missing.length > 0 || extra.length > 0) {
    throw new HeraldError('HERALD_INTERNAL', `The API does not match openapi.yaml: no handler for [${missing.join(', ')}]; no operation for [${extra.join(', ')}]`);
  }
  const router = Router();
  for (const op of operations) {
    const expressPath = op.path.replace(/\{([^}]+)\}/g, ':$1');
    const handler = options.handlers[op.operationId]!;
    router[op.method as 'get'](expressPath, async (req: Request, res: Response) => {
      const principal = op.access.includes('public') ? undefined : await options.authenticate(req);
      if (!op.access.includes('public') && !principal) throw new HeraldError('HERALD_UNAUTHORIZED', 'Send an API key as Authorization: Bearer <key>');
      if (!allowed(op.access, principal)) {
        throw new HeraldError('HERALD_FORBIDDEN', `This operation needs ${op.access.map((a) => (a === 'admin' || a === 'read' ? `an account key with role ${a}` : `the ${a} token`)).join(' or ')}`);
      }
      const params: Record<string, unknown> = { ...(req.query as Record<string, unknown>), ...req.params };
      if (!op.validateParams(params)) throw HeraldError.validation('A parameter is invalid', fieldErrors(op.validateParams.errors, 'params'));
      let body: unknown = undefined;
      if (op.validateBody) {
        body = req.body;
        if (body === undefined && op.bodyRequired) throw HeraldError.validation('The request needs a JSON body', [{ field: '', message: 'is required' }]);
        if (body !== undefined && !op.validateBody(body)) {
          const errors = fieldErrors(op.validateBody.errors, 'body');
          throw HeraldError.validation('The request body is invalid', options.refineBodyErrors ? options.refineBodyErrors(op.operationId, body, errors) : errors);
        }
      }
      const query = Object.fromEntries(Object.entries(params).filter(([k]) => !(k in req.params)));
      const result = await handler({ req, principal, params: req.params as Record<string, string>, query, body });
      const isJson = result.body !== undefined && !(result.contentType && !result.contentType.includes('json'));
      // Serialised once: what is checked against the spec is exactly what is sent.
      const json = isJson ? JSON.stringify(result.body) : undefined;
      if (options.validateResponses) {
        const v = op.responses.get(String(result.status));
        if (v === undefined) {
          options.logger.error({ operationId: op.operationId, status: result.status }, 'answer with a status the spec does not document');
          throw new HeraldError('HERALD_INTERNAL', `${op.operationId} answered ${result.status}, which openapi.yaml does not document`);
        }
        if (v && !v(json === undefined ? null : JSON.parse(json))) {
          options.logger.error({ operationId: op.operationId, errors: v.errors }, 'answer does not match openapi.yaml');
          throw new HeraldError('HERALD_INTERNAL', `${op.operationId} answered a body that does not match openapi.yaml: ${JSON.stringify(v.errors?.slice(0, 3))}`);
        }
      }
      for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
      if (result.body === undefined) {
        res.status(result.status).end();
        return;
      }
      if (json === undefined) {
        res.status(result.status).type(result.contentType!).send(result.body as string);
        return;
      }
      res.status(result.status).type(result.contentType ?? 'application/json').send(json);
    });
  }
  return { router, operations };
}
