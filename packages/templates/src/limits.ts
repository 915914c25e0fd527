import { HeraldError } from '@herald/core';

/**
 * What one schema may cost. Rendering is synchronous, so these bounds are also how long a
 * template can hold the event loop. Every limit is configurable per call; the defaults suit
 * webhook payloads, which are small.
 */
export interface TemplateLimits {
  /** Longest template body accepted, in characters (liquidjs `parseLimit`). */
  maxTemplateChars: number;
  /** Wall-clock time one render may take, in milliseconds (liquidjs `renderLimit`). */
  renderTimeMs: number;
  /** Largest rendered body, in UTF-8 bytes; also the largest single string or array a render may build. */
  maxOutputBytes: number;
  /**
   * liquidjs `memoryLimit`: units of memory a render may allocate in total through ranges, array
   * and string filters and `{% capture %}` (roughly one unit per character or array element).
   */
  memoryUnits: number;
}

export const DEFAULT_TEMPLATE_LIMITS: Readonly<TemplateLimits> = Object.freeze({
  maxTemplateChars: 256 * 1024,
  renderTimeMs: 100,
  maxOutputBytes: 1024 * 1024,
  memoryUnits: 10_000_000,
});

export function resolveLimits(limits: Partial<TemplateLimits> | undefined): TemplateLimits {
  if (limits === undefined) return DEFAULT_TEMPLATE_LIMITS;
  const resolved: TemplateLimits = { ...DEFAULT_TEMPLATE_LIMITS };
  for (const key of Object.keys(DEFAULT_TEMPLATE_LIMITS) as (keyof TemplateLimits)[]) {
    const value = limits[key];
    if (value !== undefined) resolved[key] = value;
  }
  for (const [name, value] of Object.entries(resolved)) {
    if (!(typeof value === 'number' && value > 0)) {
      throw new HeraldError('HERALD_CONFIG_INVALID', `The template limit ${name} must be a positive number`, {
        errors: [{ field: `/${name}`, message: 'must be a positive number' }],
      });
    }
  }
  return resolved;
}
