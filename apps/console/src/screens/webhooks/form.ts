/**
 * The add / edit form of a webhook as plain data: built from a webhook (or empty), turned into
 * the body of POST /v1/webhooks or PATCH /v1/webhooks/{id}, with the checks the API cannot make
 * for the console (a changed authentication is replaced whole, so its secrets must be typed again).
 */
import type { components } from '@herald/api-spec';

type S = components['schemas'];
export type Webhook = S['Webhook'];
export type WebhookCreate = S['WebhookCreate'];
export type WebhookUpdate = S['WebhookUpdate'];
export type Plugin = S['Plugin'];
export type HttpMethod = S['HttpMethod'];

export const METHODS: HttpMethod[] = ['POST', 'PUT', 'PATCH'];
/** How answers show a secret value. */
export const MASK = '********';

/**
 * A key/value row (extra headers, a plugin's map setting). `masked`: its value is a secret the API
 * did not show. `secret`: an extra header sent as one of the webhook's `secretHeaders` (write-only).
 */
export interface KeyValue {
  id: number;
  name: string;
  value: string;
  masked?: boolean;
  secret?: boolean;
}

export type AuthValue = string | boolean | KeyValue[];

/** One setting of a plugin, read from its config schema. */
export interface AuthProperty {
  name: string;
  label: string;
  kind: 'string' | 'number' | 'boolean' | 'enum' | 'map';
  options: string[];
  required: boolean;
  secret: boolean;
  description?: string;
}

export interface FormState {
  name: string;
  description: string;
  url: string;
  method: HttpMethod;
  eventTypes: string[];
  projectsMode: 'all' | 'only';
  projects: string;
  active: boolean;
  schema: string;
  dedupWindowSeconds: string;
  retry: string;
  authType: string;
  auth: Record<string, AuthValue>;
  headers: KeyValue[];
}

export interface FieldProblem {
  field: string;
  message: string;
}

let nextRowId = 1;
export function newRow(name = '', value = '', masked = false): KeyValue {
  return { id: nextRowId++, name, value, ...(masked ? { masked } : {}) };
}

type JsonSchema = { type?: string | string[]; enum?: unknown[]; title?: string; description?: string; properties?: Record<string, JsonSchema>; required?: string[]; additionalProperties?: boolean | JsonSchema };

/** The settings of a plugin, in the order of its config schema. */
export function authProperties(plugin: Plugin | undefined): AuthProperty[] {
  if (!plugin) return [];
  const schema = plugin.configSchema as JsonSchema;
  const required = new Set(schema.required ?? []);
  const secret = new Set(plugin.secretFields);
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const type = Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type;
    const kind: AuthProperty['kind'] = Array.isArray(p.enum)
      ? 'enum'
      : type === 'number' || type === 'integer'
        ? 'number'
        : type === 'boolean'
          ? 'boolean'
          : type === 'object'
            ? 'map'
            : 'string';
    return {
      name,
      label: p.title ?? name,
      kind,
      options: Array.isArray(p.enum) ? p.enum.map(String) : [],
      required: required.has(name),
      secret: secret.has(name),
      ...(p.description ? { description: p.description } : {}),
    };
  });
}

/** The form's values for a plugin's settings: from the stored ones (secrets left empty) or empty. */
export function authValues(props: AuthProperty[], stored?: Record<string, unknown>): Record<string, AuthValue> {
  const out: Record<string, AuthValue> = {};
  for (const p of props) {
    const v = stored?.[p.name];
    if (p.kind === 'map') {
      const entries = v && typeof v === 'object' ? Object.entries(v as Record<string, unknown>) : [];
      out[p.name] = entries.map(([k, val]) => (p.secret || val === MASK ? newRow(k, '', true) : newRow(k, String(val))));
    } else if (p.kind === 'boolean') out[p.name] = v === true;
    else out[p.name] = p.secret || v === undefined || v === null || v === MASK ? '' : String(v);
  }
  return out;
}

export function emptyForm(): FormState {
  return {
    name: '', description: '', url: '', method: 'POST', eventTypes: [], projectsMode: 'all', projects: '', active: true,
    schema: '', dedupWindowSeconds: '60', retry: '', authType: 'none', auth: {}, headers: [],
  };
}

export function formOf(w: Webhook, plugins: Plugin[]): FormState {
  const { type, ...stored } = w.auth as { type: string } & Record<string, unknown>;
  return {
    name: w.name,
    description: w.description,
    url: w.url,
    method: w.method,
    eventTypes: [...w.eventTypes],
    projectsMode: w.projects ? 'only' : 'all',
    projects: (w.projects ?? []).join('\n'),
    active: w.active,
    schema: w.schema ?? '',
    dedupWindowSeconds: String(w.dedupWindowSeconds),
    retry: w.retry ? w.retry.schedule.join(', ') : '',
    authType: type,
    auth: authValues(authProperties(plugins.find((p) => p.id === type)), stored),
    headers: [
      ...Object.entries(w.headers).map(([k, v]) => (v === MASK ? newRow(k, '', true) : newRow(k, v))),
      // Stored secret headers: set, never shown; an empty value keeps the stored one.
      ...Object.keys(w.secretHeaders ?? {}).map((k) => ({ ...newRow(k, '', true), secret: true })),
    ],
  };
}

