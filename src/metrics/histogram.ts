/**
 * HDR histogram settings and helpers shared by the recorder (worker threads) and the aggregator
 * (main thread). All recorded values are integer microseconds.
 *
 * JS or WebAssembly? bench/recorder.ts times a whole `Recorder.txnOk` (3 records + counters) in
 * the real call pattern: WASM ~90–150 ns, JS ~440–670 ns (2-core machine, Node 20, busy with other
 * work, so absolute figures are noisy; the ratio held in every run). The JS implementation computes
 * bucket indexes with Math.log2/pow on doubles, which V8 does not keep cheap once several
 * histograms share the call sites; a bare monomorphic JS loop can look as fast as WASM (~25 ns),
 * which is why the choice is made on the Recorder benchmark. ~0.5 µs would be 4 % of the ~12 µs
 * client CPU per transaction, so the hot-path recorder uses WASM (initialised synchronously on
 * first use, so constructors stay synchronous). The aggregator (main thread, once per interval)
 * uses JS histograms: no manual destroy(), 64-bit buckets.
 */
import { builder, byteBuffer, encoding, jsHistogram, wasm, zigZag } from '../vendor/hdr-histogram.js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** DESIGN.md: 1 µs to 1 h, 3 significant digits. Values outside are clamped (see clampUs). */
const LOWEST_US = 1;
const HIGHEST_US = 3_600_000_000;
const SIGNIFICANT_DIGITS = 3;

/**
 * A histogram for the hot path (32-bit buckets: one interval of one worker cannot reach 2^31 in a
 * bucket) or for cumulative totals (64-bit buckets: long runs at high rates can).
 */
export function newHistogram(kind: 'interval' | 'total' = 'interval', useWebAssembly = false): Histogram {
  // Synchronous compile of a small module: fine in Node (browsers limit it on the main thread).
  if (useWebAssembly) wasm.initWebAssemblySync();
  return builder.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: false,
    bitBucketSize: kind === 'total' ? 64 : 32,
    useWebAssembly,
  });
}

/**
 * Clamp into the histogram's range. 0 is kept (HDR records it exactly): a closed-loop schedule lag
 * is usually 0 µs and must not be reported as 1 µs. Negative values (clocks of two threads a hair
 * apart) become 0; anything beyond 1 h becomes 1 h.
 */
export function clampUs(us: number): number {
  return us < 0 ? 0 : us > HIGHEST_US ? HIGHEST_US : us;
}

/** Encoded form used in snapshots and in the result file; '' stands for an empty histogram. */
export function encodeHistogram(h: Histogram): string {
  return h.totalCount === 0 ? '' : encoding.encodeIntoCompressedBase64(h);
}

/** Decodes (64-bit buckets, so result-file histograms with large counts decode too). */
export function decodeHistogram(encoded: string): Histogram {
  return encoded === '' ? newHistogram('total') : encoding.decodeFromCompressedBase64(encoded, 64);
}

/**
 * An interval histogram on its way from a worker to the main thread: HDR's uncompressed encoding,
 * null when empty. Not the compressed base64 of result files: a worker encodes its histograms once
 * per interval, in code that runs too rarely for V8 to compile, and compressing there took ~5 ms
 * per snapshot, a pause of the worker's event loop that showed up as schedule lag every interval.
 * The uncompressed encoding is made inside WebAssembly: 0.14 ms cold against 2.3 ms for the
 * compressed one, for one histogram of 20,000 values (measured with hdr-histogram-js 3.0.1).
 */
export type HistogramBytes = Uint8Array | null;

// Both exist in hdr-histogram-js 3.0.1 (every histogram's encode(), JsHistogram.decode) but are
// missing from its typings.
interface Encodable {
  encode(): Uint8Array;
}
const decoder = jsHistogram.JsHistogram as unknown as { decode(bytes: Uint8Array, bitBucketSize: 64): Histogram };

export function histogramBytes(h: Histogram): HistogramBytes {
  return h.totalCount === 0 ? null : (h as unknown as Encodable).encode();
}

