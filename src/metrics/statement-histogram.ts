/**
 * Per-statement latency histograms, kept sparse: the same HDR buckets (1 µs to 1 h, 3 significant
 * digits, histogram.ts) and the same exact counts as a full histogram, but only the buckets that
 * hold something are stored, as sorted (bucket index, count) pairs.
 *
 * Why not hdr-histogram-js: one full histogram has 23,552 buckets (94 KB at 32 bits, 188 KB at 64),
 * which made a script of 5,000 statements take 1.6 GB. Its packed arrays are small (1.5–3.5 KB) but
 * every whole-histogram operation walks all 23,552 buckets: measured with hdr-histogram-js 3.0.1 on
 * the 2-core machine, for a histogram of 5 values, encode (WASM, packed) 253 µs, decode (JS, packed)
 * 1.1 ms, decode + add into a packed histogram 9 ms; for 550,000 statements that is minutes per
 * interval. Here a statement costs its object and its pairs (about 0.2 KB with a few buckets) and
 * every operation is proportional to the buckets in use. The bucket arithmetic itself is still HDR's:
 * it is asked of one reference histogram (`BUCKETS`), so the buckets cannot drift from the others'.
 *
 * Figures read from it (percentiles, mean, min, max) are computed as hdr-histogram-js computes them
 * on a histogram decoded from the same counts, so a statement's figures are the same whichever way
 * its counts arrived (recorded here, or merged from another process's encoded histogram).
 */
import { newHistogram, type Histogram } from './histogram.js';

/** HDR's bucket arithmetic, present on every JsHistogram but missing from its typings. */
interface BucketMath {
  countsArrayIndex(value: number): number;
  valueFromIndex(index: number): number;
  lowestEquivalentValue(value: number): number;
  highestEquivalentValue(value: number): number;
  medianEquivalentValue(value: number): number;
  getCountAtIndex(index: number): number;
  readonly countsArrayLength: number;
}

const math = (h: Histogram): BucketMath => h as unknown as BucketMath;

/** The reference histogram whose buckets every statement histogram uses (never recorded into). */
const BUCKETS = math(newHistogram('total'));

/** JavaScript has no `Math.ulp`; HDR's percentile rounding uses this one (hdr-histogram-js ulp.js). */
function ulp(x: number): number {
  return Math.pow(2, Math.floor(Math.log2(Math.abs(x))) - 52);
}

export class StatementHistogram {
  /** Sorted by bucket index: [index0, count0, index1, count1, ...]. */
  private pairs: number[] = [];
  totalCount = 0;

  /** Adds one value (µs, already clamped into the histogram's range). */
  recordValue(us: number): void {
    this.addAtIndex(BUCKETS.countsArrayIndex(us), 1);
  }

  /** Adds every count of a full histogram (one decoded from another process's snapshot). */
  addHistogram(h: Histogram): void {
    if (h.totalCount === 0) return;
    const m = math(h);
    const last = m.countsArrayIndex(h.maxValue);
    for (let i = 0; i <= last; i++) {
      const c = m.getCountAtIndex(i);
      if (c > 0) this.addAtIndex(i, c);
    }
  }

  /** Adds another statement histogram's counts. */
  add(other: StatementHistogram): void {
    const p = other.pairs;
    for (let k = 0; k < p.length; k += 2) this.addAtIndex(p[k]!, p[k + 1]!);
  }

  /** The counts as a full histogram (64-bit buckets), e.g. to encode them: allocates 188 KB, use once. */
  toHistogram(): Histogram {
    const h = newHistogram('total');
    const p = this.pairs;
    for (let k = 0; k < p.length; k += 2) h.recordValueWithCount(BUCKETS.valueFromIndex(p[k]!), p[k + 1]!);
    return h;
  }

  /** Buckets in use. */
  get buckets(): number {
    return this.pairs.length / 2;
  }

  /** As hdr-histogram-js's getValueAtPercentile on the same counts. */
  getValueAtPercentile(percentile: number): number {
    if (this.totalCount === 0) return 0;
    const requested = Math.min(percentile, 100);
    const fpCount = (requested / 100) * this.totalCount;
    const countAt = Math.max(Math.ceil(fpCount - ulp(fpCount)), 1);
    const p = this.pairs;
    let seen = 0;
    for (let k = 0; k < p.length; k += 2) {
      seen += p[k + 1]!;
      if (seen >= countAt) {
        const v = BUCKETS.valueFromIndex(p[k]!);
        return percentile === 0 ? BUCKETS.lowestEquivalentValue(v) : BUCKETS.highestEquivalentValue(v);
      }
    }
    return 0;
  }

  /** As hdr-histogram-js's `mean` on the same counts (each bucket at its median value). */
  get mean(): number {
    if (this.totalCount === 0) return 0;
    const p = this.pairs;
    let sum = 0;
    for (let k = 0; k < p.length; k += 2) sum += BUCKETS.medianEquivalentValue(BUCKETS.valueFromIndex(p[k]!)) * p[k + 1]!;
    return sum / this.totalCount;
  }

  /** As `maxValue` of a histogram decoded from the same counts: the top of the highest bucket in use. */
  get maxValue(): number {
    const p = this.pairs;
    return p.length === 0 ? 0 : BUCKETS.highestEquivalentValue(BUCKETS.valueFromIndex(p[p.length - 2]!));
  }

  private addAtIndex(index: number, count: number): void {
    const p = this.pairs;
    this.totalCount += count;
    // Binary search over the pairs; values of one statement mostly fall into few buckets.
    let lo = 0;
    let hi = p.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid * 2]! < index) lo = mid + 1;
      else hi = mid;
    }
    const at = lo * 2;
    if (at < p.length && p[at] === index) p[at + 1]! += count;
    else p.splice(at, 0, index, count);
  }
}
