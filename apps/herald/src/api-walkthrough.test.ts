/**
 * docs/api.md's walkthrough runs verbatim against `herald dev`, so the doc cannot drift.
 *
 * The scheme:
 * - Every ```sh block of docs/api.md is taken in order and the blocks are concatenated, as they
 *   are, into one script, run by `bash -euo pipefail` against a fresh embedded Herald (the
 *   shipped seed, API and demo receiver on free ports). Nothing in the doc is substituted: the
 *   doc's first block reads `H` and `RECEIVER` with defaults (`H=${H:-http://127.0.0.1:8080}`),
 *   and the test sets both through the environment, which holds nothing else of the doc's (an
 *   unset variable fails the run under `set -u`).
 * - A prelude, prepended by the test and not part of the doc, defines `curl` as a bash function
 *   that runs the real curl with `-D <file>` (the response headers) and appends one line per
 *   call to $WALKTHROUGH_CALLS: the script line it was called from (the outermost call site,
 *   so a call inside a helper function of the doc counts where the helper is called) and the
 *   HTTP status of the response (000 for none). The body still goes to stdout as in the doc.
 * - Every `# →` comment of the doc must start with the HTTP status (`# → 201 …`). It is checked
 *   against the curl call it follows: in the order the calls were made, the last call before
 *   execution passed the comment's line (the call preceding the first call made from a later
 *   line). That call must lie after the previous `# →` comment, so each comment has a call of its
 *   own; polling loops and helpers are fine.
 * - The run must exit 0 (a failing command, an unset variable or a `json` of a missing field ends
 *   it), and the demo receiver must have got the walkthrough's deliveries (onReceived).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv, silentLogger } from '@herald/runtime';
import { devEnvSchema, startEmbedded, type Embedded } from './dev.ts';
import type { ReceivedRequest } from './demo-receiver.ts';

const DOC = fileURLToPath(new URL('../../../docs/api.md', import.meta.url));
const RUN_TIMEOUT_MS = 90_000;

const PRELUDE = [
  '# prelude of api-walkthrough.test.ts (not in the doc): record the call site and status of each curl',
  'exec 2>&1   # one stream, in order, for the report',
  'curl() {',
  '  local __walk_headers __walk_rc=0 __walk_status',
  '  __walk_headers=$(mktemp)',
  '  command curl -D "$__walk_headers" "$@" || __walk_rc=$?',
  "  __walk_status=$(awk '/^HTTP\\//{s=$2} END{print s}' \"$__walk_headers\")",
  '  rm -f "$__walk_headers"',
  "  printf '%s %s\\n' \"${BASH_LINENO[${#BASH_LINENO[@]}-2]}\" \"${__walk_status:-000}\" >> \"$WALKTHROUGH_CALLS\"",
  "  printf '  [curl: %s]\\n' \"${__walk_status:-000}\" >&2",
  '  return $__walk_rc',
  '}',
  '',
].join('\n');

interface Line {
  docLine: number;
  text: string;
}

/** The lines of every ```sh block, in order, with their line numbers in the doc. */
function shellLines(doc: string): { lines: Line[]; blocks: number } {
  const lines: Line[] = [];
  let blocks = 0;
  let inside = false;
  doc.split('\n').forEach((text, i) => {
    if (!inside && text.trim() === '```sh') {
      inside = true;
      blocks += 1;
      lines.push({ docLine: i + 1, text: `# --- docs/api.md, the block at line ${i + 1}` });
    } else if (inside && text.trim() === '```') {
      inside = false;
    } else if (inside) {
      lines.push({ docLine: i + 1, text });
    }
  });
  if (inside) throw new Error('docs/api.md: a ```sh block is not closed');
  return { lines, blocks };
}

