/**
 * COPY text for pgbench's tables, generated in large chunks straight into Buffers.
 *
 * The rows are exactly what pgbench sends (initBranch / initTeller / initAccount):
 *   branches  "bid\t0\t\N\n"          filler NULL
 *   tellers   "tid\tbid\t0\t\N\n"     filler NULL, bid = (tid-1)/10 + 1
 *   accounts  "aid\tbid\t0\t\n"       filler '' (char(84) pads it with blanks), bid = (aid-1)/100000 + 1
 * Writing digits into a preallocated Buffer keeps the client far cheaper than the server's COPY
 * parsing, so the server stays the bottleneck (the client shares the cores with it).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type CopyStreams from 'pg-copy-streams';
import { NACCOUNTS, NTELLERS } from './pgbench-ddl.js';
import { adminFailure } from '../../driver/admin-client.js';
import { lazyRequire } from '../../util/lazy-require.js';

const copyStreams = lazyRequire<typeof CopyStreams>('pg-copy-streams');

const TAB = 0x09;
const NL = 0x0a;
const ZERO = 0x30;
const BACKSLASH = 0x5c;
const N = 0x4e;

/** Rows per chunk: ~600 KB-1 MB of COPY text, large enough that per-chunk costs vanish. */
const CHUNK_ROWS = 32_768;

export type RowKind = 'branches' | 'tellers' | 'accounts';

/** Write a non-negative integer (< 2^53) in decimal at pos; returns the position after it. */
function writeUint(buf: Buffer, pos: number, n: number): number {
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  let i = pos + digits - 1;
  let v = n;
  do {
    const q = Math.floor(v / 10);
    buf[i--] = ZERO + (v - q * 10);
    v = q;
  } while (v > 0);
  return pos + digits;
}

/** Upper bound of one row's bytes: two 20-digit numbers and the fixed part. */
const MAX_ROW_BYTES = 48;

/** COPY text for rows with ids first..first+count-1 of the given table. */
export function formatRows(kind: RowKind, first: number, count: number): Buffer {
  const buf = Buffer.allocUnsafe(count * MAX_ROW_BYTES);
  let pos = 0;
  const end = first + count;
  for (let id = first; id < end; id++) {
    pos = writeUint(buf, pos, id);
    buf[pos++] = TAB;
    if (kind !== 'branches') {
      const per = kind === 'tellers' ? NTELLERS : NACCOUNTS;
      pos = writeUint(buf, pos, Math.floor((id - 1) / per) + 1);
      buf[pos++] = TAB;
    }
    buf[pos++] = ZERO;
    buf[pos++] = TAB;
    if (kind !== 'accounts') {
      buf[pos++] = BACKSLASH;
      buf[pos++] = N;
    }
    buf[pos++] = NL;
  }
  return buf.subarray(0, pos);
}

function* chunks(kind: RowKind, first: number, last: number, onRows: (n: number) => void): Generator<Buffer> {
  for (let id = first; id <= last; id += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, last - id + 1);
    const buf = formatRows(kind, id, count);
    // Counted when handed to the stream; the stream's buffer is bounded (highWaterMark), so the
    // count runs at most a chunk or two ahead of the server.
    onRows(count);
    yield buf;
  }
}

/**
 * COPY rows first..last (inclusive, 1-based ids) of `kind` into `table` over `client`.
 * `freeze` adds pgbench's "with (freeze on)": only valid when the table was created or truncated
 * in the client's current transaction.
 */
export async function copyRows(
  client: pg.Client,
  table: string,
  kind: RowKind,
  first: number,
  last: number,
  freeze: boolean,
  onRows: (n: number) => void = () => undefined,
): Promise<void> {
  if (last < first) return;
  const sql = `copy ${table} from stdin${freeze ? ' with (freeze on)' : ''}`;
  const stream = client.query(copyStreams().from(sql));
  try {
    await pipeline(Readable.from(chunks(kind, first, last, onRows), { objectMode: false, highWaterMark: 2 }), stream);
  } catch (e) {
    // A COPY given up on by the client's deadline fails here with the socket's error: name the deadline.
    throw adminFailure(client, e);
  }
}
