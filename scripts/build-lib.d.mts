// Types of scripts/build-lib.mjs's exports, for the tests that use them.
import type { BuildOptions, Metafile } from 'esbuild';

export const ROOT: string;
export const OUT: string;
export const ENTRIES: Record<string, string>;
export function esbuildOptions(options?: { outdir?: string; write?: boolean }): BuildOptions & { metafile: true };
export function externalImports(metafile: Metafile, entry: string): Array<{ path: string; kind: string; via: string[] }>;
export function checkBrowserSafe(metafile: Metafile, outdir?: string): void;
