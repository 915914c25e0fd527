import { jsonPointer, type FieldError, type Webhook } from '@herald/core';
import { MASK, type PluginRegistry } from '@herald/transport';

/** Most secret headers a webhook holds (as `WebhookSecretHeaders` allows in one request). */
export const MAX_SECRET_HEADERS = 20;

/** The header fields of a create or update body. */
export interface HeaderInput {
  auth?: Webhook['auth'];
  headers?: Record<string, string>;
  secretHeaders?: Record<string, string>;
  /** Update only: stored secret headers to drop, by name. */
  removeSecretHeaders?: string[];
}

const lower = (name: string) => name.toLowerCase();

/**
 * The secret headers a webhook has after `input`: the stored ones (`current`), less those named in
 * `removeSecretHeaders`, with those sent in `secretHeaders` added or replacing the stored one of
 * the same name whatever its case. Values never have to be sent again: answers do not show them.
 * Pushes an error for a name to remove that is not stored, or that is sent as well. Absent = none.
 */
export function nextSecretHeaders(current: Record<string, string> | undefined, input: HeaderInput, errors: FieldError[]): Record<string, string> | undefined {
  const out = new Map<string, [string, string]>(Object.entries(current ?? {}).map(([k, v]) => [lower(k), [k, v]]));
  const sent = new Set(Object.keys(input.secretHeaders ?? {}).map(lower));
  for (const [i, name] of (input.removeSecretHeaders ?? []).entries()) {
    if (sent.has(lower(name))) errors.push({ field: jsonPointer(['removeSecretHeaders', i]), message: 'is also sent in secretHeaders: either set it or remove it' });
    else if (!out.delete(lower(name))) errors.push({ field: jsonPointer(['removeSecretHeaders', i]), message: 'is not a secret header of the webhook' });
  }
  for (const [name, value] of Object.entries(input.secretHeaders ?? {})) out.set(lower(name), [name, value]);
  return out.size === 0 ? undefined : Object.fromEntries(out.values());
}

/** The lower-cased names of the headers the webhook's auth plugin sets; none when it is not installed. */
function pluginHeaderNames(auth: Webhook['auth'], plugins: PluginRegistry): Set<string> {
  try {
    const { type: _type, ...config } = auth;
    return new Set(plugins.get(auth.type).secretHeaders(config).map(lower));
  } catch {
    return new Set();
  }
}

/**
 * Checks what the spec cannot about a webhook's headers as they will be (`headers`,
 * `secretHeaders`, `auth`), naming the field of the request that caused each problem:
 *
 * - a name appears once among the secret headers, whatever its case;
 * - no name is both a plain and a secret header;
 * - no header of either kind is one the auth plugin sets (`authorization` with `basic`), which
 *   would replace it — a secret header would be silently dropped;
 * - no secret value is the mask answers show (a read answer sent back would store `********`);
 * - at most MAX_SECRET_HEADERS secret headers in all.
 *
 * Only what `input` touches is checked, so that a webhook stored before a rule existed can still
 * be changed in other ways.
 */
export function headerProblems(next: Pick<Webhook, 'auth' | 'headers' | 'secretHeaders'>, input: HeaderInput, plugins: PluginRegistry): FieldError[] {
  const errors: FieldError[] = [];
  const secret = next.secretHeaders ?? {};
  const sentSecret = input.secretHeaders ?? {};
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(sentSecret)) {
    const field = jsonPointer(['secretHeaders', name]);
    const first = seen.get(lower(name));
    if (first !== undefined) errors.push({ field, message: `is the same header as ${first} (header names ignore case)` });
    else seen.set(lower(name), name);
    if (value === MASK) errors.push({ field, message: 'is the mask answers show: send the value itself, or leave the header out to keep the stored one' });
  }

  const plain = new Map(Object.keys(next.headers).map((k) => [lower(k), k]));
  if (input.headers !== undefined || input.secretHeaders !== undefined) {
    for (const name of Object.keys(secret)) {
      const clash = plain.get(lower(name));
      if (clash === undefined) continue;
      errors.push(
        name in sentSecret || input.headers === undefined
          ? { field: jsonPointer(['secretHeaders', name]), message: `is also a plain header (headers/${clash}): a header is either plain or secret` }
          : { field: jsonPointer(['headers', clash]), message: `is also a secret header (secretHeaders/${name}): a header is either plain or secret` },
      );
    }
  }

  const fromPlugin = pluginHeaderNames(next.auth, plugins);
  const byPlugin = `is set by the ${next.auth.type} authentication (auth), which would replace it`;
  if (input.headers !== undefined || input.auth !== undefined) {
    for (const name of Object.keys(next.headers)) if (fromPlugin.has(lower(name))) errors.push({ field: jsonPointer(['headers', name]), message: byPlugin });
  }
  if (input.secretHeaders !== undefined || input.auth !== undefined) {
    for (const name of Object.keys(secret)) if (fromPlugin.has(lower(name))) errors.push({ field: jsonPointer(['secretHeaders', name]), message: byPlugin });
  }

  const count = Object.keys(secret).length;
  if (count > MAX_SECRET_HEADERS && input.secretHeaders !== undefined) {
    errors.push({ field: '/secretHeaders', message: `would give the webhook ${count} secret headers with the stored ones; at most ${MAX_SECRET_HEADERS}` });
  }
  return errors;
}
