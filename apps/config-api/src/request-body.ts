import express, { type Request, type Response } from 'express';
import { HeraldError } from '@herald/core';

/**
 * Whether a `Content-Type` is JSON as the API takes it: `application/json`, with no parameter but
 * an optional `charset=utf-8` (any case, quoted or not). `application/merge-patch+json`,
 * `application/json-patch+json` and every other `+json` type are not: the spec documents no
 * operation that takes them, so they are refused (415) rather than read as if they were JSON.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) return false;
    const name = param.slice(0, eq).trim().toLowerCase();
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name !== 'charset' || value.toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

/** The request carries content (RFC 9112: a non-zero Content-Length, or Transfer-Encoding). */
export function hasRequestBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

export const UNSUPPORTED_MEDIA_TYPE_MESSAGE = 'The request body must be JSON (Content-Type: application/json)';

/**
 * Reads the JSON body of an operation that takes one: absent when the request has none; a 415
 * for any other content type, a 413 past `maxBytes`, a 400 for JSON that does not parse. Each is
 * a HeraldError, so that the router knows the operation that answers it.
 */
export function jsonBodyReader(maxBytes: number): (req: Request, res: Response) => Promise<unknown> {
  const parse = express.json({ limit: maxBytes, strict: false, type: () => true });
  return async (req, res) => {
    if (!hasRequestBody(req)) return undefined;
    const type = req.headers['content-type'];
    if (!isJsonContentType(type)) {
      throw new HeraldError('HERALD_VALIDATION', `${UNSUPPORTED_MEDIA_TYPE_MESSAGE}, not ${type === undefined ? 'no Content-Type' : type}`, { status: 415 });
    }
    try {
      await new Promise<void>((resolve, reject) => parse(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    } catch (err) {
      const e = err as { type?: string; message?: string; limit?: number };
      if (e?.type === 'entity.too.large') throw new HeraldError('HERALD_PAYLOAD_TOO_LARGE', `The request body is larger than ${e.limit ?? maxBytes} bytes`);
      if (e?.type === 'entity.parse.failed') {
        throw HeraldError.validation(`The request body is not valid JSON: ${e.message}`, [{ field: '', message: 'is not valid JSON' }]);
      }
      if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
        throw new HeraldError('HERALD_VALIDATION', e.message ?? 'Unsupported encoding', { status: 415 });
      }
      if (e?.type === 'request.aborted' || e?.type === 'request.size.invalid') {
        throw HeraldError.validation(`The request body could not be read: ${e.message}`, [{ field: '', message: 'was not received whole' }]);
      }
      throw err;
    }
    return (req as { body?: unknown }).body;
  };
}
