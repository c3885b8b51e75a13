/**
 * The one redaction function. Every line pgsurge prints (printOut/printErr, commander's messages,
 * PgsurgeError messages) and every user-supplied string it writes into a file passes through
 * `redact`, so a password cannot reach a screen or a file by a path that forgot to redact.
 *
 * Passwords are found by position, whatever the URL scheme (or none), never by searching for
 * their text: a password of `1` must not mask every `1` of a summary.
 * - URL user info `user:password@host`: in each run of characters without whitespace, `/` or `?`
 *   (libpq's URL parser ends the authority at the first `/` or `?`), everything between the first
 *   `:` and the last `@` (a raw `@` may sit in the password; a raw `:` too).
 * - `password=` (and any key ending in `password`, e.g. `PGPASSWORD=`, `sslpassword=`), as a
 *   libpq key=value pair (optional spaces around `=`; a value in single quotes with `\` escapes,
 *   or an unquoted value with `\` escapes up to the next whitespace) or as a URL query parameter
 *   after `?` or `&` (up to the next `&` or whitespace).
 * Where the two overlap, the union is masked (more than the password, never less). URL passwords
 * with raw whitespace, `/` or `?` are not found: libpq's URL parser does not read them as
 * passwords either (percent-encode them).
 * Invariants (property-tested in redact.test.ts): the password field never survives, text with no
 * `@` and no `=` is unchanged, and `redact(redact(s)) === redact(s)`.
 */

/** What a password is replaced with. */
export const MASK = '***';

/**
 * A key ending in "password", then `=`. Group 1: the character before the key (query parameter
 * when `?` or `&`), group 2: the key and `=` as written. A digit before the key does not hide it:
 * messages quote keys with JSON escapes, and `"\u0000password='x'"` must lose its value too.
 */
const KEY_VALUE = /(^|[^A-Za-z_])([A-Za-z_]*password\s*=\s*)/gi;
/** Runs in which libpq's URL parser would look for user info. */
const SEGMENT = /[^\s/?]+/g;
/** Text searches shorter than this could match ordinary output (digits, words like "pgsurge"). */
const MIN_SEARCHED_SECRET_LENGTH = 8;

const searchedSecrets = new Set<string>();

/**
 * A last line of defence for a password that reached a message by some other way than a URL or a
 * key=value string (e.g. a server echoing it). Only secrets of 8 or more characters are searched
 * for: a short one (`1`, `pgsurge`) occurs in ordinary output, and masking it there would garble
 * figures and names while protecting nothing that position-based redaction does not already cover.
 */
export function registerSecret(secret: string): void {
  if (secret.length >= MIN_SEARCHED_SECRET_LENGTH) searchedSecrets.add(secret);
}

/** `text` with `secret` masked wherever it occurs, if it is long enough to search for (see registerSecret). */
export function maskSecretText(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length < MIN_SEARCHED_SECRET_LENGTH || !text.includes(secret)) return text;
  return text.split(secret).join(MASK);
}

/** `text` with every password field replaced by `***` (see the module comment for what is found). */
export function redact(text: string): string {
  // Both rules read the same text, so one cannot hide a password from the other (a key=value
  // value swallowing the `@` that ends a URL's user info). Masking can join what was apart (a
  // quoted value with spaces becomes `***`), so repeat until nothing changes: this makes
  // redact idempotent. It settles in a pass or two; the bound only guards against a mistake.
  let out = text;
  for (let pass = 0; pass < 8; pass++) {
    const next = maskRanges(out, [...userInfoRanges(out), ...keyValueRanges(out)]);
    if (next === out) break;
    out = next;
  }
  for (const s of searchedSecrets) out = maskSecretText(out, s);
  return out;
}

/** A JSON-like value with every string redacted and every password-named field masked. */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = /password$/i.test(k) && v !== undefined && v !== null ? MASK : redactValue(v);
    return out;
  }
  return value;
}

type Range = readonly [start: number, end: number];

/** `text` with each range (merged where they overlap or touch) replaced by one MASK. */
function maskRanges(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < ranges.length) {
    const [start] = ranges[i] as Range;
    let end = (ranges[i] as Range)[1];
    for (i++; i < ranges.length && (ranges[i] as Range)[0] <= end; i++) end = Math.max(end, (ranges[i] as Range)[1]);
    out += `${text.slice(copied, start)}${MASK}`;
    copied = end;
  }
  return out + text.slice(copied);
}

/** The password of each `user:password@` (first `:` to last `@` of a segment). */
function userInfoRanges(text: string): Range[] {
  const ranges: Range[] = [];
  SEGMENT.lastIndex = 0;
  for (let m = SEGMENT.exec(text); m !== null; m = SEGMENT.exec(text)) {
    const segment = m[0];
    const at = segment.lastIndexOf('@');
    const colon = segment.indexOf(':');
    if (at >= 0 && colon >= 0 && colon < at) ranges.push([m.index + colon + 1, m.index + at]);
  }
  return ranges;
}

/** The value of each `password=` key=value pair or query parameter. */
function keyValueRanges(text: string): Range[] {
  const ranges: Range[] = [];
  KEY_VALUE.lastIndex = 0;
  for (let m = KEY_VALUE.exec(text); m !== null; m = KEY_VALUE.exec(text)) {
    const before = m[1] ?? '';
    const valueStart = m.index + m[0].length;
    const valueEnd = before === '?' || before === '&' ? queryValueEnd(text, valueStart) : keyValueEnd(text, valueStart);
    ranges.push([valueStart, valueEnd]);
    KEY_VALUE.lastIndex = valueEnd;
  }
  return ranges;
}

/** End of a URL query value: the next `&` or whitespace. */
function queryValueEnd(s: string, i: number): number {
  while (i < s.length && s[i] !== '&' && !isSpace(s[i])) i++;
  return i;
}

/**
 * End of a libpq key=value value, read as libpq reads it: quoted (backslash escapes, up to the
 * closing quote; an unterminated one runs to the end of the text, all of it possibly the
 * password) or unquoted (backslash escapes, up to whitespace).
 */
function keyValueEnd(s: string, i: number): number {
  const quoted = s[i] === "'";
  if (quoted) i++;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i = Math.min(i + 2, s.length);
    else if (quoted ? c === "'" : isSpace(c)) return quoted ? i + 1 : i;
    else i++;
  }
  return s.length;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}
