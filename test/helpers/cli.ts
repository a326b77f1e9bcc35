// The `wgcam` command line as the tests run it (a child process on bin/wgcam.mjs, exit code and both streams),
// and its safetensors dumps read back.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { readSafetensors, toFloat32, toUint8 } from '../../src/model/safetensors.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/wgcam.mjs', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `wgcam ARGS...` with extra environment variables; never throws for a non-zero exit. */
export async function wgcamWithEnv(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

export function wgcam(...args: string[]): Promise<CliRun> {
  return wgcamWithEnv({}, ...args);
}

/** A `--dump` file: its keys, and each tensor as float32 or uint8 with its shape. */
export function readDump(path: string) {
  const file = readSafetensors(new Uint8Array(readFileSync(path)));
  return {
    keys: [...file.tensors.keys()],
    f32: (k: string) => toFloat32(file.tensors.get(k)!),
    u8: (k: string) => toUint8(file.tensors.get(k)!),
    shape: (k: string) => [...file.tensors.get(k)!.shape],
  };
}
