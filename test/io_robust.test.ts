// Files in and out, as a hostile but fair user would try them (issue 24). Every case here fails before any GPU
// work, so this file never creates a WebGPU device: outputs are checked before the run and written through a
// temporary file (none left after a failure, a device node never replaced), inputs are read with a bound and
// decoded strictly, errors quote user strings escaped and shortened, and a stalled download fails within its
// timeout. (The overlays' unique names need a full run: test/cli.test.ts.)
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { WgcamError } from '../src/errors.ts';
import { decodeImageBytes, decodeImageFile, encodePng } from '../src/image/decode_node.ts';
import { writeSafetensors } from '../src/model/safetensors.ts';
import { syntheticSafetensors } from '../src/model/synthetic.ts';
import { downloadWithProgress } from '../src/model/weights.ts';
import { checkOutputFile, fileStem, uniqueStems, writeFileAtomic } from '../src/node/output_paths.ts';
import { readBounded } from '../src/node/read_bounded.ts';
import { downloadTimeoutsFromEnv, loadWeightsNode } from '../src/node/weights_node.ts';
import { MAX_QUOTED, quote } from '../src/quote.ts';
import { concat, makeJpeg, pngChunk } from './helpers/image_files.ts';
import { skipWhen } from './helpers/skip.ts';

const BIN = new URL('../bin/wgcam.mjs', import.meta.url).pathname;
const SAMPLE = new URL('../src/app/samples/chelsea.png', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wgcam-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
/** Mounting a small tmpfs needs root (and a kernel that allows it); the injected-failure tests run anywhere. */
const canMount = isRoot && spawnSync('mount', ['--version']).status === 0;

function wgcam(args: string[], options: { input?: Uint8Array; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24, env: { ...process.env, ...options.env }, timeout: 120_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
    if (options.input) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

/** The run's one error line: the code, no stack, one line, nothing on stdout. */
function expectOneError(r: { code: number; stdout: string; stderr: string }, code: string): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^wgcam: error \\[${code}\\]: `));
  expect(r.stdout).toBe('');
  return lines[0]!;
}

/** Files whose names say they are temporaries (ours: `.NAME.PID.HEX.wgcam-tmp`; the old ones: `*.tmp`). */
function temporaries(folder: string): string[] {
  return existsSync(folder) ? readdirSync(folder).filter((f) => /\.(wgcam-tmp|tmp|partial|download)$|wgcam-probe/.test(f)) : [];
}

function tensorFile(name: string, shape: number[], fill: (i: number) => number): string {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => fill(i));
  const path = join(dir, name);
  writeFileSync(path, writeSafetensors([{ name: 'input', dtype: 'F32', shape, data }], {}));
  return path;
}

function withTmpfs(size: string, options: string, body: (mount: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const mount = mkdtempSync(join(tmpdir(), 'wgcam-tmpfs-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options ? `,${options}` : ''}`, 'tmpfs', mount]);
    expect(r.status, String(r.stderr)).toBe(0);
    try {
      await body(mount);
    } finally {
      spawnSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  };
}

