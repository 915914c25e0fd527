import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HeraldError } from '@herald/core';

export type Principal = { kind: 'operator' } | { kind: 'ingest' };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Bearer authentication. For now the operator token (HERALD_ADMIN_TOKEN) and the ingest
 * token (HERALD_INGEST_TOKEN) are known; account API keys come with the config API.
 */
export function authenticate(tokens: { admin: string; ingest?: string }): RequestHandler {
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      next(new HeraldError('HERALD_UNAUTHORIZED', 'Send an API key as Authorization: Bearer <key>'));
      return;
    }
    const token = m[1]!;
    if (sameSecret(token, tokens.admin)) req.principal = { kind: 'operator' };
    else if (tokens.ingest !== undefined && sameSecret(token, tokens.ingest)) req.principal = { kind: 'ingest' };
    else {
      next(new HeraldError('HERALD_UNAUTHORIZED', 'The API key is not valid'));
      return;
    }
    next();
  };
}
