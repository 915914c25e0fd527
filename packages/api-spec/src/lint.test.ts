import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

describe('redocly lint openapi.yaml', () => {
  it('is clean with redocly.yaml (recommended rules and stricter ones), sending nothing off the machine', async () => {
    const result = await run(process.execPath, [cli, 'lint', 'openapi.yaml', '--format=stylish'], {
      cwd: packageDir,
      // No usage data, no check for a newer version: the lint runs offline (see README).
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    }).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? String(err), failed: true }));
    const output = `${result.stdout}\n${result.stderr}`;
    expect('failed' in result, output).toBe(false);
    expect(output).toMatch(/Your API description is valid/);
    // (On Node 20 the CLI also prints a notice that its next releases need Node 22: not a lint warning.)
    expect(output).not.toMatch(/You have \d+ warnings?/);
  });
});
