/**
 * pgbench's random distributions and deterministic hash/permute functions (pgbench.c), ported
 * so that the same seed gives exactly pgbench's values.
 */
import { Prng } from './prng.js';
import { ScriptError, fromBig, wrapInt64, type Int } from './values.js';

export const MIN_GAUSSIAN_PARAM = 2.0;
export const MIN_ZIPFIAN_PARAM = 1.001;
export const MAX_ZIPFIAN_PARAM = 1000.0;

const INT64_MAX = 2n ** 63n - 1n;
const SAFE_RANGE = 2 ** 53;

/** The random() argument checks shared by all distributions; returns max - min + 1 as a double. */
export function checkRange(min: Int, max: Int): void {
  if (min > max) throw new ScriptError('empty range given to random');
  if (typeof min === 'bigint' || typeof max === 'bigint') {
    if (BigInt(max) - BigInt(min) + 1n > INT64_MAX) throw new ScriptError('random range is too large');
  }
}

/** getrand: uniform in [min, max]. */
export function getrand(rng: Prng, min: Int, max: Int): Int {
  if (typeof min === 'number' && typeof max === 'number') {
    const range = max - min;
    if (range < SAFE_RANGE) {
      const r = min + rng.offset(range);
      if (Number.isSafeInteger(r)) return r;
      return fromBig(BigInt(min) + BigInt(r - min), 'random');
    }
  }
  const bmin = BigInt(min);
  const off = rng.offsetBig(BigInt.asUintN(64, BigInt(max) - bmin));
  return wrapInt64(bmin + off);
}

/** `min + (int64) ((max - min + 1) * rand)` in pgbench's double arithmetic. */
function scaleInto(min: Int, max: Int, rand: number): Int {
  if (typeof min === 'number' && typeof max === 'number' && max - min < SAFE_RANGE) {
    return min + Math.trunc((max - min + 1) * rand);
  }
  const width = Number(BigInt(max) - BigInt(min) + 1n);
  return fromBig(BigInt(min) + BigInt(Math.trunc(width * rand)), 'random');
}

export function getExponentialRand(rng: Prng, min: Int, max: Int, parameter: number): Int {
  const cut = Math.exp(-parameter);
  const uniform = 1.0 - rng.double();
  const rand = -Math.log(cut + (1.0 - cut) * uniform) / parameter;
  return scaleInto(min, max, rand);
}

export function getGaussianRand(rng: Prng, min: Int, max: Int, parameter: number): Int {
  let stdev: number;
  do {
    // pg_prng_double_normal: Box-Muller on (0, 1]
    const u1 = 1.0 - rng.double();
    const u2 = 1.0 - rng.double();
    stdev = Math.sqrt(-2.0 * Math.log(u1)) * Math.sin(2.0 * Math.PI * u2);
  } while (stdev < -parameter || stdev >= parameter);
  const rand = (stdev + parameter) / (parameter * 2.0);
  return scaleInto(min, max, rand);
}

/** computeIterativeZipfian (Devroye's rejection method), s > 1. */
function computeIterativeZipfian(rng: Prng, n: number, s: number): number {
  const b = Math.pow(2.0, s - 1.0);
  if (n <= 1) return 1;
  for (;;) {
    const u = rng.double();
    const v = rng.double();
    const x = Math.floor(Math.pow(u, -1.0 / (s - 1.0)));
    const t = Math.pow(1.0 + 1.0 / x, s - 1.0);
    if ((v * x * (t - 1.0)) / (b - 1.0) <= t / b && x <= n) return x;
  }
}

export function getZipfianRand(rng: Prng, min: Int, max: Int, s: number): Int {
  // max - min + 1 as a double: exact in number arithmetic for safe integers less than 2^53 apart.
  // (ModuleRandom passes any numbers: others keep the BigInt path, and its RangeError.)
  const n =
    typeof min === 'number' && typeof max === 'number' && Number.isSafeInteger(min) && Number.isSafeInteger(max) && max - min < SAFE_RANGE
      ? max - min + 1
      : Number(BigInt(max) - BigInt(min) + 1n);
  const x = computeIterativeZipfian(rng, n, s);
  if (typeof min === 'number' && Number.isSafeInteger(min - 1 + x)) return min - 1 + x;
  return fromBig(BigInt(min) - 1n + BigInt(x), 'random');
}

const FNV_PRIME = 0x100000001b3n;
const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const MM2_MUL = 0xc6a4a7935bd1e995n;
const MM2_MUL_TIMES_8 = 0x35253c9ade8f4ca8n;
const MM2_ROT = 47n;
const U64 = (1n << 64n) - 1n;

export function hashFnv1a(value: Int, seed: Int): Int {
  let val = BigInt.asIntN(64, BigInt(value));
  let result = BigInt.asIntN(64, FNV_OFFSET_BASIS ^ BigInt.asUintN(64, BigInt(seed)));
  for (let i = 0; i < 8; i++) {
    const octet = val & 0xffn;
    val = val >> 8n; // arithmetic shift, as on int64
    result = BigInt.asIntN(64, (result ^ octet) * FNV_PRIME);
  }
  return wrapInt64(result);
}

export function hashMurmur2(value: Int, seed: Int): Int {
  let result = BigInt.asUintN(64, BigInt(seed)) ^ MM2_MUL_TIMES_8;
  let k = BigInt.asUintN(64, BigInt(value));
  k = (k * MM2_MUL) & U64;
  k ^= k >> MM2_ROT;
  k = (k * MM2_MUL) & U64;
  result ^= k;
  result = (result * MM2_MUL) & U64;
  result ^= result >> MM2_ROT;
  result = (result * MM2_MUL) & U64;
  result ^= result >> MM2_ROT;
  return wrapInt64(result);
}

/** permute(): the pseudorandom permutation of [0, size), seeded by `seed`. */
export function permute(value: Int, isize: Int, seed: Int): Int {
  if (isize < 2) return 0;
  const state = new Prng(BigInt.asUintN(64, BigInt(seed)));
  const size = BigInt(isize);
  let v = BigInt.asUintN(64, BigInt(value)) % size;
  const masklen = BigInt(size.toString(2).length - 1);
  const mask = (1n << masklen) - 1n;
  for (let i = 0; i < 6; i++) {
    let m = (state.uint64() & mask) | 1n;
    let r = state.uint64() & mask;
    if (v <= mask) {
      v = ((v * m) ^ r) & mask;
      v = ((v << 1n) & mask) | (v >> (masklen - 1n));
    }
    m = (state.uint64() & mask) | 1n;
    r = state.uint64() & mask;
    let t = size - 1n - v;
    if (t <= mask) {
      t = ((t * m) ^ r) & mask;
      t = ((t << 1n) & mask) | (t >> (masklen - 1n));
      v = size - 1n - t;
    }
    r = state.offsetBig(size - 1n);
    v = (v + r) % size;
  }
  return fromBig(v, 'permute');
}
