import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv, silentLogger } from '@herald/runtime';
import { devEnvSchema, startEmbedded } from './dev.ts';
import { redeliveryScenario } from './redelivery.scenario.ts';

// Embedded mode (herald dev): the config-api's Test button shares the delivery engine's sender.
redeliveryScenario('herald dev, in memory', async () => {
  const env = parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '-1', HERALD_RETRY_POLL_MS: '50', LOG_LEVEL: 'silent' });
  const herald = await startEmbedded(env, { logger: silentLogger(), memory: true });
  return { apiUrl: herald.apiUrl, operatorToken: herald.adminToken, stop: () => herald.stop() };
});

// The same with herald dev's default storage: the SQLite store and bus in a data directory.
redeliveryScenario('herald dev, SQLite data directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'herald-redelivery-'));
  const env = parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '-1', HERALD_RETRY_POLL_MS: '50', HERALD_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  const herald = await startEmbedded(env, { logger: silentLogger() });
  return {
    apiUrl: herald.apiUrl,
    operatorToken: herald.adminToken,
    stop: async () => {
      await herald.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