/** "a, b" or one per line → the list, without blanks. */
export function parseList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Messages of the checks made here; the screen translates them. */
export interface FormMessages {
  retryNumbers: string;
  retryCannotClear: string;
  retypeSecret: string;
  retypeHeader: string;
  /** A stored secret header renamed, or a shown one made secret: its value must be typed. */
  retypeSecretHeader: string;
  number: string;
}

function rowsToMap(rows: KeyValue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.name.trim() !== '' || r.value !== '') out[r.name.trim()] = r.value;
  return out;
}

function sameRows(a: KeyValue[], b: KeyValue[]): boolean {
  return a.length === b.length && a.every((r, i) => r.name === b[i]!.name && r.value === b[i]!.value);
}

/** Whether the user changed the authentication (type, a plain setting, or typed a secret). */
function authChanged(form: FormState, initial: FormState, props: AuthProperty[]): boolean {
  if (form.authType !== initial.authType) return true;
  return props.some((p) => {
    const now = form.auth[p.name];
    const before = initial.auth[p.name];
    if (p.kind === 'map') return !sameRows((now as KeyValue[] | undefined) ?? [], (before as KeyValue[] | undefined) ?? []);
    if (p.secret) return now !== '' && now !== undefined;
    return now !== before;
  });
}

function authBody(form: FormState, props: AuthProperty[], problems: FieldProblem[], msg: FormMessages, mustRetype: boolean): S['WebhookAuth'] {
  const body: Record<string, unknown> = { type: form.authType };
  for (const p of props) {
    const v = form.auth[p.name];
    if (p.kind === 'map') {
      const rows = (v as KeyValue[] | undefined) ?? [];
      if (mustRetype) for (const r of rows) if (r.masked && r.value === '') problems.push({ field: `/auth/${p.name}/${pointerSegment(r.name)}`, message: msg.retypeSecret });
      if (rows.length > 0 || p.required) body[p.name] = rowsToMap(rows);
    } else if (p.kind === 'boolean') body[p.name] = v === true;
    else {
      const text = typeof v === 'string' ? v : '';
      if (text === '') {
        if (p.secret && mustRetype) problems.push({ field: `/auth/${p.name}`, message: msg.retypeSecret });
        continue;
      }
      if (p.kind === 'number') {
        const n = Number(text);
        if (!Number.isFinite(n)) problems.push({ field: `/auth/${p.name}`, message: msg.number });
        else body[p.name] = n;
      } else body[p.name] = text;
    }
  }
  return body as S['WebhookAuth'];
}

function retryBody(form: FormState, problems: FieldProblem[], msg: FormMessages): S['RetryPolicy'] | undefined {
  const parts = parseList(form.retry.replace(/\s+/g, ','));
  if (parts.length === 0) return undefined;
  const schedule = parts.map(Number);
  if (schedule.some((n) => !Number.isFinite(n))) {
    problems.push({ field: '/retry', message: msg.retryNumbers });
    return undefined;
  }
  return { schedule };
}

const plainRows = (rows: KeyValue[]) => rows.filter((r) => !r.secret);
const secretRows = (rows: KeyValue[]) => rows.filter((r) => r.secret);

function headersBody(form: FormState, problems: FieldProblem[], msg: FormMessages): Record<string, string> {
  const rows = plainRows(form.headers);
  for (const r of rows) if (r.masked && r.value === '') problems.push({ field: `/headers/${pointerSegment(r.name)}`, message: msg.retypeHeader });
  return rowsToMap(rows);
}

/**
 * The secret headers of a PATCH, which the API merges by name: the values typed (new or
 * replacing), and the stored ones the form no longer has as secret headers, to remove. A stored
 * secret header left as it was (same row, same name, no value typed) is not sent, so it keeps its
 * value; one renamed, or a masked plain header made secret, has to be typed.
 */
