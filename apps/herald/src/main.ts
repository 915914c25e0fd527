import { createMongoStore } from '@herald/store';
import { createLogger, encryptionKey, onShutdown, parseEnv, envVars } from '@herald/runtime';
import { z } from 'zod';
import { runConfigApi } from '@herald/config-api';
import { runMatcher } from '@herald/matcher';
import { runDelivery } from '@herald/delivery';
import { devBanner, devEnvSchema, startEmbedded } from './dev.ts';
import { applySeed, readSeedFile } from './seed-file.ts';

const USAGE = `Usage: herald <command>

Commands:
  dev          everything in one process, no Kafka and no MongoDB (embedded mode); its data is kept
               in HERALD_DATA_DIR (.herald/) across restarts
  dev --memory the same, in memory: nothing is kept
  config-api   the REST API and the event intake (needs KAFKA_BROKERS, MONGODB_URI, HERALD_ADMIN_TOKEN)
  matcher      matches events to webhooks (needs KAFKA_BROKERS, MONGODB_URI)
  delivery     sends, retries and logs deliveries (needs KAFKA_BROKERS, MONGODB_URI)

Configuration is read from the environment; see the README's table.`;

/**
 * Writes HERALD_SEED_FILE into MongoDB, if the variable is set: its accounts and event types
 * that do not exist yet, and its webhooks (upserted). `${NAME}` in the file is the environment
 * variable NAME.
 */
async function seedIfAsked(): Promise<void> {
  const path = process.env.HERALD_SEED_FILE;
  if (!path) return;
  const { MONGODB_URI, HERALD_ENCRYPTION_KEY } = parseEnv(z.object({ MONGODB_URI: envVars.mongoUri(), HERALD_ENCRYPTION_KEY: encryptionKey() }));
  const store = createMongoStore({ uri: MONGODB_URI, encryptionKey: HERALD_ENCRYPTION_KEY });
  try {
    await store.init();
    const written = await applySeed(store, await readSeedFile(path, process.env));
    createLogger('herald').info({ path, ...written }, 'seed written');
  } finally {
    await store.close();
  }
}

export async function run(argv: string[]): Promise<void> {
  const command = argv[0];
  switch (command) {
    case 'dev': {
      const flags = argv.slice(1);
      const unknown = flags.filter((f) => f !== '--memory');
      if (unknown.length > 0) {
        process.stderr.write(`herald dev: unknown option ${unknown.map((f) => `"${f}"`).join(', ')} (only --memory)\n\n${USAGE}\n`);
        process.exitCode = 2;
        return;
      }
      const embedded = await startEmbedded(parseEnv(devEnvSchema), { memory: flags.includes('--memory') });
      process.stdout.write(devBanner(embedded));
      onShutdown(createLogger('herald.dev'), embedded.stop);
      return;
    }
    case 'config-api': {
      await seedIfAsked();
      const r = await runConfigApi();
      onShutdown(createLogger('herald.config-api'), r.stop);
      return;
    }
    case 'matcher': {
      await seedIfAsked();
      const r = await runMatcher();
      onShutdown(createLogger('herald.matcher'), r.stop);
      return;
    }
    case 'delivery': {
      await seedIfAsked();
      const r = await runDelivery();
      onShutdown(createLogger('herald.delivery'), r.stop);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      if (command === undefined) process.exitCode = 2;
      return;
    default:
      process.stderr.write(`herald: unknown command "${command}"\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}
