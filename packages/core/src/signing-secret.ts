/**
 * The rule of a webhook's Standard Webhooks signing secret (F12), wherever one is accepted
 * (create, update, rotate): `whsec_` and the standard base64 (RFC 4648 §4, `+` and `/`, with its
 * `=` padding, nothing after it) of 24 to 64 bytes — the Standard Webhooks recommendation. A
 * shorter or longer key, or text that is not such base64, would be accepted and then fail every
 * signature.
 */

export const SIGNING_SECRET_PREFIX = 'whsec_';
export const SIGNING_SECRET_MIN_BYTES = 24;
export const SIGNING_SECRET_MAX_BYTES = 64;

/** What the API answers on `/secret` when a secret breaks the rule. */
export const SIGNING_SECRET_RULE =
  `must be ${SIGNING_SECRET_PREFIX} followed by the standard base64 (A-Z a-z 0-9 + /, with = padding) of ${SIGNING_SECRET_MIN_BYTES} to ${SIGNING_SECRET_MAX_BYTES} random bytes, ` +
  `e.g. whsec_ and the base64 of 32 bytes from a secure random generator`;

const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

/** How many bytes canonical base64 text holds, or undefined if it is not canonical base64 (padding included, no stray bits). */
export function base64ByteLength(text: string): number | undefined {
  if (!CANONICAL_BASE64.test(text)) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** Why a signing secret cannot be used, or undefined when it can. */
export function signingSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SIGNING_SECRET_PREFIX)) return SIGNING_SECRET_RULE;
  const bytes = base64ByteLength(secret.slice(SIGNING_SECRET_PREFIX.length));
  if (bytes === undefined || bytes < SIGNING_SECRET_MIN_BYTES || bytes > SIGNING_SECRET_MAX_BYTES) return SIGNING_SECRET_RULE;
  return undefined;
}
