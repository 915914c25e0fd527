import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { HeraldError } from '@herald/core';
import type { Store } from '@herald/store';
import type { Logger } from '@herald/runtime';

/** Who is calling: the operator, the ingest token, or an account's API key. */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'ingest' }
  | { kind: 'account'; account: string; role: 'admin' | 'read'; keyId: string };

const KEY_PREFIX = 'hk_';

/** A new API key: `hk_` and 32 random bytes in base64url. Only its SHA-256 is stored. */
export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 10) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Bearer authentication: the operator token (HERALD_ADMIN_TOKEN), the ingest token
 * (HERALD_INGEST_TOKEN), or an account API key looked up by its hash. No header → undefined
 * (the router answers 401); a token that matches nothing → 401 at once.
 */
export function createAuthenticator(deps: { store: Store; adminToken: string; ingestToken?: string; logger: Logger }) {
  return async (req: Request): Promise<Principal | undefined> => {
    const header = req.get('authorization');
    if (header === undefined) return undefined;
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new HeraldError('HERALD_UNAUTHORIZED', 'Send an API key as Authorization: Bearer <key>');
    const token = m[1]!;
    if (sameSecret(token, deps.adminToken)) return { kind: 'operator' };
    if (deps.ingestToken !== undefined && sameSecret(token, deps.ingestToken)) return { kind: 'ingest' };
    if (token.startsWith(KEY_PREFIX)) {
      const key = await deps.store.apiKeys.findActiveByHashAcrossAccounts(hashApiKey(token));
      if (key) {
        const now = new Date();
        // Best effort, to the minute: a failed touch must not fail the request.
        if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
          deps.store.apiKeys.touch(key.account, key.id, now).catch((err: unknown) => deps.logger.warn({ err, keyId: key.id }, 'could not record key use'));
        }
        return { kind: 'account', account: key.account, role: key.role, keyId: key.id };
      }
    }
    throw new HeraldError('HERALD_UNAUTHORIZED', 'The API key is not valid (unknown or revoked)');
  };
}
