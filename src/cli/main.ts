// `wgcam`: the command line on Node. Each command parses strictly, runs the shared core, and reports errors
// as one line (a stack only with --verbose) with a non-zero exit. The commands are src/cli/commands.ts's, plus
// any the caller adds: bin/wgcam.mjs adds `bench` (bench/cli.ts) in a checkout of the repository, since the
// package's code never imports bench/.
import { WgcamError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { oneLine, quote } from '../quote.ts';
import { flagHelp, parseFlags, type FlagSpec, type ParsedFlags } from './args.ts';
import { COMMANDS } from './commands.ts';

export interface Command {
  summary: string;
  flags: Record<string, FlagSpec>;
  run(flags: ParsedFlags): Promise<number>;
}

function usage(commands: Record<string, Command>): string {
  return `wgcam ${VERSION}: ResNet50 and Grad-CAM on WebGPU, from hand-written WGSL

usage: wgcam <command> [flags]     (wgcam <command> --help for its flags; wgcam --version)

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`)
  .join('\n')}
`;
}

/** Run `wgcam argv`; `extra` adds commands to the package's own (the repository's `bench`). */
export async function main(argv: readonly string[], extra: Record<string, Command> = {}): Promise<number> {
  const commands: Record<string, Command> = { ...COMMANDS, ...extra };
  const verbose = argv.includes('--verbose');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(commands));
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`wgcam: unknown command ${quote(name)}: use one of ${Object.keys(commands).join(', ')}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`wgcam ${name}: ${command.summary}\n\n${flagHelp(command.flags)}\n`);
    return 0;
  }
  try {
    const flags = parseFlags(name, rest, command.flags);
    return await command.run(flags);
  } catch (e) {
    return reportError(e, verbose);
  }
}

export function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof WgcamError) {
    process.stderr.write(`wgcam: error [${e.code}]: ${oneLine(e.message)}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`wgcam: internal error: ${oneLine(message.split('\n')[0]!)} (run with --verbose for details, and please report it)\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return 70;
}
