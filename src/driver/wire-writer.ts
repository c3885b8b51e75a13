/**
 * Outgoing protocol messages for the hot path, written by hand into reused buffers.
 *
 * Hand-written instead of pg-protocol's serializer: the serializer builds every message in a fresh
 * growable buffer, stringifies parameters and copies twice; on the select-only benchmark
 * (DESIGN.md "Driver notes") that cost ~4 µs of client CPU per transaction (~28k vs ~33k TPS).
 * Here the constant part of each statement's message is prebuilt once, and per exec only the
 * parameters and a 21-byte tail are written.
 */
import type { Param, StatementSpec } from '../workload/types.js';
import type { Protocol } from './types.js';

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
/**
 * Messages up to this many bytes longer than their statement's shortest reuse cached views (see
 * StatementWriter.view).
 */
const VIEW_SPAN = 128;

export function syncMessage(): Buffer {
  return SYNC;
}

export function terminateMessage(): Buffer {
  return TERMINATE;
}

/** SSLRequest: length 8, code 80877103. */
export function sslRequestMessage(): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(80877103, 4);
  return b;
}

/** The SQL sent for the extended protocols: parts joined with $1, $2, ... */
export function placeholderSql(spec: StatementSpec): string {
  let sql = spec.parts[0] ?? '';
  for (let i = 1; i < spec.parts.length; i++) sql += `$${i}${spec.parts[i] ?? ''}`;
  return sql;
}

/** Parse: name, SQL, no parameter types (0 = let the server infer, like pgbench). */
export function parseMessage(name: string, sql: string): Buffer {
  const nameLen = Buffer.byteLength(name);
  const sqlLen = Buffer.byteLength(sql);
  const b = Buffer.alloc(1 + 4 + nameLen + 1 + sqlLen + 1 + 2);
  let p = 0;
  b[p++] = 0x50; // 'P'
  b.writeInt32BE(b.length - 1, p);
  p += 4;
  p += b.write(name, p);
  b[p++] = 0;
  p += b.write(sql, p);
  b[p++] = 0;
  b.writeInt16BE(0, p);
  return b;
}

/** Bind header up to and including the parameter count (portal "", text formats). */
function bindHeader(stmtName: string, paramCount: number): Buffer {
  const nameLen = Buffer.byteLength(stmtName);
  const b = Buffer.alloc(1 + 4 + 1 + nameLen + 1 + 2 + 2);
  let p = 0;
  b[p++] = 0x42; // 'B'; length patched per exec
  p += 4;
  b[p++] = 0; // unnamed portal
  p += b.write(stmtName, p);
  b[p++] = 0;
  b.writeInt16BE(0, p); // no parameter format codes: all text
  b.writeInt16BE(paramCount, p + 2);
  return b;
}

/**
 * One statement's reusable message buffer. `build()` returns a view of the internal buffer that
 * stays valid until the next `build()`; the caller must call `release()` when the socket still
 * holds the bytes (writableLength > 0), so the next build writes into a fresh buffer.
 */
export class StatementWriter {
  private buf: Buffer;
  /** Bytes of the constant prefix (Parse for -M extended, then the Bind header; or nothing for simple). */
  private readonly prefix: Buffer;
  /** Offset of the Bind message inside the prefix (its length field is patched per exec). */
  private readonly bindAt: number;
  private readonly simpleParts: readonly Buffer[] | undefined;
  /** Views of `buf` by length less `viewBase` (see view()); emptied whenever `buf` is replaced. */
  private views: (Buffer | undefined)[] = [];
  /** The shortest message this statement can build: every parameter empty, no Describe. */
  private readonly viewBase: number;

  constructor(
    spec: StatementSpec,
    readonly protocol: Protocol,
    stmtName: string,
  ) {
    const paramCount = spec.parts.length - 1;
    if (protocol === 'simple') {
      this.simpleParts = spec.parts.map((s) => Buffer.from(s, 'utf8'));
      this.prefix = Buffer.alloc(5); // 'Q' + length
      this.prefix[0] = 0x51;
      this.bindAt = 0;
      this.viewBase = 5 + this.simpleParts.reduce((n, b) => n + b.length, 0) + 1;
    } else {
      const header = bindHeader(protocol === 'prepared' ? stmtName : '', paramCount);
      const parse = protocol === 'extended' ? parseMessage('', placeholderSql(spec)) : Buffer.alloc(0);
      this.prefix = Buffer.concat([parse, header]);
      this.bindAt = parse.length;
      this.simpleParts = undefined;
      // Each parameter's length word, the result format count, Execute, Sync.
      this.viewBase = this.prefix.length + 4 * paramCount + 2 + 10 + 5;
    }
    this.buf = Buffer.allocUnsafe(Math.max(256, this.prefix.length * 2 + 128));
    this.prefix.copy(this.buf, 0);
  }

