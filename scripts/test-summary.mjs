// Prints the suite's closing line, "N passed, N failed", from vitest's JSON report, and
// exits non-zero when a test failed, no test ran, the type check failed, or vitest failed.
import { existsSync, readFileSync } from 'node:fs';

const [file, typecheck = '0', vitest = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let total = 0;
if (file && existsSync(file)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = r.numFailedTests ?? 0;
  total = r.numTotalTests ?? 0;
  // A test file that failed to load has no tests in the counts: count it as a failure.
  for (const f of r.testResults ?? []) if (f.status === 'failed' && (f.assertionResults ?? []).length === 0) failed += 1;
} else {
  failed += 1;
  console.log('no test report was written');
}
if (typecheck !== '0') {
  failed += 1;
  console.log('the type check failed (counted as one failure)');
}
if (vitest !== '0' && failed === 0) {
  failed += 1;
  console.log(`vitest exited with ${vitest} (counted as one failure)`);
}
if (total === 0) console.log('no test ran');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || total === 0 ? 1 : 0);
