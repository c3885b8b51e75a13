/**
 * Text from a user's file or argument, made safe to show in a one-line message: control
 * characters, NUL, DEL, C1 controls, lone surrogates and U+FFFD (what invalid UTF-8 decodes to)
 * become `\xNN` / `\u{…}` escapes, and what goes past `maxChars` (escapes counted) is cut with an ellipsis.
 */

/** Characters shown as an escape rather than raw (tab is kept: it is printable whitespace). */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\ufffd\ud800-\udfff]/g;

const UNPRINTABLE_ONE = new RegExp(UNPRINTABLE.source);

export const MESSAGE_TEXT_MAX_CHARS = 80;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `text` escaped and, when that is longer than `maxChars`, cut (between escapes) and ended with "…". */
export function printable(text: string, maxChars = MESSAGE_TEXT_MAX_CHARS): string {
  // fast path: short text is escaped whole (an escape is at most 8 characters)
  if (text.length * 8 <= maxChars) return text.replace(UNPRINTABLE, escapeChar);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const piece = UNPRINTABLE_ONE.test(c) ? escapeChar(c) : c;
    if (out.length + piece.length > maxChars) return `${out}…`;
    out += piece;
  }
  return out;
}

/** The length of `printable(text.slice(0, n), Infinity)`: where column n lands once escaped. */
export function printableWidth(text: string, n: number): number {
  return text.slice(0, n).replace(UNPRINTABLE, escapeChar).length;
}
