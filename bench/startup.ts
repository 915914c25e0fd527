/**
 * Start-up time of each app, from its production build (plain `node apps/<app>/dist/bin.js`, made
 * by `pnpm build`) against its sources run with tsx (`node --import tsx apps/herald/src/bin.ts
 * <app>`): from spawning the process to its /readyz answering 200 (connected to Kafka and
 * MongoDB, topics there, consumer joined), BENCH_RUNS times each (default 5), the median.
 * `herald dev` too (in memory), which needs no services.
 *
 * It brings up Kafka and mongo-java-server when KAFKA_BROKERS and MONGODB_URI are not set
 * (bench/lib/services.ts), stops by itself, and prints its figures last, on one line:
 *
 *   config_api_build_ms=N config_api_tsx_ms=N matcher_build_ms=N matcher_tsx_ms=N
 *   delivery_build_ms=N delivery_tsx_ms=N dev_build_ms=N dev_tsx_ms=N
 *
 *   pnpm build && pnpm bench:startup
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startApp, type AppBuild } from '../test/app-process.ts';
import { acquireServices } from './lib/services.ts';
import { benchAppEnv } from './lib/app-env.ts';

const log = (line: string) => process.stderr.write(`[bench:startup] ${line}\n`);
const RUNS = Math.max(1, Math.min(20, Number(process.env.BENCH_RUNS ?? 5)));
const APPS = ['config-api', 'matcher', 'delivery', 'dev'] as const;

for (const app of ['config-api', 'matcher', 'delivery', 'herald']) {
  if (!existsSync(fileURLToPath(new URL(`../apps/${app}/dist/bin.js`, import.meta.url)))) {
    process.stderr.write(`bench:startup: apps/${app}/dist/bin.js is missing: run pnpm build first\n`);
    process.exit(2);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const services = acquireServices(log);
  const figures: string[] = [];
  try {
    const env = {
      ...benchAppEnv('bench-startup', services, randomBytes(32)),
      HERALD_ADMIN_TOKEN: 'bench-startup-admin-token',
      HERALD_DEV_RECEIVER_PORT: '-1',
    };
    for (const app of APPS) {
      const times: Record<'build' | 'tsx', number[]> = { build: [], tsx: [] };
      for (let i = 0; i < RUNS; i++) {
        for (const [label, build] of [['build', app === 'dev' ? 'cli' : 'app'], ['tsx', 'sources']] as [keyof typeof times, AppBuild][]) {
          const started = performance.now();
          const p = await startApp(app, env, build, app === 'dev' ? ['--memory'] : []);
          times[label].push(performance.now() - started);
          await p.kill('SIGTERM');
        }
      }
      const name = app.replace('-', '_');
      log(`${app}: build ${times.build.map((t) => t.toFixed(0)).join(', ')} ms; tsx ${times.tsx.map((t) => t.toFixed(0)).join(', ')} ms`);
      figures.push(`${name}_build_ms=${median(times.build).toFixed(0)}`, `${name}_tsx_ms=${median(times.tsx).toFixed(0)}`);
    }
  } finally {
    services.release();
  }
  process.stdout.write(figures.join(' ') + '\n');
}

await main();
