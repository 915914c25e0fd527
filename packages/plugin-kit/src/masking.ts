export const MASK = '********';

/** Header names that always carry secrets, whatever the plugin says. */
export const ALWAYS_SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

/** A copy of the headers with the secret ones masked, for the delivery log. */
export function maskHeaders(headers: Record<string, string>, secretNames: readonly string[]): Record<string, string> {
  const secret = new Set([...ALWAYS_SECRET_HEADERS, ...secretNames.map((n) => n.toLowerCase())]);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = secret.has(k.toLowerCase()) ? MASK : v;
  return out;
}

/**
 * A copy of a plugin config with its secret fields masked, for API responses. A secret field
 * that holds an object (e.g. the `headers` plugin's name → value map) keeps its keys, each
 * value masked.
 */
export function maskConfig<T extends Record<string, unknown>>(config: T, secretFields: readonly string[]): T {
  const out: Record<string, unknown> = { ...config };
  for (const f of secretFields) {
    const v = out[f];
    if (v === undefined) continue;
    out[f] = typeof v === 'object' && v !== null ? Object.fromEntries(Object.keys(v).map((k) => [k, MASK])) : MASK;
  }
  return out as T;
}

/**
 * Headers Herald sets on every delivery itself; neither a webhook's own headers nor an auth
 * plugin may replace them.
 */
export const HERALD_RESERVED_HEADERS: readonly string[] = [
  'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'user-agent',
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'triggered-at',
];
