#!/usr/bin/env node
// The last lines of scripts/test.sh: one "tests: N passed, N failed[, K skipped]" line from vitest's JSON report
// and the e2e test's own line, then what was skipped and why, then what failed outside a test.
// Failures counted: failed tests; test files that failed without a failed test (an import error, a throwing
// beforeAll or afterAll: vitest then marks the file's tests skipped, or finds none); a missing or unreadable
// report; a vitest or e2e exit status that is not 0 while nothing else failed. The script exits 1 when the
// count of failures is not 0, so the line and the exit status always agree.
// usage: node scripts/test_summary.mjs REPORT.json VITEST_STATUS E2E_STATE [E2E_PASSED E2E_FAILED E2E_STATUS] [TSC_STATE]
//   E2E_STATE: ran | skipped; TSC_STATE: ran | skipped
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

// A bug here must not look like an ordinary "failed" exit: test.sh prints its own line for any other status.
process.on('uncaughtException', (e) => {
  console.error(`scripts/test_summary.mjs: ${e?.stack ?? e}`);
  process.exit(3);
});

const [reportPath, vitestStatus, e2eState, e2ePassedArg, e2eFailedArg, e2eStatusArg, tscState] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const skips = new Map(); // reason -> test names

let report = null;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (e) {
  failed += 1;
  failures.push(`vitest wrote no readable report (${reportPath}: ${e.code ?? e.message}); vitest exited ${vitestStatus}`);
}

if (report) {
  for (const file of report.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    const tests = file.assertionResults ?? [];
    const failedTests = tests.filter((t) => t.status === 'failed');
    passed += tests.filter((t) => t.status === 'passed').length;
    failed += failedTests.length;
    for (const t of failedTests) failures.push(`${name}: ${t.fullName}`);
    if (file.status === 'failed' && failedTests.length === 0) {
      // The file itself failed: it did not import, or a hook threw. Its tests never ran.
      failed += 1;
      const first = String(file.message || 'failed without a failed test').split('\n')[0];
      failures.push(`${name}: the file failed (${tests.length ? `${tests.length} test${tests.length === 1 ? '' : 's'} not run` : 'no test collected'}): ${first}`);
    }
    for (const t of tests) {
      if (t.status !== 'skipped' && t.status !== 'pending' && t.status !== 'todo') continue;
      skipped += 1;
      const reason = t.meta?.skipReason ?? (file.status === 'failed' && failedTests.length === 0 ? 'their file failed (counted as failed below)' : t.status === 'todo' ? 'todo' : 'not selected (-t, .only) or skipped without a reason');
      if (!skips.has(reason)) skips.set(reason, []);
      skips.get(reason).push(`${name}: ${t.fullName}`);
    }
  }
  // A failed describe block (its beforeAll threw) inside a file that has other, passing tests.
  const suitesFailed = Number(report.numFailedTestSuites ?? 0);
  if (suitesFailed > 0 && failed === 0) {
    failed += 1;
    failures.push(`vitest counts ${suitesFailed} failed suite${suitesFailed === 1 ? '' : 's'} without a failed test`);
  }
}

if (vitestStatus !== '0' && failed === 0) {
  failed += 1;
  failures.push(`vitest exited ${vitestStatus} though no test failed (an unhandled error? see its output above)`);
}

if (e2eState === 'ran') {
  const e2ePassed = Number(e2ePassedArg);
  const e2eFailed = Number(e2eFailedArg);
  if (e2ePassedArg === '' || e2eFailedArg === '') {
    failed += 1;
    failures.push(`e2e (test/e2e/app.e2e.mjs) exited ${e2eStatusArg} without its "e2e: N passed, N failed" line`);
  } else {
    passed += e2ePassed;
    failed += e2eFailed;
    // The e2e test's own skips, one "skip NAME: REASON" line each.
    let log = '';
    try {
      log = readFileSync('test/artifacts/e2e.log', 'utf8');
    } catch {}
    for (const m of log.matchAll(/^skip ([^:\n]+): (.*)$/gm)) {
      const reason = `e2e: ${m[2]}`;
      if (!skips.has(reason)) skips.set(reason, []);
      skips.get(reason).push(`test/e2e/app.e2e.mjs: ${m[1]}`);
      skipped += 1;
    }
    if (e2eFailed > 0) failures.push(`e2e: ${e2eFailed} failed (test/artifacts/e2e.log)`);
    if (e2eStatusArg !== '0' && e2eFailed === 0) {
      failed += 1;
      failures.push(`e2e exited ${e2eStatusArg} though its line says 0 failed`);
    }
  }
} else {
  skips.set('WGCAM_SKIP_E2E is set: the browser end-to-end test (test/e2e/app.e2e.mjs) did not run', []);
}
if (tscState === 'skipped') skips.set('WGCAM_SKIP_TSC is set: no type-check', []);

console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
for (const [reason, names] of skips) {
  const shown = names.slice(0, 5).join('; ');
  console.log(`  skipped${names.length ? ` ${names.length}` : ''}: ${reason}${shown ? ` (${shown}${names.length > 5 ? `; and ${names.length - 5} more` : ''})` : ''}`);
}
for (const f of failures.slice(0, 30)) console.log(`  failed: ${f}`);
if (failures.length > 30) console.log(`  failed: ... and ${failures.length - 30} more`);
process.exit(failed > 0 ? 1 : 0);
