/**
 * How values go into and come out of the SQLite store's typed columns: instants as integer
 * milliseconds since the epoch (read back as new Date objects, so callers never share one with
 * the store), booleans as 0 and 1 (SQLite has no boolean; better-sqlite3 binds none).
 */

export function toMillis(d: Date): number {
  return d.getTime();
}

export function toMillisOrNull(d: Date | null | undefined): number | null {
  return d === null || d === undefined ? null : d.getTime();
}

export function toDate(ms: number): Date {
  return new Date(ms);
}

export function toDateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

export function toFlag(b: boolean): 0 | 1 {
  return b ? 1 : 0;
}

export function fromFlag(n: number): boolean {
  return n !== 0;
}
