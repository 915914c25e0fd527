import { HeraldError } from '@herald/core';

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Parses a message value; a value that is not JSON throws HERALD_VALIDATION with the reason. */
export function decodeJson(value: Buffer | string): unknown {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw HeraldError.validation('The message is not valid JSON', [
      { field: '', message: `is not valid JSON: ${(err as Error).message}` },
    ]);
  }
}