function secretHeadersBody(form: FormState, initial: FormState, problems: FieldProblem[], msg: FormMessages): Pick<WebhookUpdate, 'secretHeaders' | 'removeSecretHeaders'> {
  const set: Record<string, string> = {};
  const kept = new Set<string>();
  for (const r of secretRows(form.headers)) {
    const name = r.name.trim();
    if (name === '' && r.value === '') continue;
    const before = initial.headers.find((x) => x.id === r.id);
    if (r.value !== '' || !r.masked) set[name] = r.value;
    else if (before?.secret && before.name === r.name) {
      kept.add(name.toLowerCase());
      continue;
    } else problems.push({ field: `/secretHeaders/${pointerSegment(name)}`, message: msg.retypeSecretHeader });
    kept.add(name.toLowerCase());
  }
  const remove = secretRows(initial.headers).map((r) => r.name).filter((n) => !kept.has(n.toLowerCase()));
  return { ...(Object.keys(set).length > 0 ? { secretHeaders: set } : {}), ...(remove.length > 0 ? { removeSecretHeaders: remove } : {}) };
}

function dedupBody(form: FormState, problems: FieldProblem[], msg: FormMessages): number | undefined {
  if (form.dedupWindowSeconds.trim() === '') return undefined;
  const n = Number(form.dedupWindowSeconds);
  if (!Number.isFinite(n)) {
    problems.push({ field: '/dedupWindowSeconds', message: msg.number });
    return undefined;
  }
  return n;
}

/** The body of POST /v1/webhooks, or the problems found before sending. */
export function createBody(form: FormState, plugins: Plugin[], msg: FormMessages): { body: WebhookCreate; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const props = authProperties(plugins.find((p) => p.id === form.authType));
  const retry = retryBody(form, problems, msg);
  const dedup = dedupBody(form, problems, msg);
  const headers = headersBody(form, problems, msg);
  const secretHeaders = rowsToMap(secretRows(form.headers));
  const body: WebhookCreate = {
    name: form.name,
    url: form.url,
    method: form.method,
    active: form.active,
    eventTypes: form.eventTypes,
    auth: authBody(form, props, problems, msg, false),
    headers,
    ...(Object.keys(secretHeaders).length > 0 ? { secretHeaders } : {}),
    ...(form.description ? { description: form.description } : {}),
    ...(form.projectsMode === 'only' ? { projects: parseList(form.projects) } : {}),
    ...(form.schema ? { schema: form.schema } : {}),
    ...(dedup !== undefined ? { dedupWindowSeconds: dedup } : {}),
    ...(retry ? { retry } : {}),
  };
  return { body, problems };
}

/**
 * The body of PATCH /v1/webhooks/{id}. `auth` and `headers` are replaced whole by the API and it
 * answers their secrets masked, so they are sent only when changed: an unchanged authentication
 * keeps its stored secrets by being left out (the API takes `********` literally, not as "keep").
 * Secret headers are merged by name (see secretHeadersBody).
 */
export function updateBody(form: FormState, initial: FormState, plugins: Plugin[], msg: FormMessages): { body: WebhookUpdate; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const props = authProperties(plugins.find((p) => p.id === form.authType));
  const retry = retryBody(form, problems, msg);
  if (!retry && initial.retry !== '') problems.push({ field: '/retry', message: msg.retryCannotClear });
  const dedup = dedupBody(form, problems, msg);
  const body: WebhookUpdate = {
    name: form.name,
    description: form.description,
    url: form.url,
    method: form.method,
    active: form.active,
    eventTypes: form.eventTypes,
    projects: form.projectsMode === 'only' ? parseList(form.projects) : null,
    schema: form.schema ? form.schema : null,
    ...(dedup !== undefined ? { dedupWindowSeconds: dedup } : {}),
    ...(retry ? { retry } : {}),
  };
  if (authChanged(form, initial, props)) body.auth = authBody(form, props, problems, msg, form.authType === initial.authType);
  if (!sameRows(plainRows(form.headers), plainRows(initial.headers))) body.headers = headersBody(form, problems, msg);
  Object.assign(body, secretHeadersBody(form, initial, problems, msg));
  return { body, problems };
}

export type TabKey = 'details' | 'auth' | 'headers' | 'secret';

/** The tab that holds the field at this JSON Pointer. */
export function tabOf(field: string): TabKey {
  if (field === '/auth' || field.startsWith('/auth/')) return 'auth';
  if (field === '/headers' || field.startsWith('/headers/')) return 'headers';
  if (['/secretHeaders', '/removeSecretHeaders'].some((f) => field === f || field.startsWith(`${f}/`))) return 'headers';
  if (field === '/secret') return 'secret';
  return 'details';
}

/** The message at this pointer or under it (`/retry` also takes `/retry/schedule/0`). */
export function messageAt(problems: FieldProblem[], pointer: string): string | undefined {
  return (problems.find((e) => e.field === pointer) ?? problems.find((e) => e.field.startsWith(`${pointer}/`)))?.message;
}

/** The exact message at this pointer (no prefix match: header rows share the `/headers/` prefix). */
export function exactAt(problems: FieldProblem[], pointer: string): string | undefined {
  return problems.find((e) => e.field === pointer)?.message;
}

/** JSON Pointer escaping of one path segment (RFC 6901). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
