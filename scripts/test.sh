#!/usr/bin/env bash
# The project's test command: type-check, the vitest suite (kernels, model, CLI, on the software WebGPU
# adapter), and the browser end-to-end test. Ends with one plain "tests: N passed, N failed[, K skipped]" line
# (scripts/test_summary.mjs), then what was skipped and why and what failed. A file that fails to import or
# whose beforeAll throws counts as failed, and so does a missing report; the exit status is 0 only when the
# line says 0 failed. scripts/check-test-summary.sh checks this on deliberately broken tests.
# WGCAM_SKIP_E2E=1 skips the end-to-end test; WGCAM_SKIP_TSC=1 skips the type-check (both are named in the
# summary). Arguments go to vitest.
set -uo pipefail
cd "$(dirname "$0")/.."
# Results of an earlier run (the reports, screenshots, f16-accuracy.md) must never be read as this run's.
rm -rf test/artifacts
mkdir -p test/artifacts
tsc_state=ran
if [ -n "${WGCAM_SKIP_TSC:-}" ]; then
  tsc_state=skipped
else
  npx tsc --noEmit -p tsconfig.json || { echo "tests: 0 passed, 1 failed (type-check)"; exit 1; }
fi
npx vitest run --reporter=default --reporter=json --outputFile.json=test/artifacts/vitest.json "$@"
vitest_status=$?
# The browser end-to-end test (builds the app, drives headless Chromium).
e2e_state=skipped; e2e_passed=; e2e_failed=; e2e_status=
if [ -z "${WGCAM_SKIP_E2E:-}" ]; then
  e2e_state=ran
  node test/e2e/app.e2e.mjs 2>&1 | tee test/artifacts/e2e.log
  e2e_status=${PIPESTATUS[0]}
  line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' test/artifacts/e2e.log | tail -1)
  if [ -n "$line" ]; then
    e2e_passed=$(echo "$line" | sed -E 's/^e2e: ([0-9]+) passed.*/\1/')
    e2e_failed=$(echo "$line" | sed -E 's/^e2e: [0-9]+ passed, ([0-9]+) failed.*/\1/')
  fi
fi
node scripts/test_summary.mjs test/artifacts/vitest.json "$vitest_status" "$e2e_state" "$e2e_passed" "$e2e_failed" "$e2e_status" "$tsc_state"
summary_status=$?
# The summary decides (it counts every failure above); a summary that could not run is a failure too.
if [ "$summary_status" != 0 ] && [ "$summary_status" != 1 ]; then
  echo "tests: 0 passed, 1 failed (scripts/test_summary.mjs exited $summary_status)"
  exit 1
fi
exit $summary_status
