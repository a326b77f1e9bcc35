// Kernels are assembled from WGSL files: a prelude of specialisation constants, shared snippets, then the
// kernel itself. The assembled text is also the pipeline-cache key, so each variant compiles once.
import indexing from './indexing.wgsl?raw';

export type ConstValue = number | boolean;

/** `const NAME: u32 = 4u;` lines. Integers become u32, booleans bool; use `{ f32: x }` for floats. */
export function constants(values: Record<string, ConstValue | { f32: number }>): string {
  return Object.entries(values)
    .map(([name, v]) => {
      if (typeof v === 'boolean') return `const ${name}: bool = ${v};`;
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0) throw new Error(`constant ${name}=${v} is not a u32`);
        return `const ${name}: u32 = ${v}u;`;
      }
      return `const ${name}: f32 = ${Number.isInteger(v.f32) ? v.f32.toFixed(1) : v.f32};`;
    })
    .join('\n');
}

/**
 * Join WGSL parts; the shared indexing helpers are always available. WGSL wants directives (`enable f16;`, which
 * the GEMM core brings for f16 operands) before any declaration, so they move to the top, once each.
 */
export function shader(...parts: string[]): string {
  // Kernels assemble their shader on every dispatch; the first assembly of each variant is kept, so later ones
  // cost a join and a lookup instead of a split and a filter of the whole text, and the pipeline cache then
  // looks up the same string object (whose hash is cached): CPU time a GPU waits through (bench/NOTES.md,
  // "CPU-side encoding").
  const key = parts.join('\u0001');
  let code = assembled.get(key);
  if (code === undefined) {
    const lines = [indexing, ...parts].join('\n').split('\n');
    const isDirective = (line: string) => /^\s*enable\s/.test(line);
    code = [...new Set(lines.filter(isDirective)), ...lines.filter((line) => !isDirective(line))].join('\n');
    assembled.set(key, code);
  }
  return code;
}

/** Assembled shaders by their parts (a few hundred variants at most: one per kernel, geometry and tiles). */
const assembled = new Map<string, string>();

/** Workgroup counts for `count` items at `perGroup` items per workgroup (the context folds large x into y). */
export function groups1d(count: number, perGroup: number): [number] {
  return [Math.ceil(count / perGroup)];
}

/** Pack u32 (or f32, marked) fields into a uniform-buffer image, 16-byte padded. */
export function params(u32s: readonly number[], f32s: readonly number[] = []): ArrayBuffer {
  const n = Math.ceil((u32s.length + f32s.length) / 4) * 4 || 4;
  const buf = new ArrayBuffer(n * 4);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u32s.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform field ${i}=${v} is not a u32`);
    u[i] = v;
  });
  f32s.forEach((v, i) => (f[u32s.length + i] = v));
  return buf;
}
