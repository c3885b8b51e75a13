/**
 * PostgreSQL's pg_prng (src/common/pg_prng.c): xoroshiro128** 1.0 seeded through splitmix64.
 *
 * The 128-bit state lives in four uint32 halves so the hot path (random() in every transaction)
 * runs on plain numbers: no BigInt, no allocation. BigInt is used only for seeding and for ranges
 * of 2^53 or more, which no real script hits per transaction.
 */

const TWO_32 = 4294967296;
const TWO_20 = 1048576;
const TWO_M52 = 2 ** -52;
const U64 = (1n << 64n) - 1n;

export class Prng {
  private h0 = 0;
  private l0 = 0;
  private h1 = 0;
  private l1 = 0;
  /** The last 64-bit output, as two uint32 halves (avoids returning an object). */
  private outHi = 0;
  private outLo = 0;

  constructor(seed: bigint) {
    this.seed(seed);
  }

  /** pg_prng_seed: two splitmix64 outputs, never all zero. */
  seed(seed: bigint): void {
    let state = BigInt.asUintN(64, seed);
    const next = (): bigint => {
      state = (state + 0x9e3779b97f4a7c15n) & U64;
      let v = state;
      v = ((v ^ (v >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
      v = ((v ^ (v >> 27n)) * 0x94d049bb133111ebn) & U64;
      return v ^ (v >> 31n);
    };
    const s0 = next();
    const s1 = next();
    this.h0 = Number(s0 >> 32n);
    this.l0 = Number(s0 & 0xffffffffn);
    this.h1 = Number(s1 >> 32n);
    this.l1 = Number(s1 & 0xffffffffn);
    if (this.h0 === 0 && this.l0 === 0 && this.h1 === 0 && this.l1 === 0) {
      // pg_prng_seed_check: Knuth's LCG constants
      this.h0 = 0x5851f42d;
      this.l0 = 0x4c957f2d;
      this.h1 = 0x14057b7e;
      this.l1 = 0xf767814f;
    }
  }

  /** Saved state for retries: four numbers copied into `into` (no allocation). */
  save(into: Uint32Array): void {
    into[0] = this.h0;
    into[1] = this.l0;
    into[2] = this.h1;
    into[3] = this.l1;
  }

  restore(from: Uint32Array): void {
    this.h0 = from[0] ?? 0;
    this.l0 = from[1] ?? 0;
    this.h1 = from[2] ?? 0;
    this.l1 = from[3] ?? 0;
  }

  /** One xoroshiro128** step; the output is left in outHi/outLo. */
  private step(): void {
    const h0 = this.h0;
    const l0 = this.l0;
    const hx = (this.h1 ^ h0) >>> 0;
    const lx = (this.l1 ^ l0) >>> 0;
    // val = rotl(s0 * 5, 7) * 9
    let p = l0 * 5;
    let lo = p >>> 0;
    let hi = (h0 * 5 + Math.floor(p / TWO_32)) >>> 0;
    const rh = ((hi << 7) | (lo >>> 25)) >>> 0;
    const rl = ((lo << 7) | (hi >>> 25)) >>> 0;
    p = rl * 9;
    lo = p >>> 0;
    hi = (rh * 9 + Math.floor(p / TWO_32)) >>> 0;
    this.outHi = hi;
    this.outLo = lo;
    // s0 = rotl(s0, 24) ^ sx ^ (sx << 16)
    const r24h = ((h0 << 24) | (l0 >>> 8)) >>> 0;
    const r24l = ((l0 << 24) | (h0 >>> 8)) >>> 0;
    this.h0 = (r24h ^ hx ^ ((hx << 16) | (lx >>> 16))) >>> 0;
    this.l0 = (r24l ^ lx ^ (lx << 16)) >>> 0;
    // s1 = rotl(sx, 37) = halves swapped, then rotl 5
    this.h1 = ((lx << 5) | (hx >>> 27)) >>> 0;
    this.l1 = ((hx << 5) | (lx >>> 27)) >>> 0;
  }

  /** pg_prng_uint64 as a BigInt (set-up and rare paths only). */
  uint64(): bigint {
    this.step();
    return (BigInt(this.outHi) << 32n) | BigInt(this.outLo);
  }

  /** pg_prng_double: uniform in [0, 1) from the top 52 bits. */
  double(): number {
    this.step();
    return (this.outHi * TWO_20 + (this.outLo >>> 12)) * TWO_M52;
  }

  /**
   * pg_prng_uint64_range(0, range) for 0 <= range < 2^53: bitmask rejection on the top bits,
   * exactly like PostgreSQL, so the same seed yields the same values. No draw when range is 0.
   */
  offset(range: number): number {
    if (range <= 0) return 0;
    const pos = range >= TWO_32 ? 63 - Math.clz32(Math.floor(range / TWO_32)) : 31 - Math.clz32(range);
    const rshift = 63 - pos;
    let val: number;
    do {
      this.step();
      val = rshift >= 32 ? this.outHi >>> (rshift - 32) : this.outHi * 2 ** (32 - rshift) + (this.outLo >>> rshift);
    } while (val > range);
    return val;
  }

  /** pg_prng_uint64_range(0, range) for any uint64 range (BigInt path). */
  offsetBig(range: bigint): bigint {
    if (range <= 0n) return 0n;
    const rshift = BigInt(64 - range.toString(2).length);
    let val: bigint;
    do {
      val = this.uint64() >> rshift;
    } while (val > range);
    return val;
  }
}

/** pgbench's initRandomState: client i's stream is seeded by the i-th draw of the base sequence. */
export function clientSeed(randomSeed: bigint, clientId: number): bigint {
  const base = new Prng(randomSeed);
  let seed = 0n;
  for (let i = 0; i <= clientId; i++) seed = base.uint64();
  return seed;
}

/**
 * pgbench's :default_seed: the draw after the per-client seeds, so it depends on the client count.
 * With `clients` equal to pgbench's -c, the value is the one pgbench uses for the same seed.
 */
export function pgbenchDefaultSeed(randomSeed: bigint, clients: number): bigint {
  return BigInt.asIntN(64, clientSeed(randomSeed, clients));
}
