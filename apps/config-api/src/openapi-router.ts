import { Router, type Request, type Response } from 'express';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { escapePointerToken, HeraldError, parseJsonPointer, schemaErrorPointer, toHeraldError, type FieldError } from '@herald/core';
import type { OpenApiDocument } from '@herald/api-spec';
import type { Logger } from '@herald/runtime';
import type { Principal } from './auth.ts';
import { jsonBodyReader } from './request-body.ts';
import { sendProblem } from './problem.ts';

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
  /** The parameters of type integer: their text must be plain decimal digits before it is read as a number. */
  integerParams: string[];
  validateBody?: ValidateFunction;
  bodyRequired: boolean;
  responses: Map<string, ValidateFunction | null>;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a JSON object', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null',
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** An integer parameter as text: decimal digits, a `-` at most (no `1e1`, `10.0`, `+5`, ` 5`, `0x10`). */
const DECIMAL_INTEGER = /^-?[0-9]+$/;

function resolveRef<T>(spec: OpenApiDocument, node: T): T {
  const ref = (node as { $ref?: string } | undefined)?.$ref;
  if (!ref) return node;
  let cur: unknown = spec;
  for (const part of ref.replace(/^#\//, '').split('/')) cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur as T;
}

/**
 * Turns ajv errors into Herald's field errors: JSON Pointers (RFC 6901, each key escaped) for
 * bodies, names for parameters. A `pattern` error says what the schema's `x-herald-message` says,
 * when it has one (the validators are compiled `verbose`, so an error carries its schema).
 */
export function fieldErrors(errors: ErrorObject[] | null | undefined, where: 'body' | 'params'): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    // A refused property name is reported once, by the `propertyNames` error that names it.
    if (e.schemaPath.includes('/propertyNames/')) continue;
    const field = where === 'params' ? paramName(e) : schemaErrorPointer(e);
    let message = e.message ?? 'is invalid';
    const custom = (e.parentSchema as { 'x-herald-message'?: unknown } | undefined)?.['x-herald-message'];
    if (e.keyword === 'required') {
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      message = 'is not a known field';
    } else if (e.keyword === 'propertyNames') {
      message = 'is not an allowed name';
    } else if (e.keyword === 'pattern' && typeof custom === 'string') {
      message = custom;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
    } else if (e.keyword === 'format') {
      message = `must be a valid ${(e.params as { format: string }).format}`;
    } else if (e.keyword === 'type') {
      message = `must be ${String((e.params as { type: string }).type).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`;
    } else if (e.keyword === 'if' || e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not' || e.keyword === 'const') {
      if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue; // the branch errors say more
    }
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out;
}

/** A parameter's name (the field of its errors): never a pointer, so never escaped. */
function paramName(e: ErrorObject): string {
  const p = e.params as { missingProperty?: string; additionalProperty?: string };
  if (e.keyword === 'required' && p.missingProperty !== undefined) return p.missingProperty;
  if (e.keyword === 'additionalProperties' && p.additionalProperty !== undefined) return p.additionalProperty;
  return parseJsonPointer(e.instancePath)[0] ?? '';
}

/** Compiles every operation of the spec: access, parameter, body and response validators. */
export function compileOperations(spec: OpenApiDocument): Operation[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true, coerceTypes: false, useDefaults: true, discriminator: false, verbose: true });
  addFormats(ajv);
  const coercing = new Ajv2020({ strict: false, allErrors: true, coerceTypes: true, useDefaults: true, verbose: true });
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
      const base = `openapi#/paths/${escapePointerToken(path)}/${method}`;
      const paramSchema = {
        type: 'object',
        properties: Object.fromEntries(params.map((p) => [p.name, p.schema ? rewriteRefs(p.schema) : {}])),
        required: params.filter((p) => p.required).map((p) => p.name),
        additionalProperties: false,
      };
      const validateParams = coercing.compile(paramSchema);
      const integerParams = params.filter((p) => typeOf(spec, p.schema) === 'integer').map((p) => p.name);
      const rb = resolveRef(spec, op.requestBody as { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined);
      const validateBody = rb?.content?.['application/json']?.schema ? ajv.compile({ $ref: `${base}/requestBody/content/application~1json/schema` }) : undefined;
      const responses = new Map<string, ValidateFunction | null>();
      for (const [status, r] of Object.entries(op.responses)) {
        const resp = resolveRef(spec, r as { content?: Record<string, { schema?: unknown }> });
        const ct = resp.content ? Object.keys(resp.content)[0] : undefined;
        const isRef = (r as { $ref?: string }).$ref;
        const schemaPath = isRef
          ? `openapi#${(isRef as string).slice(1)}/content/${escapePointerToken(ct ?? '')}/schema`
          : `${base}/responses/${status}/content/${escapePointerToken(ct ?? '')}/schema`;
        responses.set(status, ct && resp.content?.[ct]?.schema && ct.includes('json') ? ajv.compile({ $ref: schemaPath }) : null);
      }
      ops.push({
        operationId: op.operationId,
        method,
        path,
        access: op['x-herald-access'] ?? [],
        validateParams,
        integerParams,
        ...(validateBody ? { validateBody } : {}),
        bodyRequired: rb?.required === true,
        responses,
      });
    }
  }
  return ops;
}

