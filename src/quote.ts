// Strings from users (file names, layer names, flag values) quoted in error messages. A hostile or broken name
// must not rewrite the terminal (newlines, carriage returns, ESC sequences) nor flood it: every control
// character is escaped, and anything longer than `max` characters is cut with an ellipsis. Browser-safe.

/** The longest quoted string, in characters, before it is shortened. */
export const MAX_QUOTED = 200;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** Control characters as escapes: \n, \r, \t stay readable; others become \xNN or \uNNNN. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `text` escaped and shortened to `max` characters (an ellipsis and the full length say when it was cut). */
export function shorten(text: string, max: number = MAX_QUOTED): string {
  const chars = [...text];
  if (chars.length <= max) return escapeControl(text);
  return `${escapeControl(chars.slice(0, max).join(''))}… (${chars.length} characters)`;
}

/** A user's string for an error message: in double quotes, escaped and shortened. */
export function quote(text: string, max: number = MAX_QUOTED): string {
  return `"${shorten(String(text), max).replace(/"/g, '\\"')}"`;
}

/** A whole message made safe for one terminal line: control characters escaped, at most `max` characters. */
export function oneLine(message: string, max = 2000): string {
  return shorten(message, max);
}
