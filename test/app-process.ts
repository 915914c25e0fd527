import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventually } from './receiver.ts';

const require = createRequire(import.meta.url);
/** tsx as a loader in the app's own process: `tsx/cli` would run the app in a child process of its
 * own, and a SIGKILL sent to the wrapper would leave the app running, orphaned. */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const MAIN = fileURLToPath(new URL('../apps/herald/src/bin.ts', import.meta.url));
/** The herald CLI as deployed: it runs the production build, apps/herald/dist/bin.js. */
const CLI = fileURLToPath(new URL('../apps/herald/bin/herald.js', import.meta.url));
/** An app's own production build. */
const appBuild = (app: string) => fileURLToPath(new URL(`../apps/${app}/dist/bin.js`, import.meta.url));

/**
 * What runs: `sources` = the TypeScript sources with tsx as a loader (the default, for tests of
 * behaviour); `cli` = `node apps/herald/bin/herald.js <command>` (the production build of the
 * CLI, plain node); `app` = `node apps/<command>/dist/bin.js` (the app's own production build);
 * `{ shipped }` = the app's build in a folder made by scripts/ship.sh (what the image holds), run
 * from that folder.
 */
export type AppBuild = 'sources' | 'cli' | 'app' | { shipped: string };

/** A free TCP port on 127.0.0.1 (for an app's health server). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export interface AppProcess {
  readonly child: ChildProcess;
  readonly healthPort: number;
  /** The last 4000 characters the app wrote to stderr (its logs go to stdout). */
  stderr(): string;
  /** The last 20,000 characters of its stdout (its JSON log lines). */
  stdout(): string;
  /** Kills it (SIGKILL by default: no shutdown hook runs) and waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs `herald <command>` as its own process, as a deployment does, with `env` on top of this
 * process's environment, and waits until its /readyz answers 200. The spawned process is the app
 * itself (`node --import tsx main.ts <command>`), so `kill('SIGKILL')` kills the app.
 */
export async function startApp(
  command: 'matcher' | 'delivery' | 'config-api' | 'dev',
  env: Record<string, string>,
  build: AppBuild = 'sources',
  extraArgs: string[] = [],
): Promise<AppProcess> {
  const healthPort = await freePort();
  // The config-api and `herald dev` answer /readyz on their API port.
  const portVar = command === 'config-api' || command === 'dev' ? 'PORT' : 'HEALTH_PORT';
  const args = [
    ...(build === 'sources' ? ['--import', TSX_LOADER, MAIN, command] : build === 'cli' ? [CLI, command] : build === 'app' ? [appBuild(command)] : [`${build.shipped}/apps/${command}/dist/bin.js`]),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    ...(typeof build === 'object' ? { cwd: build.shipped } : {}),
    env: { ...process.env, ...env, [portVar]: String(healthPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout = (stdout + c.toString()).slice(-20_000);
    if (process.env['HERALD_APP_STDERR']) process.stdout.write(c);
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
    if (process.env['HERALD_APP_STDERR']) process.stderr.write(c);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`herald ${command} exited with ${child.exitCode}: ${stderr}`);
      try {
        return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, `herald ${command} to be ready`, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    healthPort,
    stderr: () => stderr,
    stdout: () => stdout,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
