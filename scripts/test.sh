#!/usr/bin/env bash
# The project's test command: type-check, the vitest suite (kernels, model, CLI, on the software WebGPU
# adapter), and the browser end-to-end test when it exists. Ends with one plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test/artifacts
npx tsc --noEmit -p tsconfig.json || { echo "tests: 0 passed, 1 failed (type-check)"; exit 1; }
npx vitest run --reporter=default --reporter=json --outputFile.json=test/artifacts/vitest.json "$@"
status=$?
# The browser end-to-end test (builds the app, drives headless Chromium); WGCAM_SKIP_E2E=1 skips it.
e2e_passed=0; e2e_failed=0
if [ -z "${WGCAM_SKIP_E2E:-}" ]; then
  node test/e2e/app.e2e.mjs 2>&1 | tee test/artifacts/e2e.log
  e2e_status=${PIPESTATUS[0]}
  line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' test/artifacts/e2e.log | tail -1)
  e2e_passed=$(echo "$line" | sed -E 's/^e2e: ([0-9]+) passed.*/\1/'); e2e_passed=${e2e_passed:-0}
  e2e_failed=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/'); e2e_failed=${e2e_failed:-1}
  [ "$e2e_status" = 0 ] || { status=1; [ "$e2e_failed" = 0 ] && e2e_failed=1; }
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync("test/artifacts/vitest.json", "utf8"));
  const p = r.numPassedTests + Number(process.argv[1]), f = r.numFailedTests + Number(process.argv[2]);
  console.log(`tests: ${p} passed, ${f} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$e2e_passed" "$e2e_failed" || true
exit $status
