#!/usr/bin/env bash
# Checks that scripts/test.sh tells the truth, in a temporary copy of the project that holds only the files
# the script and vitest need (node_modules is a symlink) and a few deliberately broken tests:
#   1. a passing test, skipped ones with their reasons (in a test, a beforeEach, a describe's options), a file whose beforeAll throws and one that fails to import:
#      the line must say 1 passed, at least 2 failed, and name the skip's reason; the exit status not 0;
#   2. a stale report from an "earlier run" with 99 passes must not be read when vitest writes none (an unknown
#      option makes it exit before running): the line must still be printed, with at least 1 failed;
#   3. only passing tests: 0 failed and exit status 0, and the e2e test named as skipped.
# Run by test/test_summary.test.ts, so the suite itself checks its own summary. Exit status 0 when all hold.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wgcam-check-summary-XXXXXX")
trap "rm -rf \"$tmp\"" EXIT
mkdir -p "$tmp/scripts" "$tmp/test/helpers"
cp "$root/package.json" "$root/vitest.config.ts" "$root/tsconfig.json" "$tmp/"
cp "$root/scripts/test.sh" "$root/scripts/test_summary.mjs" "$tmp/scripts/"
cp "$root/test/helpers/isolated_cache.ts" "$root/test/helpers/skip.ts" "$tmp/test/helpers/"
ln -s "$root/node_modules" "$tmp/node_modules"

cat > "$tmp/test/passing.test.ts" <<'TS'
import { beforeEach, describe, expect, test } from 'vitest';
import { skipBecause, skipWhen } from './helpers/skip.ts';
test('passes', () => expect(1 + 1).toBe(2));
test('needs a feature this machine lacks', (context) => skipBecause(context, 'the adapter has no frobnication'));
describe('a block whose tests need another feature', () => {
  beforeEach((context) => skipBecause(context, 'the adapter has no widget-f16'));
  test('one', () => expect(1).toBe(1));
});
describe('a block skipped by a variable', skipWhen('WGCAM_SKIP_WIDGETS is set'), () => {
  test('two', () => expect(1).toBe(1));
});
TS
cat > "$tmp/test/broken_before_all.test.ts" <<'TS'
import { beforeAll, expect, test } from 'vitest';
beforeAll(() => {
  throw new Error('deliberately broken beforeAll');
});
test('never runs', () => expect(true).toBe(true));
test('never runs either', () => expect(true).toBe(true));
TS
cat > "$tmp/test/broken_import.test.ts" <<'TS'
import { expect, test } from 'vitest';
import { missing } from './no_such_module.ts';
test('never runs', () => expect(missing).toBe(1));
TS

fail() { echo "check-test-summary: $*" >&2; exit 1; }
# Runs test.sh in the copy; sets $out (its output) and $rc; $line: its summary line.
run() {
  set +e
  out=$(cd "$tmp" && WGCAM_SKIP_E2E=1 WGCAM_SKIP_TSC=1 bash scripts/test.sh "$@" 2>&1)
  rc=$?
  set -e
  line=$(printf '%s\n' "$out" | grep -E '^tests: [0-9]+ passed, [0-9]+ failed' | tail -1 || true)
  [ -n "$line" ] || fail "no summary line; output: $(printf '%s\n' "$out" | tail -20)"
  passed=$(echo "$line" | sed -E 's/^tests: ([0-9]+) passed.*/\1/')
  failed=$(echo "$line" | sed -E 's/^tests: [0-9]+ passed, ([0-9]+) failed.*/\1/')
}

run
[ "$rc" != 0 ] || fail "broken files: exit status 0 ($line)"
[ "$failed" -ge 2 ] || fail "broken files: '$line', want at least 2 failed"
[ "$passed" = 1 ] || fail "broken files: '$line', want 1 passed"
for reason in 'skipped 1: the adapter has no frobnication' 'skipped 1: the adapter has no widget-f16' 'skipped 1: WGCAM_SKIP_WIDGETS is set'; do
  printf '%s\n' "$out" | grep -qF "$reason" || fail "a skip's reason is not named: $reason"
done
printf '%s\n' "$out" | grep -q 'broken_before_all.test.ts: the file failed' || fail "the file with a throwing beforeAll is not named"
printf '%s\n' "$out" | grep -q 'broken_import.test.ts: the file failed' || fail "the file that fails to import is not named"
printf "%s\n" "$out" | sed -n "/^tests: /,\$p"
echo "check-test-summary: broken files: $line, exit $rc"

mkdir -p "$tmp/test/artifacts"
echo '{"numPassedTests":99,"numFailedTests":0,"numFailedTestSuites":0,"testResults":[]}' > "$tmp/test/artifacts/vitest.json"
run --no-such-vitest-option
[ "$rc" != 0 ] || fail "no report: exit status 0 ($line)"
[ "$failed" -ge 1 ] || fail "no report: '$line', want at least 1 failed"
[ "$passed" != 99 ] || fail "no report: the stale report was read ($line)"
echo "check-test-summary: no report (stale one removed): $line, exit $rc"

rm "$tmp/test/broken_before_all.test.ts" "$tmp/test/broken_import.test.ts"
run
[ "$rc" = 0 ] || fail "passing files: exit status $rc ($line)"
[ "$failed" = 0 ] && [ "$passed" = 1 ] || fail "passing files: '$line', want 1 passed, 0 failed"
printf '%s\n' "$out" | grep -q 'WGCAM_SKIP_E2E is set' || fail "the skipped e2e test is not named"
echo "check-test-summary: passing files: $line, exit $rc"
