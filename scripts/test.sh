#!/usr/bin/env bash
# The project's test command: type-check, the vitest suite (kernels, model, CLI, on the software WebGPU
# adapter), and the browser end-to-end test when it exists. Ends with one plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test/artifacts
npx tsc --noEmit -p tsconfig.json || { echo "tests: 0 passed, 1 failed (type-check)"; exit 1; }
npx vitest run --reporter=default --reporter=json --outputFile.json=test/artifacts/vitest.json "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("test/artifacts/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
