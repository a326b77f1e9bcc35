// Skipping a test with its reason where the suite's summary can read it: vitest's JSON report carries each
// test's meta, and scripts/test_summary.mjs prints `skipReason` for every skipped test.
import type { TestContext } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped (a missing adapter feature, an environment variable). */
    skipReason?: string;
  }
}

/** Skip the running test, recording why. */
export function skipBecause(context: TestContext, reason: string): never {
  context.task.meta.skipReason = reason;
  context.skip(reason);
  throw new Error('unreachable: context.skip throws');
}

/** Options for describe/test that skip every test in it with a reason when `reason` is a string. */
export function skipWhen(reason: string | false): { skip?: boolean; meta?: { skipReason: string } } {
  return reason === false ? {} : { skip: true, meta: { skipReason: reason } };
}