describe('outputs are checked before any work', () => {
  const folder = join(dir, 'out-folder.png');
  mkdirSync(folder);
  const plainFile = join(dir, 'plain-file');
  writeFileSync(plainFile, 'keep me');
  const fifo = join(dir, 'a-fifo');
  spawnSync('mkfifo', [fifo]);

  test('--out naming an existing folder: OUTPUT_IS_FOLDER, no temporary file left in it', async () => {
    const r = await wgcam(['cam', '--weights', 'synthetic', '--image', SAMPLE, '--out', folder]);
    expectOneError(r, 'OUTPUT_IS_FOLDER');
    expect(readdirSync(folder)).toEqual([]);
    expect(temporaries(dir)).toEqual([]);
  });

  test('a file output ending with a slash names a folder: OUTPUT_IS_FOLDER, nothing created', async () => {
    const r = await wgcam(['classify', '--weights', 'synthetic', '--image', SAMPLE, '--dump', join(dir, 'new-folder') + '/']);
    expectOneError(r, 'OUTPUT_IS_FOLDER');
    expect(existsSync(join(dir, 'new-folder'))).toBe(false);
  });

  test('an output whose parent is a file: OUTPUT_NOT_WRITABLE, not an internal error after the run', async () => {
    const r = await wgcam(['classify', '--weights', 'synthetic', '--image', SAMPLE, '--dump', join(plainFile, 'x.safetensors')]);
    expect(expectOneError(r, 'OUTPUT_NOT_WRITABLE')).toMatch(/is a file, not a folder/);
    expect(readFileSync(plainFile, 'utf8')).toBe('keep me');
  });

  test('a FIFO as --dump is refused (OUTPUT_SPECIAL_FILE) and stays a FIFO', async () => {
    const r = await wgcam(['classify', '--weights', 'synthetic', '--image', SAMPLE, '--dump', fifo]);
    expectOneError(r, 'OUTPUT_SPECIAL_FILE');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  test('a character device (a copy of /dev/full made with mknod) as --dump or synth-weights --out is never replaced', skipWhen(!isRoot && 'mknod needs root (the FIFO case covers everyone)'), async () => {
    const device = join(dir, 'full-copy');
    expect(spawnSync('mknod', [device, 'c', '1', '7']).status).toBe(0);
    expectOneError(await wgcam(['classify', '--weights', 'synthetic', '--image', SAMPLE, '--dump', device]), 'OUTPUT_SPECIAL_FILE');
    expectOneError(await wgcam(['synth-weights', '--out', device]), 'OUTPUT_SPECIAL_FILE');
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
    // The check holds for the library's writer too (lstat, not stat: a device is refused, not opened).
    await expect(writeFileAtomic(device, new Uint8Array(4))).rejects.toMatchObject({ code: 'OUTPUT_SPECIAL_FILE' });
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
  });

  test('--out equal to the input image is refused (OUTPUT_IS_INPUT) and the input is untouched; so is --save onto the weights', async () => {
    const image = join(dir, 'input.png');
    writeFileSync(image, readFileSync(SAMPLE));
    const r = await wgcam(['cam', '--weights', 'synthetic', '--image', image, '--out', image]);
    expectOneError(r, 'OUTPUT_IS_INPUT');
    expect(readFileSync(image).equals(readFileSync(SAMPLE))).toBe(true);
    // Through another name for the same file (a hard link) too.
    const link = join(dir, 'input-link.png');
    spawnSync('ln', [image, link]);
    expectOneError(await wgcam(['cam', '--weights', 'synthetic', '--image', image, '--out', link]), 'OUTPUT_IS_INPUT');
    const weights = join(dir, 'weights.safetensors');
    writeFileSync(weights, 'not read: the outputs are checked first');
    const tensor = tensorFile('for-save.safetensors', [1, 3, 32, 32], () => 0);
    const s = await wgcam(['train-step', '--weights', weights, '--tensor', tensor, '--labels', '1', '--lr', '0.1', '--save', weights]);
    expectOneError(s, 'OUTPUT_IS_INPUT');
  });

  test('two outputs of one run on the same file are refused', async () => {
    const same = join(dir, 'same.safetensors');
    const r = await wgcam(['train-step', '--weights', 'synthetic', '--image', SAMPLE, '--labels', '1', '--lr', '0.1', '--dump', same, '--save', same]);
    expect(expectOneError(r, 'BAD_ARGUMENT')).toMatch(/--dump and --save are the same file/);
  });

  test('a read-only folder: OUTPUT_NOT_WRITABLE before the run (also for root)', skipWhen(!canMount && 'mounting a tmpfs needs root'), withTmpfs('1m', 'ro', async (mount) => {
    const r = await wgcam(['classify', '--weights', 'synthetic', '--image', SAMPLE, '--dump', join(mount, 'x.safetensors')]);
    expect(expectOneError(r, 'OUTPUT_NOT_WRITABLE')).toMatch(/read-only file system/);
  }));

  test('a folder without write permission: OUTPUT_NOT_WRITABLE before the run', skipWhen(isRoot && 'root writes through folder permissions (the read-only mount case covers root)'), async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const r = await wgcam(['classify', '--weights', 'synthetic', '--image', SAMPLE, '--dump', join(locked, 'x.safetensors')]);
    expectOneError(r, 'OUTPUT_NOT_WRITABLE');
  });

  test("bench's --json, --report and --chart are checked before the benchmark runs", async () => {
    const folder = join(dir, 'results.json');
    mkdirSync(folder);
    expectOneError(await wgcam(['bench', '--json', folder]), 'OUTPUT_IS_FOLDER');
    expect(expectOneError(await wgcam(['bench', '--report', join(plainFile, 'r.md')]), 'OUTPUT_NOT_WRITABLE')).toMatch(/--report/);
    const jsonFifo = join(dir, 'fifo.json');
    spawnSync('mkfifo', [jsonFifo]);
    expectOneError(await wgcam(['bench', '--chart', join(dir, 'c.svg'), '--json', jsonFifo]), 'OUTPUT_SPECIAL_FILE');
    expect(lstatSync(jsonFifo).isFIFO()).toBe(true);
    expect(existsSync(join(dir, 'c.svg'))).toBe(false);
  });

  test('checkOutputFile creates nothing: a missing folder stays missing until the write', async () => {
    const path = join(dir, 'not-yet', 'deeper', 'x.safetensors');
    await checkOutputFile(path, { what: '--dump' });
    expect(existsSync(join(dir, 'not-yet'))).toBe(false);
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  });
});

describe('writes go through a temporary file; a failure leaves nothing behind', () => {
  test('an injected ENOSPC part-way: OUTPUT_WRITE_FAILED, the old file intact, no temporary file', async () => {
    const folder = mkdtempSync(join(dir, 'enospc-'));
    const target = join(folder, 'result.safetensors');
    writeFileSync(target, 'the previous result');
    const write = async (handle: import('node:fs/promises').FileHandle, bytes: Uint8Array) => {
      await handle.write(bytes, 0, bytes.length >> 1);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await expect(writeFileAtomic(target, new Uint8Array(1 << 16), { what: '--dump', write })).rejects.toMatchObject({
      code: 'OUTPUT_WRITE_FAILED',
      message: expect.stringMatching(/no space left on the device/),
    });
    expect(readFileSync(target, 'utf8')).toBe('the previous result');
    expect(readdirSync(folder)).toEqual(['result.safetensors']);
  });

  test('a really full disk (a 1 MiB tmpfs): synth-weights --out leaves no truncated file and no temporary', skipWhen(!canMount && 'mounting a tmpfs needs root'), withTmpfs('1m', '', async (mount) => {
    const r = await wgcam(['synth-weights', '--out', join(mount, 'w.safetensors')]);
    expect(expectOneError(r, 'OUTPUT_WRITE_FAILED')).toMatch(/no space left/);
    expect(readdirSync(mount)).toEqual([]);
  }));

  test('a successful write replaces the file whole and leaves no temporary', async () => {
    const folder = mkdtempSync(join(dir, 'ok-'));
    const target = join(folder, 'x.bin');
    writeFileSync(target, 'old');
    await writeFileAtomic(target, new TextEncoder().encode('new contents'));
    expect(readFileSync(target, 'utf8')).toBe('new contents');
    expect(readdirSync(folder)).toEqual(['x.bin']);
  });
});

test('overlay names: unique within a run (suffix -1, -2), non-ASCII kept, only unsafe characters replaced', () => {
  expect(uniqueStems(['chelsea', 'chelsea', 'chelsea', 'Chelsea'])).toEqual(['chelsea', 'chelsea-1', 'chelsea-2', 'Chelsea-3']);
  expect(['猫.png', '犬.png', 'café.jpg', 'a\nb:c.png', '.png', 'x.tar.png'].map(fileStem)).toEqual(['猫', '犬', 'café', 'a_b_c', '_', 'x.tar']);
  expect(uniqueStems(['a', 'a', 'a-1'])).toEqual(['a', 'a-1', 'a-1-1']);
});

describe('inputs: strict decoding, bounded reads', () => {
  const ihdr = (w: number, h: number) => {
    const d = new Uint8Array(13);
    new DataView(d.buffer).setUint32(0, w);
    new DataView(d.buffer).setUint32(4, h);
    d[8] = 8;
    d[9] = 2;
    return pngChunk('IHDR', d);
  };
  const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  test("the issue's 120-byte PNG claiming 14000x14000 with one row of data: IMAGE_TRUNCATED at once", () => {
    const png = concat([SIGNATURE, ihdr(14000, 14000), pngChunk('IDAT', deflateSync(new Uint8Array(1 + 14000 * 3))), pngChunk('IEND', new Uint8Array())]);
    expect(png.length).toBeLessThan(200);
    expect(() => decodeImageBytes(png, 'huge.png')).toThrow(expect.objectContaining({ code: 'IMAGE_TRUNCATED', message: expect.stringMatching(/42001 of 588014000 bytes/) }));
  });

  test('a PNG whose zlib data stops early or has rows missing is an error, never pixels from memory', () => {
    const rows = new Uint8Array(8 * (1 + 8 * 3)).fill(0);
    for (let y = 0; y < 8; y++) for (let i = 1; i <= 24; i++) rows[y * 25 + i] = 200;
    const whole = concat([SIGNATURE, ihdr(8, 8), pngChunk('IDAT', deflateSync(rows)), pngChunk('IEND', new Uint8Array())]);
    expect(decodeImageBytes(whole).data.every((v) => v === 200)).toBe(true);
    const z = deflateSync(rows);
    const cut = concat([SIGNATURE, ihdr(8, 8), pngChunk('IDAT', z.subarray(0, z.length - 6)), pngChunk('IEND', new Uint8Array())]);
    expect(() => decodeImageBytes(cut)).toThrow(expect.objectContaining({ code: 'IMAGE_TRUNCATED' }));
    const fewRows = concat([SIGNATURE, ihdr(8, 8), pngChunk('IDAT', deflateSync(rows.subarray(0, 3 * 25))), pngChunk('IEND', new Uint8Array())]);
    expect(() => decodeImageBytes(fewRows)).toThrow(expect.objectContaining({ code: 'IMAGE_TRUNCATED', message: expect.stringMatching(/75 of 200 bytes/) }));
    // More data than the header announces (a bomb in disguise) is refused without inflating it all.
    const more = concat([SIGNATURE, ihdr(8, 8), pngChunk('IDAT', deflateSync(new Uint8Array(1 << 20))), pngChunk('IEND', new Uint8Array())]);
    expect(() => decodeImageBytes(more)).toThrow(expect.objectContaining({ code: 'IMAGE_TRUNCATED' }));
  });

  test('a JPEG cut anywhere after its header is IMAGE_TRUNCATED (jpeg-js alone decodes it silently)', () => {
    const jpeg = makeJpeg({ width: 32, height: 32, components: 3, block: (bx, by) => [bx * 60, by * 60, 128] });
    expect(decodeImageBytes(jpeg).width).toBe(32);
    for (const keep of [0.6, 0.9, (jpeg.length - 2) / jpeg.length]) {
      expect(() => decodeImageBytes(jpeg.subarray(0, Math.floor(jpeg.length * keep)))).toThrow(expect.objectContaining({ code: 'IMAGE_TRUNCATED' }));
    }
  });

  test('--image /dev/urandom fails at once with IMAGE_NOT_FOUND (a device), without reading it', async () => {
    await expect(decodeImageFile('/dev/urandom')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', message: expect.stringMatching(/character device/) });
    const r = await wgcam(['classify', '--weights', 'synthetic', '--image', '/dev/urandom']);
    expectOneError(r, 'IMAGE_NOT_FOUND');
  });

  test('a pipe is read with a bound: garbage stops at its first bytes, an endless stream at the limit', async () => {
    const fifo = join(dir, 'image-fifo');
    spawnSync('mkfifo', [fifo]);
    // `yes` writes forever; the reader must stop (the first bytes are not an image).
    const writer = spawn('sh', ['-c', `yes > '${fifo}'`], { stdio: 'ignore' });
    try {
      await expect(decodeImageFile(fifo)).rejects.toMatchObject({ code: 'IMAGE_NOT_AN_IMAGE' });
    } finally {
      writer.kill();
    }
    const writer2 = spawn('sh', ['-c', `yes > '${fifo}'`], { stdio: 'ignore' });
    try {
      const read = readBounded(fifo, { what: 'test input', maxBytes: 1 << 20, notFound: (m) => new WgcamError('FILE_NOT_FOUND', m), empty: (m) => new WgcamError('FILE_NOT_FOUND', m), hint: '' });
      await expect(read).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
    } finally {
      writer2.kill();
    }
  });

  test('an input tensor with NaN or Inf (even all NaN) is INPUT_NON_FINITE before any GPU work', async () => {
    const allNan = tensorFile('nan.safetensors', [1, 3, 64, 64], () => NaN);
    expect(expectOneError(await wgcam(['classify', '--weights', 'synthetic', '--tensor', allNan]), 'INPUT_NON_FINITE')).toMatch(/12288 NaN or infinite values/);
    const oneInf = tensorFile('inf.safetensors', [2, 3, 32, 32], (i) => (i === 5000 ? Infinity : 0.5));
    expect(expectOneError(await wgcam(['cam', '--weights', 'synthetic', '--tensor', oneInf]), 'INPUT_NON_FINITE')).toMatch(/index 5000/);
  });

  test('an empty batch [0,3,224,224] is BAD_INPUT_SHAPE; classify does not exit 0 printing nothing', async () => {
    const empty = tensorFile('empty.safetensors', [0, 3, 224, 224], () => 0);
    for (const command of ['classify', 'cam', 'train-step']) {
      const labels = command === 'train-step' ? ['--labels', '1'] : [];
      expect(expectOneError(await wgcam([command, '--weights', 'synthetic', '--tensor', empty, ...labels]), 'BAD_INPUT_SHAPE')).toMatch(/empty batch/);
    }
  });

  test('--layer fc and --layer avgpool: NOT_A_CAM_LAYER before any work; the help and the UNKNOWN_LAYER list leave them out', async () => {
    for (const layer of ['fc', 'avgpool']) {
      expect(expectOneError(await wgcam(['cam', '--weights', 'synthetic', '--image', SAMPLE, '--layer', layer]), 'NOT_A_CAM_LAYER')).toMatch(/no spatial output/);
    }
    const unknown = expectOneError(await wgcam(['cam', '--weights', 'synthetic', '--image', SAMPLE, '--layer', 'layer9']), 'UNKNOWN_LAYER');
    expect(unknown).toMatch(/conv1, bn1, relu, maxpool, layer1/);
    expect(unknown).not.toMatch(/avgpool|\bfc\b/);
    const help = await wgcam(['cam', '--help']);
    expect(help.stdout).toMatch(/--layer NAME .*not avgpool or fc/);
  });
});

describe('user strings in errors are escaped and shortened', () => {
  test('quote(): control characters, ESC and newlines escaped; 100,000 characters cut to 200 with an ellipsis', () => {
    expect(quote('a\nb\x1b[31mc\rd\u202e')).toBe('"a\\nb\\x1b[31mc\\rd\\u202e"');
    const long = quote('x'.repeat(100_000));
    expect(long).toBe(`"${'x'.repeat(MAX_QUOTED)}… (100000 characters)"`);
  });

  test('a hostile layer name and file name print as one escaped line of bounded length', async () => {
    const hostile = `layer\n\x1b[2J\x1b[31mEVIL\r${'y'.repeat(100_000)}`;
    const r = await wgcam(['cam', '--weights', 'synthetic', '--image', SAMPLE, `--layer=${hostile}`]);
    const line = expectOneError(r, 'UNKNOWN_LAYER');
    expect(r.stderr).not.toMatch(/[\x1b\r]/);
    expect(line).toContain('"layer\\n\\x1b[2J\\x1b[31mEVIL\\ryyyy');
    expect(line.length).toBeLessThan(1000);
    const name = join(dir, `bad\x1b]0;title\x07name\n.png`);
    const m = await wgcam(['classify', '--weights', 'synthetic', '--image', name]);
    expectOneError(m, 'IMAGE_NOT_FOUND');
    expect(m.stderr).not.toMatch(/[\x1b\x07]/);
  });
});

describe('weights: stalled downloads time out, standard input works', () => {
  /** A server that accepts connections and never answers, or answers headers and a little body, then stalls. */
  async function stallingServer(mode: 'silent' | 'body'): Promise<{ url: string; server: Server }> {
    const server = createServer((_req, res) => {
      if (mode === 'body') {
        res.writeHead(200, { 'content-length': '1000000' });
        res.write(new Uint8Array(1000));
      }
      // and nothing more
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.safetensors`, server };
  }
  const close = (server: Server) => {
    server.closeAllConnections();
    server.close();
  };

  test('a server that accepts and never answers: DOWNLOAD_TIMEOUT within the connect timeout', async () => {
    const { url, server } = await stallingServer('silent');
    try {
      const started = Date.now();
      await expect(downloadWithProgress(url, undefined, undefined, { connectMs: 300 })).rejects.toMatchObject({
        code: 'DOWNLOAD_TIMEOUT',
        message: expect.stringMatching(/no answer within 0\.3 s \(connect timeout\)/),
      });
      expect(Date.now() - started).toBeLessThan(20_000); // a hang guard, not a timing
    } finally {
      close(server);
    }
  });

  test('a body that stops: DOWNLOAD_TIMEOUT after the idle timeout, with the bytes received', async () => {
    const { url, server } = await stallingServer('body');
    try {
      await expect(downloadWithProgress(url, undefined, undefined, { idleMs: 300 })).rejects.toMatchObject({
        code: 'DOWNLOAD_TIMEOUT',
        message: expect.stringMatching(/no data for 0\.3 s after 1000 bytes \(idle timeout\)/),
      });
    } finally {
      close(server);
    }
  });

  test('the CLI takes the limits from WGCAM_CONNECT_TIMEOUT_S / WGCAM_IDLE_TIMEOUT_S; bad values are refused', async () => {
    expect(downloadTimeoutsFromEnv({})).toEqual({});
    expect(downloadTimeoutsFromEnv({ WGCAM_CONNECT_TIMEOUT_S: '2.5', WGCAM_IDLE_TIMEOUT_S: '7' })).toEqual({ connectMs: 2500, idleMs: 7000 });
    expect(() => downloadTimeoutsFromEnv({ WGCAM_IDLE_TIMEOUT_S: 'soon' })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    const { url, server } = await stallingServer('silent');
    try {
      const r = await wgcam(['classify', '--weights', url, '--image', SAMPLE], { env: { WGCAM_CONNECT_TIMEOUT_S: '0.5' } });
      expect(r.stderr).toMatch(/wgcam: error \[DOWNLOAD_TIMEOUT\]: .*no answer within 0\.5 s/);
      expect(r.code).toBe(1);
    } finally {
      close(server);
    }
  });

  test('--weights - and /dev/stdin read piped data; a terminal or /dev/null is refused in one line', async () => {
    // A pipe, as `--weights -` sees one: the whole file arrives, however it is chunked.
    const fifo = join(dir, 'weights-fifo');
    spawnSync('mkfifo', [fifo]);
    const bytes = syntheticSafetensors();
    const source = join(dir, 'synthetic.safetensors');
    writeFileSync(source, bytes);
    const writer = spawn('sh', ['-c', `cat '${source}' > '${fifo}'`], { stdio: 'ignore' });
    const loaded = await loadWeightsNode(fifo);
    writer.kill();
    expect(loaded.bytes.length).toBe(bytes.length);
    expect(loaded.weights.get('fc.bias')!.length).toBe(1000);
    // Through the CLI: piped bytes are parsed (a broken file says so), not reported empty.
    const broken = bytes.slice(0, 5000);
    for (const spelled of ['-', '/dev/stdin']) {
      const r = await wgcam(['classify', '--weights', spelled, '--image', SAMPLE], { input: broken });
      expectOneError(r, 'WEIGHTS_HEADER_PAST_END');
    }
    const nul = spawnSync(process.execPath, [BIN, 'classify', '--weights', '-', '--image', SAMPLE], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(nul.status).toBe(1);
    expect(String(nul.stderr)).toMatch(/^wgcam: error \[FILE_NOT_FOUND\]: weights file "\/dev\/stdin" is a character device/);
  });
});

test('encodePng output round-trips through the strict decoder (overlays stay readable)', () => {
  const img = { width: 5, height: 3, data: new Uint8Array(45).map((_, i) => i * 5) };
  expect([...decodeImageBytes(encodePng(img)).data]).toEqual([...img.data]);
});
