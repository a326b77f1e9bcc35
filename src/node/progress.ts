// A progress bar on stderr, for downloads (bytes, shown in MB) or counted work (ScoreCAM's masked forwards). On a terminal it redraws one line in place (\r); when stderr is a file
// or a pipe (CI logs) it prints a plain line now and then, so logs stay short and readable.

export interface ProgressBar {
  /** Report bytes received so far, and the total when known. A plain function, safe to pass as a callback. */
  update: (received: number, total?: number) => void;
  /** Finish the line. Prints nothing if update was never called (e.g. a cached file was used). */
  done: () => void;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const MB = 1e6;
const BAR_WIDTH = 30;
/** Redraw at most this often on a terminal. */
const REDRAW_MS = 100;
/** Off a terminal, a line at every quarter of the total, or every this many bytes when the total is unknown. */
const LOG_EVERY_BYTES = 25 * MB;

/** What is counted: 'bytes' (shown in MB), or items shown as counts with this name (e.g. 'forwards'). */
export type ProgressUnit = 'bytes' | { items: string };

function describe(label: string, received: number, total: number | undefined, withBar: boolean, unit: ProgressUnit): string {
  const amount = (v: number) => (unit === 'bytes' ? (v / MB).toFixed(1) : String(v));
  const name = unit === 'bytes' ? 'MB' : unit.items;
  const got = amount(received);
  if (total === undefined || total <= 0) return `${label}: ${got} ${name}`;
  const fraction = Math.min(1, received / total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const sizes = `${got} / ${amount(total)} ${name}`;
  if (!withBar) return `${label}: ${sizes} (${percent.trim()})`;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${sizes} ${percent}`;
}

export function makeProgressBar(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now, unit: ProgressUnit = 'bytes'): ProgressBar {
  const tty = stream.isTTY === true;
  let started = false;
  let finished = false;
  let lastDraw = -Infinity;
  let lastLength = 0;
  let lastLogged = -1; // off a terminal: the last step (quarter or 25 MB block) printed
  let last: { received: number; total: number | undefined } = { received: 0, total: undefined };

  const draw = () => {
    const text = describe(label, last.received, last.total, true, unit);
    // Pad with spaces to wipe a longer previous line.
    stream.write(`\r${text}${' '.repeat(Math.max(0, lastLength - text.length))}`);
    lastLength = text.length;
    lastDraw = now();
  };

  const step = (received: number, total: number | undefined) =>
    total !== undefined && total > 0 ? Math.floor((4 * Math.min(received, total)) / total) : Math.floor(received / LOG_EVERY_BYTES);

  return {
    update(received: number, total?: number) {
      if (finished) return;
      started = true;
      last = { received, total };
      if (tty) {
        if (now() - lastDraw >= REDRAW_MS || (total !== undefined && received >= total)) draw();
        return;
      }
      const s = step(received, total);
      if (s > lastLogged) {
        lastLogged = s;
        stream.write(`${describe(label, received, total, false, unit)}\n`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (!started) return;
      if (tty) {
        draw();
        stream.write('\n');
      } else if (step(last.received, last.total) !== lastLogged || last.total === undefined) {
        stream.write(`${describe(label, last.received, last.total, false, unit)}\n`);
      }
    },
  };
}