/** The `type` of a parameter's schema, through a `$ref`. */
function typeOf(spec: OpenApiDocument, schema: Record<string, unknown> | undefined): unknown {
  return resolveRef(spec, schema)?.['type'];
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

/** The methods a path declares, as `Allow` lists them: `HEAD` with `GET` (Express answers it), in the spec's order. */
export function allowedMethods(operations: Operation[], path: string): string[] {
  const declared = operations.filter((o) => o.path === path).map((o) => o.method.toUpperCase());
  return declared.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
}

/** What an ajv error says, without the schema and data that `verbose` adds (for logs and 500s). */
function briefly(errors: ErrorObject[] | null | undefined): unknown[] {
  return (errors ?? []).slice(0, 3).map((e) => ({ instancePath: e.instancePath, keyword: e.keyword, params: e.params, message: e.message }));
}

/**
 * Routes every operation of the spec to its handler. An operation without a handler (or a
 * handler without an operation) stops the app at start: the spec and the code cannot drift.
 * Parameters and bodies are validated against the spec before the handler runs; answers are
 * validated against it too when `validateResponses` is on (tests and dev), and a mismatch is
 * a 500, so a wrong answer never passes silently — an error whose status the operation does
 * not document included (but 500 and 503, which any operation may answer). A method a path
 * does not declare is a 405 with `Allow`, from the spec's paths.
 */
export function openApiRouter(options: {
  spec: OpenApiDocument;
  handlers: Record<string, OperationHandler>;
  authenticate: (req: Request) => Promise<Principal | undefined>;
  validateResponses: boolean;
  logger: Logger;
  /** The largest request body, in bytes (413 past it). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Lets the app say more than the spec can about some fields (e.g. plugin auth settings). */
  refineBodyErrors?: (operationId: string, body: unknown, errors: FieldError[]) => FieldError[];
}): { router: Router; operations: Operation[] } {
  const operations = compileOperations(options.spec);
  const missing = operations.filter((o) => !options.handlers[o.operationId]).map((o) => o.operationId);
  const extra = Object.keys(options.handlers).filter((id) => !operations.some((o) => o.operationId === id));
  if (missing.length > 0 || extra.length > 0) {
    throw new HeraldError('HERALD_INTERNAL', `The API does not match openapi.yaml: no handler for [${missing.join(', ')}]; no operation for [${extra.join(', ')}]`);
  }
  const readBody = jsonBodyReader(options.maxBodyBytes ?? 1_048_576);
  const router = Router();

  async function answer(op: Operation, handler: OperationHandler, req: Request, res: Response): Promise<void> {
    const isPublic = op.access.includes('public');
    const principal = isPublic ? undefined : await options.authenticate(req);
    // For the request metrics (app.ts): the calling key's account.
    if (principal?.kind === 'account') res.locals.account = principal.account;
    if (!isPublic && !principal) throw new HeraldError('HERALD_UNAUTHORIZED', 'Send an API key as Authorization: Bearer <key>');
    if (!allowed(op.access, principal)) {
      throw new HeraldError('HERALD_FORBIDDEN', `This operation needs ${op.access.map((a) => (a === 'admin' || a === 'read' ? `an account key with role ${a}` : `the ${a} token`)).join(' or ')}`);
    }
    // The public operations take no input: a probe's or a cache-buster's query string is not theirs to refuse.
    const params: Record<string, unknown> = { ...(isPublic ? {} : (req.query as Record<string, unknown>)), ...req.params };
    const notDecimal: FieldError[] = op.integerParams
      .filter((name) => typeof params[name] === 'string' && !DECIMAL_INTEGER.test(params[name] as string))
      .map((name) => ({ field: name, message: 'must be an integer in decimal digits, e.g. 20' }));
    if (notDecimal.length > 0) throw HeraldError.validation('A parameter is invalid', notDecimal);
    if (!op.validateParams(params)) throw HeraldError.validation('A parameter is invalid', fieldErrors(op.validateParams.errors, 'params'));
    let body: unknown = undefined;
    if (op.validateBody) {
      body = await readBody(req, res);
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
        options.logger.error({ operationId: op.operationId, errors: briefly(v.errors) }, 'answer does not match openapi.yaml');
        throw new HeraldError('HERALD_INTERNAL', `${op.operationId} answered a body that does not match openapi.yaml: ${JSON.stringify(briefly(v.errors))}`);
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
  }

  // Path by path, concrete paths before templated ones (as OpenAPI matches them: `/v1/schemas/preview`
  // is not a `/v1/schemas/{schemaId}`), each path's operations, then its 405 for any other method.
  const templated = (path: string) => (path.match(/\{/g) ?? []).length;
  const paths = [...new Set(operations.map((o) => o.path))].sort((a, b) => templated(a) - templated(b));
  for (const path of paths) {
    const expressPath = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const op of operations.filter((o) => o.path === path)) {
      const handler = options.handlers[op.operationId]!;
      router[op.method as 'get'](expressPath, async (req: Request, res: Response) => {
        // For the request metrics (app.ts): requests are counted by operation, not by raw path.
        res.locals.operationId = op.operationId;
        try {
          await answer(op, handler, req, res);
        } catch (err) {
          const e = toHeraldError(err);
          if (options.validateResponses && e.status < 500 && !op.responses.has(String(e.status))) {
            options.logger.error({ operationId: op.operationId, status: e.status, code: e.code, detail: e.message }, 'answer with a status the spec does not document');
            throw new HeraldError('HERALD_INTERNAL', `${op.operationId} answered ${e.status} (${e.code}: ${e.message}), which openapi.yaml does not document`, { cause: err });
          }
          throw err;
        }
      });
    }
    const allow = allowedMethods(operations, path).join(', ');
    router.all(expressPath, (req: Request, res: Response) => {
      res.setHeader('allow', allow);
      sendProblem(res, 405, `${req.method} is not a method of ${path}; it allows ${allow}`, { code: 'HERALD_METHOD_NOT_ALLOWED' });
    });
  }
  return { router, operations };
}