/** HDR's V2 compressed encoding starts with this cookie (word-size bits masked out); the plain one with …03. */
const COMPRESSED_COOKIE = 0x1c849304;
const PLAIN_COOKIE = 0x1c849303;

/**
 * Decodes HDR bytes: the plain encoding a worker sends, or the compressed one of result files (as
 * bytes, not base64), which snapshots read back from a file carry (src/distributed).
 */
export function decodeBytes(bytes: Uint8Array): Histogram {
  const cookie = bytes.length >= 4 ? ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) & ~0xf0 : 0;
  if (cookie === COMPRESSED_COOKIE)
    return encoding.decodeFromCompressedBase64(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), 64);
  return decoder.decode(bytes, 64);
}

/** A histogram in the compressed encoding, as bytes (null when empty): what snapshots kept for long carry. */
export function compressedBytes(h: Histogram): HistogramBytes {
  return h.totalCount === 0 ? null : new Uint8Array(Buffer.from(encoding.encodeIntoCompressedBase64(h), 'base64'));
}

/** What decodeInto needs of a JS histogram beyond the typings (all in hdr-histogram-js 3.0.1's JsHistogram). */
interface Fillable {
  reset(): void;
  setCountAtIndex(index: number, count: number): void;
  establishInternalTackingValues(lengthToCover: number): void;
}

/**
 * Decodes into `into` (64-bit buckets, newHistogram('total')), which it resets first, and returns it:
 * decodeBytes without a new histogram per call. The main thread decodes every histogram of every
 * worker's snapshot once an interval (3 per transaction type and one per statement), and each
 * decodeBytes allocated 184 KiB of counts: at tpcb-like -c 500 -j 2, 24 a second, so the main
 * thread's array buffers swung between 1.7 and 6.4 MiB between collections. The steps are
 * JsHistogram.decode's (hdr-histogram-js 3.0.1, JsHistogram.encoding.js) with its ByteBuffer and
 * ZigZagEncoding, for the plain V2 encoding of a histogram of pgsurge's settings; anything else
 * takes decodeBytes.
 */
export function decodeInto(into: Histogram, bytes: Uint8Array): Histogram {
  const target = into as unknown as Fillable;
  target.reset();
  const buf = new byteBuffer.default(bytes);
  const cookie = buf.getInt32();
  if ((cookie & ~0xf0) !== PLAIN_COOKIE) {
    into.add(decodeBytes(bytes));
    return into;
  }
  const payloadLength = buf.getInt32();
  buf.getInt32(); // normalizingIndexOffset, unused (as in hdr-histogram-js)
  const digits = buf.getInt32();
  const lowest = buf.getInt64();
  const highest = buf.getInt64();
  buf.getInt64(); // integerToDoubleValueConversionRatio, unused
  if (digits !== SIGNIFICANT_DIGITS || lowest !== LOWEST_US || highest !== HIGHEST_US) {
    into.add(decodeBytes(bytes));
    return into;
  }
  const end = buf.position + payloadLength;
  let index = 0;
  while (buf.position < end) {
    const count = zigZag.default.decode(buf);
    if (count < 0)
      index -= count; // a run of -count empty buckets
    else target.setCountAtIndex(index++, count);
  }
  target.establishInternalTackingValues(index);
  return into;
}

/** µs → ms with µs resolution (3 decimals), as the result file wants it. */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/** What percentiles are read from: a full histogram or a statement's sparse one (statement-histogram.ts). */
export type PercentileSource = Pick<Histogram, 'totalCount' | 'maxValue' | 'mean' | 'getValueAtPercentile'>;

/**
 * A percentile in µs, clamped to the exact maximum when one is known: HDR reports the highest
 * value equivalent to a bucket (up to 0.1 % above the true value), and a p99 above max would
 * confuse every reader.
 */
export function percentileUs(h: PercentileSource, percentile: number, exactMaxUs = Infinity): number {
  if (h.totalCount === 0) return 0;
  return Math.min(h.getValueAtPercentile(percentile), exactMaxUs);
}
