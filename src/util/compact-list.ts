/**
 * A list that grows by one entry per interval for a whole run (the timeline's intervals, the
 * server samples), kept as deflated JSON instead of live objects, and read back whole at the end.
 *
 * Why: as objects, a server sample (about 1.9 KB of JSON with pgbench's four tables) held about
 * 6 KiB of heap, and a 1-hour run's RSS grew by 21-24 MiB (bench/SOAK.md); deflated, an entry is a
 * few hundred bytes. Entries are plain JSON values; numbers JSON cannot hold (NaN, ±Infinity) come
 * back as they went in, and `undefined` properties are dropped, as a result file drops them.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const NON_FINITE = '\u0000nonfinite:';

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? NON_FINITE + String(value) : value;
}

function reviver(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.startsWith(NON_FINITE) ? Number(value.slice(NON_FINITE.length)) : value;
}

export class CompactList<T> {
  private readonly entries: Buffer[] = [];

  get length(): number {
    return this.entries.length;
  }

  push(value: T): void {
    this.entries.push(deflateRawSync(JSON.stringify(value, replacer)));
  }

  /** Entries `start` to `end` (exclusive), decoded: new objects on every call. */
  slice(start = 0, end = this.entries.length): T[] {
    return this.entries.slice(start, end).map((b) => JSON.parse(inflateRawSync(b).toString('utf8'), reviver) as T);
  }
}
