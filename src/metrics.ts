// Small numeric measures shared by the library and the bench (browser-safe, no dependencies).

/** Relative L2 distance ||a - b|| / ||b|| (b is the reference); Infinity when the lengths differ. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  return Math.sqrt(num / (den || 1));
}
