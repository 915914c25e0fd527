/**
 * Reading unique-key violations out of what better-sqlite3 throws: a `SqliteError` whose `code`
 * is SQLite's extended result code. A duplicate primary key is `SQLITE_CONSTRAINT_PRIMARYKEY`, a
 * duplicate in another UNIQUE index `SQLITE_CONSTRAINT_UNIQUE`. The repositories turn these into
 * HERALD_CONFLICT where the contract says so (the MongoDB store does the same with E11000, see
 * mongo/duplicate-key.ts); anything else (NOT NULL, a wrong type in a STRICT table, I/O) is
 * rethrown as it is. Most writes need no such mapping: `INSERT … ON CONFLICT DO NOTHING` and
 * `ON CONFLICT … DO UPDATE … WHERE` say in their change count what happened.
 */
const UNIQUE_CODES: ReadonlySet<string> = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);

/** Whether `err` is a violation of a primary key or a unique index, and nothing else. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && UNIQUE_CODES.has(code);
}
