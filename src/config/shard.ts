/**
 * The options that make a run one part of a bigger one: `--shard K/N`, `--run-id ID` and
 * `--start-at TIME` (the wall-clock instant the measured phase of every part starts at).
 */
import { usageError } from '../errors.js';
import type { ShardPart } from '../executor/types.js';

/** `K/N` with 1 ≤ K ≤ N. */
export function parseShard(text: string, label: string): ShardPart {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const k = m === null ? NaN : Number(m[1]);
  const n = m === null ? NaN : Number(m[2]);
  if (!Number.isSafeInteger(k) || !Number.isSafeInteger(n) || n < 1 || k < 1 || k > n) {
    throw usageError('BAD_OPTIONS', `${label}: expected K/N, part K of N with 1 ≤ K ≤ N (e.g. 2/3), got "${text}"`);
  }
  return { k, n };
}

/** Letters, digits and `._-`, so that an id is safe in file names, logs and URLs. */
export function parseRunId(text: string, label: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(text)) throw usageError('BAD_OPTIONS', `${label}: expected 1–64 letters, digits, ".", "_" or "-", got "${text}"`);
  return text;
}

/** How far ahead a start instant may be: a typo of a day or a year is caught. */
const MAX_AHEAD_MS = 24 * 3600_000;

/**
 * An absolute instant: ISO 8601 with its time zone (`2026-12-06T21:30:00Z`, `…+01:00`), so that
 * machines in other zones agree, or `@SECONDS` since the epoch. Must lie ahead, within a day.
 * Returns milliseconds since the epoch.
 */
export function parseStartAt(text: string, label: string, nowMs: number = Date.now()): number {
  const t = text.trim();
  let ms: number;
  if (/^@\d+(\.\d+)?$/.test(t)) ms = Math.round(Number(t.slice(1)) * 1000);
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t)) ms = Date.parse(t);
  else throw usageError('BAD_OPTIONS', `${label}: expected an ISO 8601 time with its zone (2026-12-06T21:30:00Z) or @EPOCH_SECONDS, got "${text}"`);
  if (!Number.isFinite(ms)) throw usageError('BAD_OPTIONS', `${label}: not a valid time: "${text}"`);
  if (ms <= nowMs) throw usageError('BAD_OPTIONS', `${label}: ${new Date(ms).toISOString()} has passed (now ${new Date(nowMs).toISOString()})`);
  if (ms - nowMs > MAX_AHEAD_MS) throw usageError('BAD_OPTIONS', `${label}: ${new Date(ms).toISOString()} is more than a day ahead`);
  return ms;
}

/**
 * A coordinator's address as a part dials it: `http://HOST:PORT` (https when a proxy terminates
 * TLS in front of it). No credentials in it: the parts authenticate with PGSURGE_COORDINATOR_TOKEN.
 */
export function parseCoordinatorUrl(text: string, label: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw usageError('BAD_OPTIONS', `${label}: expected http://HOST:PORT, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('BAD_OPTIONS', `${label}: expected an http:// or https:// URL, got "${text}"`);
  if (url.username !== '' || url.password !== '')
    throw usageError('BAD_OPTIONS', `${label}: no user or password in the URL: the parts send the token in PGSURGE_COORDINATOR_TOKEN`);
  if (url.search !== '' || url.hash !== '' || (url.pathname !== '/' && url.pathname !== ''))
    throw usageError('BAD_OPTIONS', `${label}: expected http://HOST:PORT with nothing after it, got "${text}"`);
  return `${url.protocol}//${url.host}`;
}
