/**
 * The one error type of Herald. Every error that crosses a package boundary is a
 * HeraldError with a stable code; the API edge turns it into RFC 9457 problem+json.
 */
export type HeraldErrorCode =
  | 'HERALD_VALIDATION'
  | 'HERALD_NOT_FOUND'
  | 'HERALD_METHOD_NOT_ALLOWED'
  | 'HERALD_CONFLICT'
  | 'HERALD_UNAUTHORIZED'
  | 'HERALD_FORBIDDEN'
  | 'HERALD_PAYLOAD_TOO_LARGE'
  | 'HERALD_CONFIG_INVALID'
  | 'HERALD_PLUGIN_NOT_FOUND'
  | 'HERALD_PLUGIN_VERSION_MISMATCH'
  | 'HERALD_PLUGIN_CONFIG_INVALID'
  | 'HERALD_TRANSPORT'
  | 'HERALD_UNAVAILABLE'
  | 'HERALD_INTERNAL';

export interface FieldError {
  /**
   * JSON Pointer (RFC 6901) to the offending field, e.g. `/entity/id`, a key `a/b` as `/a~1b`;
   * `` (empty) for the whole document. Written with `jsonPointer` / `appendPointer`. For a query
   * or path parameter: its name (`limit`).
   */
  field: string;
  message: string;
}

const STATUS_BY_CODE: Record<HeraldErrorCode, number> = {
  HERALD_VALIDATION: 400,
  HERALD_NOT_FOUND: 404,
  HERALD_METHOD_NOT_ALLOWED: 405,
  HERALD_CONFLICT: 409,
  HERALD_UNAUTHORIZED: 401,
  HERALD_FORBIDDEN: 403,
  HERALD_PAYLOAD_TOO_LARGE: 413,
  HERALD_CONFIG_INVALID: 500,
  HERALD_PLUGIN_NOT_FOUND: 400,
  HERALD_PLUGIN_VERSION_MISMATCH: 500,
  HERALD_PLUGIN_CONFIG_INVALID: 400,
  HERALD_TRANSPORT: 502,
  HERALD_UNAVAILABLE: 503,
  HERALD_INTERNAL: 500,
};

export interface HeraldErrorOptions {
  errors?: FieldError[];
  cause?: unknown;
  status?: number;
}

export class HeraldError extends Error {
  override readonly name = 'HeraldError';
  readonly code: HeraldErrorCode;
  readonly errors: FieldError[];
  readonly status: number;

  constructor(code: HeraldErrorCode, message: string, options: HeraldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errors = options.errors ?? [];
    this.status = options.status ?? STATUS_BY_CODE[code];
  }

  static validation(message: string, errors: FieldError[]): HeraldError {
    return new HeraldError('HERALD_VALIDATION', message, { errors });
  }
}

/** Turns anything thrown into a HeraldError (unknown errors become HERALD_INTERNAL, with the original as cause). */
export function toHeraldError(err: unknown): HeraldError {
  if (err instanceof HeraldError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HeraldError('HERALD_INTERNAL', message, { cause: err });
}

export function isHeraldError(err: unknown, code?: HeraldErrorCode): err is HeraldError {
  return err instanceof HeraldError && (code === undefined || err.code === code);
}
