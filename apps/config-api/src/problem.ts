import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { toHeraldError, type FieldError } from '@herald/core';
import type { Logger } from '@herald/runtime';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
}

/** Sends an RFC 9457 problem+json answer. */
export function sendProblem(res: Response, status: number, detail: string, extra: { code?: string; errors?: FieldError[] } = {}): void {
  const body: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra };
  if (status === 401) res.setHeader('www-authenticate', 'Bearer');
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, 404, `No route ${req.method} ${req.path}`, { code: 'HERALD_NOT_FOUND' });
};

/** Turns anything thrown (ours, body-parser's, unknown) into problem+json; never leaks internals on 5xx. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e?.type === 'entity.too.large') {
      sendProblem(res, 413, `The request body is larger than ${e.limit} bytes`, { code: 'HERALD_PAYLOAD_TOO_LARGE' });
      return;
    }
    if (e?.type === 'entity.parse.failed') {
      sendProblem(res, 400, `The request body is not valid JSON: ${e.message}`, { code: 'HERALD_VALIDATION', errors: [{ field: '', message: 'is not valid JSON' }] });
      return;
    }
    if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') {
      sendProblem(res, 415, e.message ?? 'Unsupported encoding', { code: 'HERALD_VALIDATION' });
      return;
    }
    const h = toHeraldError(err);
    if (h.status >= 500) {
      logger.error({ err }, 'request failed');
      sendProblem(res, h.status, h.code === 'HERALD_INTERNAL' ? 'An internal error occurred' : h.message, { code: h.code });
      return;
    }
    sendProblem(res, h.status, h.message, { code: h.code, ...(h.errors.length > 0 ? { errors: h.errors } : {}) });
  };
}
