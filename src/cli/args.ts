// A small strict argument parser: every command declares its flags, and anything else is an error that
// names the command's flags. No dependency, no surprises.
import { WgcamError } from '../errors.ts';
import { quote, shorten } from '../quote.ts';

export type FlagKind = 'string' | 'number' | 'boolean' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  /** Allowed more than once (values collected into `list`). */
  repeatable?: boolean;
  default?: string | number | boolean;
  /** Placeholder shown in help, e.g. FILE. */
  value?: string;
}

export type ParsedFlags = Record<string, string | number | boolean | string[] | undefined>;

export function parseFlags(command: string, argv: readonly string[], spec: Record<string, FlagSpec>): ParsedFlags {
  const out: ParsedFlags = {};
  for (const [name, s] of Object.entries(spec)) if (s.default !== undefined) out[name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      throw new WgcamError('BAD_ARGUMENT', `unexpected argument ${quote(arg)} for "wgcam ${command}": flags start with -- (see wgcam ${command} --help)`);
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(' ');
      throw new WgcamError('UNKNOWN_FLAG', `unknown flag ${quote(`--${name}`)} for "wgcam ${command}": known flags are ${known}`);
    }
    if (s.kind === 'boolean') {
      if (eq > 0) throw new WgcamError('BAD_ARGUMENT', `--${shorten(name)} takes no value`);
      out[name] = true;
      continue;
    }
    // A list flag takes every following word up to the next flag (--image a.png b.png).
    const values: string[] = [];
    if (eq > 0) values.push(arg.slice(eq + 1));
    else {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
        values.push(argv[++i]!);
        if (s.kind !== 'list') break;
      }
    }
    if (values.length === 0) throw new WgcamError('BAD_ARGUMENT', `--${name} needs a value (${s.value ?? s.kind})`);
    if (s.kind === 'list' || s.repeatable) {
      const prev = out[name];
      out[name] = [...(Array.isArray(prev) ? prev : []), ...values];
    } else if (s.kind === 'number') {
      const v = Number(values[0]);
      if (!Number.isFinite(v)) throw new WgcamError('BAD_ARGUMENT', `--${name} must be a number, got ${quote(values[0]!)}`);
      out[name] = v;
    } else {
      out[name] = values[0]!;
    }
  }
  return out;
}

export function flagHelp(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([name, s]) => {
      const head = `  --${name}${s.kind === 'boolean' ? '' : ` ${s.value ?? s.kind.toUpperCase()}${s.kind === 'list' ? '...' : ''}`}`;
      const def = s.default !== undefined && s.kind !== 'boolean' ? ` (default ${s.default})` : '';
      return `${head.padEnd(32)} ${s.help}${def}`;
    })
    .join('\n');
}
