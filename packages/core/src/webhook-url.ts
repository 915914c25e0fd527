/**
 * The rule of a webhook's target URL (F1): `http` or `https`, a host, a port from 1 to 65535 if
 * one is given, and no user info. A URL such as `http://`, `http:///path` or
 * `http://127.0.0.1:99999/` can never be delivered to, and `http://user:pass@host/` would put a
 * password where every reader of the webhook sees it: credentials belong in `auth`, whose secrets
 * are write-only.
 */

/** What the API answers on `/url` for a URL that is not http(s). */
export const WEBHOOK_URL_RULE = 'must be an http or https URL with a host, e.g. https://erp.example.com/hooks/herald';
/** What the API answers on `/url` for a URL with a user name or password in it. */
export const WEBHOOK_URL_USERINFO_RULE =
  'must not hold a user name or password (user:pass@): put credentials in auth, e.g. { "type": "basic", "username": "...", "password": "..." }, whose secrets are write-only';
/** What the API answers on `/url` for a port out of range. */
export const WEBHOOK_URL_PORT_RULE = 'must have a port from 1 to 65535, or none (80 for http, 443 for https)';

const SCHEME_AND_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/** Why a webhook URL cannot be used, or undefined when it can. */
export function webhookUrlProblem(url: string): string | undefined {
  const m = SCHEME_AND_AUTHORITY.exec(url);
  if (!m || !/^https?$/i.test(m[1]!)) return WEBHOOK_URL_RULE;
  const authority = m[2]!;
  if (authority.includes('@')) return WEBHOOK_URL_USERINFO_RULE;
  let host: string;
  let port: string | undefined;
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) return WEBHOOK_URL_RULE;
    host = authority.slice(0, end + 1);
    const rest = authority.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return WEBHOOK_URL_RULE;
    if (rest !== '') port = rest.slice(1);
  } else {
    const colon = authority.indexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    if (colon >= 0) port = authority.slice(colon + 1);
  }
  if (host === '' || host === '[]') return WEBHOOK_URL_RULE;
  if (port !== undefined && (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535)) return WEBHOOK_URL_PORT_RULE;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return WEBHOOK_URL_RULE;
  }
  if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') return WEBHOOK_URL_RULE;
  return undefined;
}