function runBash(file: string, env: Record<string, string>): Promise<{ code: number | null; signal: string | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: Herald answers from this process's event loop.
    const child = spawn('bash', ['-euo', 'pipefail', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8'))); // bash's own, before the prelude's exec
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

let herald: Embedded;
const received: ReceivedRequest[] = [];
let workDir: string;

// herald dev as the README starts it: its data in a data directory (SQLite), here a temporary one.
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'herald-walkthrough-'));
  herald = await startEmbedded(parseEnv(devEnvSchema, { PORT: '0', HERALD_DEV_RECEIVER_PORT: '0', HERALD_DATA_DIR: join(workDir, 'data'), LOG_LEVEL: 'silent' }), {
    logger: silentLogger(),
    onReceived: (r) => received.push(r),
  });
});
afterAll(async () => {
  await herald?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('docs/api.md', () => {
  it('takes the API and receiver addresses from H and RECEIVER, with the defaults of herald dev', async () => {
    const doc = await readFile(DOC, 'utf8');
    const { lines } = shellLines(doc);
    const secondBlock = lines.findIndex((l, i) => i > 0 && l.text.startsWith('# --- docs/api.md, the block at line'));
    const first = lines.slice(0, secondBlock).map((l) => l.text);
    expect(first.some((l) => l.startsWith('H=${H:-http://127.0.0.1:8080}'))).toBe(true);
    expect(first.some((l) => l.startsWith('RECEIVER=${RECEIVER:-http://127.0.0.1:8090}'))).toBe(true);
  });

  it('runs its walkthrough verbatim against herald dev, each status as its "# →" comment says', async () => {
    const doc = await readFile(DOC, 'utf8');
    const { lines, blocks } = shellLines(doc);
    const preludeLines = PRELUDE.split('\n').length - 1;
    const scriptFile = join(workDir, 'walkthrough.sh');
    const callsFile = join(workDir, 'calls');
    await writeFile(scriptFile, PRELUDE + lines.map((l) => l.text).join('\n') + '\n');
    await writeFile(callsFile, '');
    const scriptLine = (i: number) => preludeLines + i + 1; // lines[i] is at this line of the script
    const docLineOf = (line: number) => lines[line - preludeLines - 1]?.docLine ?? 0;

    // The doc's claims: every "# →" comment names the status first.
    const expected: { docLine: number; line: number; status: string }[] = [];
    const problems: string[] = [];
    lines.forEach((l, i) => {
      if (!/^\s*# →/.test(l.text)) return;
      const m = /^\s*# → (\d{3})\b/.exec(l.text);
      if (m) expected.push({ docLine: l.docLine, line: scriptLine(i), status: m[1]! });
      else problems.push(`docs/api.md:${l.docLine}: a "# →" comment that does not start with the HTTP status: ${l.text.trim()}`);
    });
    expect(blocks).toBeGreaterThanOrEqual(8);
    expect(expected.length).toBeGreaterThanOrEqual(30);

    const run = await runBash(scriptFile, {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: workDir,
      TMPDIR: workDir,
      H: herald.apiUrl,
      RECEIVER: herald.receiverUrl!,
      WALKTHROUGH_CALLS: callsFile,
    });
    const calls = (await readFile(callsFile, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((row) => {
        const [line, status] = row.split(' ');
        return { line: Number(line), status: status! };
      });
    const report = () =>
      [
        `exit ${run.code}${run.signal ? ` (${run.signal})` : ''}`,
        ...problems,
        'curl calls (doc line, status): ' + calls.map((c) => `${docLineOf(c.line)}:${c.status}`).join(' '),
        '--- output of the walkthrough (end) ---',
        run.output.slice(-4000).replace(/\S*walkthrough\.sh: line (\d+)/g, (_, n: string) => `docs/api.md:${docLineOf(Number(n))}`),
      ].join('\n');
    expect(run.code, report()).toBe(0);

    let previous = 0;
    for (const e of expected) {
      const after = calls.findIndex((c) => c.line > e.line);
      const call = after === -1 ? calls.at(-1) : after > 0 ? calls[after - 1] : undefined;
      if (!call || call.line >= e.line || call.line <= previous) {
        problems.push(`docs/api.md:${e.docLine}: "# → ${e.status}" follows no curl call of its own`);
      } else if (call.status !== e.status) {
        problems.push(`docs/api.md:${e.docLine}: says ${e.status}, the curl at docs/api.md:${docLineOf(call.line)} got ${call.status}`);
      }
      previous = e.line;
    }
    expect(problems, report()).toEqual([]);

    // The walkthrough's event reached its webhook at the demo receiver, with basic auth and
    // signed; and the rule's Message 1 too.
    const basic = `Basic ${Buffer.from('ops@example.com:s3cret').toString('base64')}`;
    const toErp = received.filter((r) => r.path === '/hooks' && r.headers.authorization === basic);
    const first = toErp.find((r) => r.body.includes('"event_id":"evt_1042_closed"'));
    expect(first, `the demo receiver got: ${JSON.stringify(received.map((r) => r.body))}`).toBeDefined();
    expect(JSON.parse(first!.body)).toMatchObject({ event_type: 'ticket.closed', entity_id: '1042', result: { ref: 'T-1042', resolution: 'fixed' } });
    expect(first!.headers['webhook-signature']).toMatch(/^v1,/);
    expect(first!.headers['x-gateway-token']).toBe('gw-t0ken'); // the secret header, beside Basic auth
    expect(toErp.some((r) => r.body === 'Ticket T-1043 was closed (fixed)' && r.headers['content-type'] === 'text/plain')).toBe(true);
  }, RUN_TIMEOUT_MS + 30_000);
});
