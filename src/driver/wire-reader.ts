/**
 * Decoding of the few backend messages whose content pgsurge needs. Message boundaries and the
 * hot-path messages (BindComplete, CommandComplete, ReadyForQuery, DataRow when rows are not
 * wanted) are handled inline in the session's read loop without decoding anything.
 *
 * Hand-written instead of pg-protocol's parser: the parser allocates a message object per backend
 * message and copies partial reads into a new buffer each time; skipping unneeded messages by their
 * length is what took the benchmark from ~28k to ~33k TPS (DESIGN.md "Driver notes").
 */
import type { PgErrorInfo } from './types.js';

export const MSG_PARSE_COMPLETE = 0x31; // '1'
export const MSG_BIND_COMPLETE = 0x32; // '2'
export const MSG_CLOSE_COMPLETE = 0x33; // '3'
export const MSG_COMMAND_COMPLETE = 0x43; // 'C'
export const MSG_DATA_ROW = 0x44; // 'D'
export const MSG_ERROR = 0x45; // 'E'
export const MSG_EMPTY_QUERY = 0x49; // 'I'
export const MSG_BACKEND_KEY = 0x4b; // 'K'
export const MSG_NOTICE = 0x4e; // 'N'
export const MSG_PARAMETER_STATUS = 0x53; // 'S'
export const MSG_ROW_DESCRIPTION = 0x54; // 'T'
export const MSG_READY = 0x5a; // 'Z'
export const MSG_NOTIFICATION = 0x41; // 'A'
export const MSG_NO_DATA = 0x6e; // 'n'
export const MSG_PORTAL_SUSPENDED = 0x73; // 's'

/** Big-endian int32 at `p` (no bounds check: callers know the message is complete). */
export function readInt32(b: Buffer, p: number): number {
  return ((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number);
}

function readInt16(b: Buffer, p: number): number {
  return ((b[p] as number) << 8) | (b[p + 1] as number);
}

/** NUL-terminated UTF-8 string starting at `p`, ending before `end`; returns [text, offset after NUL]. */
function cstring(b: Buffer, p: number, end: number): [string, number] {
  let q = p;
  while (q < end && b[q] !== 0) q++;
  return [b.toString('utf8', p, q), q + 1];
}

/**
 * ErrorResponse / NoticeResponse body (from the first field to the message end): code C, message M,
 * severity V (non-localised, else S), detail D, position P.
 */
export function parseErrorFields(b: Buffer, start: number, end: number): PgErrorInfo {
  let code = '';
  let message = '';
  let severity: string | undefined;
  let localSeverity: string | undefined;
  let detail: string | undefined;
  let position: number | undefined;
  let p = start;
  while (p < end) {
    const field = b[p];
    if (field === 0 || field === undefined) break;
    const [value, next] = cstring(b, p + 1, end);
    p = next;
    switch (field) {
      case 0x43:
        code = value;
        break; // 'C'
      case 0x4d:
        message = value;
        break; // 'M'
      case 0x56:
        severity = value;
        break; // 'V'
      case 0x53:
        localSeverity = value;
        break; // 'S'
      case 0x44:
        detail = value;
        break; // 'D'
      case 0x50:
        position = Number(value);
        break; // 'P'
      default:
        break;
    }
  }
  return { code, message, severity: severity ?? localSeverity, detail, position };
}

/** RowDescription body → column names. */
export function parseRowDescription(b: Buffer, start: number, end: number): string[] {
  const n = readInt16(b, start);
  const names: string[] = new Array<string>(n);
  let p = start + 2;
  for (let i = 0; i < n; i++) {
    const [name, next] = cstring(b, p, end);
    names[i] = name;
    p = next + 18; // table oid 4, attnum 2, type oid 4, typlen 2, typmod 4, format 2
  }
  return names;
}

/** DataRow body → text values (null for SQL NULL). */
export function parseDataRow(b: Buffer, start: number): (string | null)[] {
  const n = readInt16(b, start);
  const row: (string | null)[] = new Array<string | null>(n);
  let p = start + 2;
  for (let i = 0; i < n; i++) {
    const len = readInt32(b, p);
    p += 4;
    if (len < 0) {
      row[i] = null;
    } else {
      row[i] = b.toString('utf8', p, p + len);
      p += len;
    }
  }
  return row;
}

/** ParameterStatus body → [name, value]. */
export function parseParameterStatus(b: Buffer, start: number, end: number): [string, string] {
  const [name, next] = cstring(b, start, end);
  const [value] = cstring(b, next, end);
  return [name, value];
}
