/**
 * The value comparisons of rule conditions: JSON equality and ISO 8601 instants. Total functions:
 * whatever they are given, they answer, and never throw.
 */

const MAX_DEPTH = 64;

/** A JSON primitive, compared with `===`. */
export function isPrimitive(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * JSON equality: same primitive (no coercion), or arrays with equal members in order, or objects
 * with the same own enumerable keys and equal values. Structures nested deeper than 64 levels are
 * never equal (events come from JSON: they are not that deep, and this keeps the stack bounded).
 */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth >= MAX_DEPTH) return false;
  const aArray = Array.isArray(a);
  if (aArray !== Array.isArray(b)) return false;
  if (aArray) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!jsonEqual(x[i], y[i], depth + 1)) return false;
    return true;
  }
  const xKeys = Object.keys(a);
  const yKeys = Object.keys(b);
  if (xKeys.length !== yKeys.length) return false;
  for (const k of xKeys) {
    if (!Object.hasOwn(b, k)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 48;

/** The number of `len` decimal digits at `at`, or -1. */
function digits(s: string, at: number, len: number): number {
  if (at + len > s.length) return -1;
  let n = 0;
  for (let i = at; i < at + len; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The instant (ms since the epoch, with any sub-millisecond fraction) of an ISO 8601 date
 * (`2026-11-24`, midnight UTC) or date-time (`2026-11-24T10:55:27Z`, `2026-11-24T11:55:27.5+01:00`,
 * `…+0100`, seconds optional; without a zone = UTC); undefined for anything else, including
 * impossible dates such as `2026-02-30`. Hand-written (no RegExp, no Date): it runs per event.
 */
export function isoInstant(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const len = v.length;
  if (len < 10 || len > 40 || v.charCodeAt(4) !== 45 /* - */ || v.charCodeAt(7) !== 45) return undefined;
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 2);
  const day = digits(v, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fraction = 0;
  let offset = 0;
  let i = 10;
  if (i < len) {
    const t = v.charCodeAt(i);
    if (t !== 84 /* T */ && t !== 116 /* t */) return undefined;
    hour = digits(v, 11, 2);
    minute = v.charCodeAt(13) === 58 /* : */ ? digits(v, 14, 2) : -1;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
    i = 16;
    if (i < len && v.charCodeAt(i) === 58) {
      second = digits(v, 17, 2);
      if (second < 0 || second > 59) return undefined;
      i = 19;
      if (i < len && v.charCodeAt(i) === 46 /* . */) {
        let scale = 100;
        let n = 0;
        i++;
        while (i < len && v.charCodeAt(i) >= ZERO && v.charCodeAt(i) <= ZERO + 9) {
          fraction += (v.charCodeAt(i) - ZERO) * scale;
          scale /= 10;
          i++;
          n++;
        }
        if (n === 0 || n > 9) return undefined;
      }
    }
    if (i < len) {
      const z = v.charCodeAt(i);
      if ((z === 90 /* Z */ || z === 122 /* z */) && i + 1 === len) i = len;
      else if (z === 43 /* + */ || z === 45 /* - */) {
        const oh = digits(v, i + 1, 2);
        const colon = v.charCodeAt(i + 3) === 58 ? 1 : 0;
        const om = digits(v, i + 3 + colon, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59 || i + 5 + colon !== len) return undefined;
        offset = (oh * 60 + om) * 60_000 * (z === 43 ? 1 : -1);
        i = len;
      } else return undefined;
    }
  }
  // Date.UTC reads years 0–99 as 1900–1999; shift them by 400 years (same calendar) and back.
  const shifted = year < 100;
  const base = Date.UTC(shifted ? year + 400 : year, month - 1, day, hour, minute, second);
  return (shifted ? base - 12_622_780_800_000 : base) + fraction - offset;
}
