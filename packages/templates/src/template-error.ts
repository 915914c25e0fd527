import { HeraldError, type FieldError } from '@herald/core';
import { AssertionError, LiquidError } from 'liquidjs';
import { OutputLimitError, SINGLE_ALLOCATION_MESSAGE } from './liquid-engine.ts';
import type { TemplateLimits } from './limits.ts';

/** Where a schema's template lives in the schema document; errors name it. */
export const BODY_FIELD = '/body';

export interface TemplateProblem {
  message: string;
  line?: number;
  column?: number;
  /** What the position is in, when it is not the template itself (e.g. `the rendered output`). */
  of?: string;
}

/** `message at line L, column C [of …]` (or just the message when there is no position). */
export function describeProblem(p: TemplateProblem): string {
  if (p.line === undefined) return p.message;
  return `${p.message} at line ${p.line}, column ${p.column ?? 1}${p.of === undefined ? '' : ` of ${p.of}`}`;
}

function position(err: LiquidError): { line: number; column: number } | undefined {
  const [line, column] = err.token?.getPosition?.() ?? [];
  if (line === undefined || column === undefined) return undefined;
  return { line, column };
}

function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 20 && LiquidError.is(e) && e.originalError !== undefined; i++) e = e.originalError;
  return e;
}

/** Turns what liquidjs (or our emitter) threw into a message and, where known, a position in the template. */
export function templateProblem(err: unknown, limits: TemplateLimits): TemplateProblem {
  const cause = rootCause(err);
  let message: string;
  if (cause instanceof OutputLimitError) {
    message = `the rendered output is larger than ${cause.maxOutputBytes} bytes; rendering was stopped`;
  } else if (cause instanceof AssertionError && cause.message === 'template render limit exceeded') {
    message = `rendering took longer than ${limits.renderTimeMs} ms; it was stopped`;
  } else if (cause instanceof AssertionError && cause.message === 'memory alloc limit exceeded') {
    message = `the template allocates more than its memory limit (${limits.memoryUnits} units); rendering was stopped`;
  } else if (cause instanceof AssertionError && cause.message === SINGLE_ALLOCATION_MESSAGE) {
    message = `the template builds a value larger than ${limits.maxOutputBytes} characters or elements; rendering was stopped`;
  } else if (cause instanceof AssertionError && cause.message === 'parse length limit exceeded') {
    message = `the template is longer than ${limits.maxTemplateChars} characters`;
  } else if (cause instanceof Error) {
    message = cause.message.replace(/, line:\d+, col:\d+$/, '');
  } else {
    message = String(cause);
  }
  const where = LiquidError.is(err) ? position(err) : undefined;
  return where === undefined ? { message } : { message, ...where };
}

/** HERALD_VALIDATION with one error on `/body` per problem; `cause` is what liquidjs threw, when it threw. */
export function templateError(title: string, problems: TemplateProblem[], cause?: unknown): HeraldError {
  const errors: FieldError[] = problems.map((p) => ({ field: BODY_FIELD, message: describeProblem(p) }));
  return new HeraldError('HERALD_VALIDATION', title, cause === undefined ? { errors } : { errors, cause });
}

/**
 * Whether a render failed on its time limit (`renderTimeMs`). That limit is wall-clock time, so
 * the same render may pass when the machine is less loaded; every other render failure comes
 * again with the same event and template.
 */
export function exceededRenderTime(err: unknown): boolean {
  const cause = rootCause(err instanceof HeraldError ? err.cause : err);
  return cause instanceof AssertionError && cause.message === 'template render limit exceeded';
}
