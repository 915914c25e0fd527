import { FINAL_DELIVERY_STATUSES } from '@herald/core';

/**
 * The tables and indexes of a Herald SQLite store, and the version of that layout.
 *
 * Every record keeps what the repositories query, sort or index on as typed columns (ids,
 * account, webhook, status, times as integer milliseconds since the epoch, due times, keys), and
 * free-form JSON (an event envelope, header maps, a webhook's settings, a schema's template) as
 * JSON text, passed through JSON exactly as the other stores do (internal/json-value.ts). Tables
 * are STRICT, so a value of the wrong type is refused rather than stored.
 *
 * Text compares with SQLite's default BINARY collation (memcmp of the UTF-8 bytes): the order of
 * internal/id-page.ts `compareIds`, as MongoDB sorts, so pages by id agree across the stores.
 */

/** The layout this code reads and writes. A database of a higher version was written by a newer Herald. */
export const SCHEMA_VERSION = 1;

/** Where the version lives; a database without this table is not a Herald store. */
export const META_TABLE = 'herald_meta';

/** `status IN (<the final statuses>)`: the retention sweeper's index and query use the same text. */
export const FINAL_STATUS_SQL = `status IN (${FINAL_DELIVERY_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** Version 1, created in one transaction on an empty database. */
export const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS ${META_TABLE} (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Deliveries: the log and the retry queue in one table.
CREATE TABLE IF NOT EXISTS deliveries (
  id              TEXT PRIMARY KEY,
  account         TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  schema_id       TEXT,
  event_id        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  entity_type     TEXT NOT NULL,
  entity_id       TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  attempt_limit   INTEGER,
  next_attempt_at INTEGER,
  lease_until     INTEGER,
  lease_owner     TEXT,
  -- internal/due.ts claimableFrom(): when the delivery may next be claimed (null: never, as it
  -- stands). Written with every change of status, nextAttemptAt or lease; the due index.
  claimable_from  INTEGER,
  last_error      TEXT,
  suppressed_by   TEXT,
  test            INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  event           TEXT NOT NULL
) STRICT;
-- deliveries.list: latest first within the account, alone or by webhook / entity.
CREATE INDEX IF NOT EXISTS deliveries_by_account_time ON deliveries (account, created_at, id);
CREATE INDEX IF NOT EXISTS deliveries_by_webhook_time ON deliveries (account, webhook_id, created_at, id);
CREATE INDEX IF NOT EXISTS deliveries_by_entity_time ON deliveries (account, entity_type, entity_id, created_at, id);
-- cancelPendingForWebhook
CREATE INDEX IF NOT EXISTS deliveries_pending_by_webhook ON deliveries (account, webhook_id) WHERE status = 'pending';
-- claimDueAcrossAccounts: due longest first (claimable_from, then next_attempt_at, then id).
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (claimable_from, next_attempt_at, id) WHERE claimable_from IS NOT NULL;
-- retention: final deliveries by when they became final.
CREATE INDEX IF NOT EXISTS deliveries_final_by_update ON deliveries (updated_at, id) WHERE ${FINAL_STATUS_SQL};

-- Attempts: one per (delivery, number).
CREATE TABLE IF NOT EXISTS attempts (
  delivery_id TEXT NOT NULL,
  number      INTEGER NOT NULL,
  id          TEXT NOT NULL,
  account     TEXT NOT NULL,
  webhook_id  TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  success     INTEGER NOT NULL,
  data        TEXT NOT NULL,
  PRIMARY KEY (delivery_id, number)
) STRICT;

CREATE TABLE IF NOT EXISTS webhooks (
  id               TEXT PRIMARY KEY,
  account          TEXT NOT NULL,
  active           INTEGER NOT NULL,
  event_types      TEXT NOT NULL,
  secret           TEXT NOT NULL,
  auth             TEXT NOT NULL,
  sealed_auth      TEXT,
  previous_secrets TEXT,
  disabled_at      INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  data             TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS webhooks_by_account ON webhooks (account, id);

CREATE TABLE IF NOT EXISTS webhook_health (
  account              TEXT NOT NULL,
  webhook_id           TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL,
  failing_since        INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  PRIMARY KEY (account, webhook_id)
) STRICT;

CREATE TABLE IF NOT EXISTS accounts (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  webhooks_enabled INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS api_keys (
  id           TEXT PRIMARY KEY,
  account      TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS api_keys_by_account ON api_keys (account, created_at, id);

CREATE TABLE IF NOT EXISTS event_types (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  archived    INTEGER NOT NULL,
  schema      TEXT,
  example     TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS schemas (
  id         TEXT PRIMARY KEY,
  account    TEXT NOT NULL,
  data       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS schemas_by_account ON schemas (account, id);

CREATE TABLE IF NOT EXISTS rule_groups (
  id         TEXT PRIMARY KEY,
  account    TEXT NOT NULL,
  data       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS rule_groups_by_account ON rule_groups (account, id);

-- De-duplication: the latest claim of each (account, key).
CREATE TABLE IF NOT EXISTS dedup_claims (
  account     TEXT NOT NULL,
  key         TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  until       INTEGER NOT NULL,
  PRIMARY KEY (account, key)
) STRICT;
CREATE INDEX IF NOT EXISTS dedup_claims_by_until ON dedup_claims (until);
`;
