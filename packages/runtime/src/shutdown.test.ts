import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD = fileURLToPath(new URL('./testing-fixtures/shutdown-child.ts', import.meta.url));

/** Polls until `check` is true or 10 s pass. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('onShutdown', () => {
  it('stops gracefully on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => out.includes('"ready"'), 'the child to be ready');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"signal":"SIGTERM"');
    expect(out).toContain('"stop ran"');
    expect(out).toContain('"msg":"stopped"');
  });

  it('stops gracefully when its parent goes away without passing a signal on (a wrapper killed)', async () => {
    // A shell starts the app in the background, prints its pid and exits: the app is re-parented.
    const log = join(mkdtempSync(join(tmpdir(), 'herald-shutdown-')), 'child.log');
    const wrapper = spawn('bash', ['-c', `"${process.execPath}" --import "${TSX}" "${CHILD}" > "$0" 2>&1 & echo $!; sleep 0.5`, log], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    wrapper.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => wrapper.once('exit', r));
    const pid = Number(out.split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(() => !alive(), 'the orphaned app to stop by itself');
    const logged = readFileSync(log, 'utf8');
    expect(logged).toContain('"ready"');
    expect(logged).toContain('"signal":"parent exited"');
    expect(logged).toContain('"stop ran"');
  });
});
