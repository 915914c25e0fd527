import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HeraldError } from '@herald/core';

/**
 * `herald dev`'s data directory (HERALD_DATA_DIR, `.herald/` by default), which keeps embedded
 * mode's data across restarts:
 *
 *   herald.db        the store (accounts, keys, webhooks, schemas, rules, the log, pending
 *                    retries, de-duplication claims): @herald/store's SQLite store
 *   bus.db           the bus (events accepted and jobs not yet handled): @herald/bus's SQLite bus
 *   encryption.key   the key that encrypts webhook secrets in herald.db, made at the first start
 *                    (unless HERALD_ENCRYPTION_KEY is set, which is then used and not written)
 *   dev-api-key      the admin API key `herald dev` minted for the seed's first account, so that
 *                    the banner shows the same key at every start
 *
 * The key files are readable by their owner only (0600). Delete the directory to start afresh.
 */
export interface DataDir {
  readonly dir: string;
  readonly storePath: string;
  readonly busPath: string;
  readonly encryptionKey: Buffer;
  /** True when this start created the store: the seed is written then, and only then. */
  readonly fresh: boolean;
  readDemoKey(): string | undefined;
  writeDemoKey(key: string): void;
}

export function openDataDir(dir: string, encryptionKey?: Buffer): DataDir {
  const root = resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_DATA_DIR ${root} is not a directory`);
  }
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `HERALD_DATA_DIR ${root} cannot be created: ${(err as Error).message}`, { cause: err });
  }
  const storePath = join(root, 'herald.db');
  const fresh = !existsSync(storePath);
  const keyFile = join(root, 'encryption.key');
  let key = encryptionKey;
  if (!key) {
    if (existsSync(keyFile)) {
      const text = readFileSync(keyFile, 'utf8').trim();
      if (!/^[0-9a-f]{64}$/i.test(text)) {
        throw new HeraldError('HERALD_CONFIG_INVALID', `${keyFile} is not an encryption key (64 hex characters); restore it, or delete ${root} to start afresh`);
      }
      key = Buffer.from(text, 'hex');
    } else {
      if (!fresh) {
        throw new HeraldError(
          'HERALD_CONFIG_INVALID',
          `${keyFile} is missing but ${storePath} exists: its webhook secrets cannot be read without the key it was made with. Restore the file, set HERALD_ENCRYPTION_KEY, or delete ${root} to start afresh`,
        );
      }
      key = randomBytes(32);
      writePrivate(keyFile, key.toString('hex') + '\n');
    }
  }
  const demoKeyFile = join(root, 'dev-api-key');
  return {
    dir: root,
    storePath,
    busPath: join(root, 'bus.db'),
    encryptionKey: key,
    fresh,
    readDemoKey: () => (existsSync(demoKeyFile) ? readFileSync(demoKeyFile, 'utf8').trim() || undefined : undefined),
    writeDemoKey: (k) => writePrivate(demoKeyFile, k + '\n'),
  };
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}