  /** The socket kept the last buffer: continue in a fresh one (rare; only when writes queue). */
  release(): void {
    const fresh = Buffer.allocUnsafe(this.buf.length);
    this.prefix.copy(fresh, 0);
    this.buf = fresh;
    this.views = [];
  }

  /** Grow to at least `need` bytes, keeping the `used` bytes written so far. */
  private grow(need: number, used: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, used);
    this.buf = b;
    this.views = [];
  }

  /** Write the whole exec (Bind/Describe/Execute/Sync, or Query) and return the bytes to send. */
  build(params: readonly Param[], wantsRows: boolean): Buffer {
    if (this.simpleParts !== undefined) return this.buildSimple(params, this.simpleParts);
    let p = this.prefix.length;
    const n = params.length;
    for (let i = 0; i < n; i++) p = this.writeParam(params[i] ?? null, p, true);
    // Tail: result format count 0 (text), [Describe portal], Execute "" 0, Sync. Byte by byte:
    // a Buffer.copy of 21 bytes costs more than the stores (native call).
    if (p + 32 > this.buf.length) this.grow(p + 32, p);
    const b = this.buf;
    b[p++] = 0;
    b[p++] = 0;
    writeLen(b, this.bindAt + 1, p - this.bindAt - 1);
    if (wantsRows) {
      b[p++] = 0x44; // 'D'
      b[p++] = 0;
      b[p++] = 0;
      b[p++] = 0;
      b[p++] = 6;
      b[p++] = 0x50; // 'P'ortal
      b[p++] = 0;
    }
    b[p++] = 0x45; // 'E'
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = 9;
    b[p++] = 0; // unnamed portal
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = 0; // no row limit
    b[p++] = 0x53; // 'S'
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = 0;
    b[p++] = 4;
    return this.view(p);
  }

  /**
   * buf[0..len) as a Buffer. Views are cached by length: with integer parameters the message length
   * takes only a few values, and a subarray per exec was the writer's largest cost (~40% of build()).
   * They are indexed from the statement's shortest message, not from 0: an array indexed by the
   * whole length held ~730 bytes of holes per statement of every session (1.3 MiB per worker at
   * tpcb-like -c 500, in a heap snapshot).
   */
  private view(len: number): Buffer {
    const i = len - this.viewBase;
    if (i < VIEW_SPAN) {
      const cached = this.views[i];
      if (cached !== undefined) return cached;
      return (this.views[i] = this.buf.subarray(0, len));
    }
    return this.buf.subarray(0, len);
  }

  /** pgbench -M simple: the parameters' text is substituted as is (no quoting), like pgbench. */
  private buildSimple(params: readonly Param[], parts: readonly Buffer[]): Buffer {
    let p = 5;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Buffer;
      if (p + part.length + 1 > this.buf.length) this.grow(p + part.length + 1, p);
      p += part.copy(this.buf, p);
      if (i < params.length) p = this.writeParam(params[i] ?? null, p, false);
    }
    if (p + 1 > this.buf.length) this.grow(p + 1, p);
    this.buf[p++] = 0;
    writeLen(this.buf, 1, p - 1);
    return this.view(p);
  }

  /** Write one parameter at `p` (with its int32 length when `framed`); return the new offset. */
  private writeParam(v: Param, p: number, framed: boolean): number {
    const lenAt = p;
    if (framed) p += 4;
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      if (p + 24 > this.buf.length) this.grow(p + 24, p);
      p = writeInt(this.buf, p, v);
    } else if (typeof v === 'string') {
      // Worst case 3 bytes per UTF-16 unit; avoids Buffer.byteLength on the hot path.
      const need = p + v.length * 3;
      if (need > this.buf.length) this.grow(need, p);
      p += this.buf.write(v, p);
    } else if (v === null) {
      if (framed) {
        if (p > this.buf.length) this.grow(p + 8, p);
        writeLen(this.buf, lenAt, -1);
        return p;
      }
      if (p + 4 > this.buf.length) this.grow(p + 8, p);
      p += this.buf.write('NULL', p, 'latin1');
    } else {
      const s = String(v); // bigint, or a non-integer number (not expected: doubles arrive as strings)
      if (p + s.length > this.buf.length) this.grow(p + s.length + 8, p);
      p += this.buf.write(s, p, 'latin1');
    }
    if (framed) writeLen(this.buf, lenAt, p - lenAt - 4);
    return p;
  }
}

function writeLen(b: Buffer, at: number, n: number): void {
  b[at] = (n >>> 24) & 0xff;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}

/** ASCII digits of a safe integer, straight into the buffer (no string allocation). */
function writeInt(b: Buffer, p: number, v: number): number {
  if (v < 0) {
    b[p++] = 0x2d; // '-'
    v = -v;
  }
  if (v < 10) {
    b[p++] = 0x30 + v;
    return p;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  let q = p + digits;
  const end = q;
  while (v >= 10) {
    const next = Math.floor(v / 10);
    b[--q] = 0x30 + (v - next * 10);
    v = next;
  }
  b[--q] = 0x30 + v;
  return end;
}
