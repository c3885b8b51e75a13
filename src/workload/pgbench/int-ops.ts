/**
 * int64 arithmetic with pgbench's overflow errors. Fast path on safe-integer numbers; BigInt
 * only when a result leaves ±2^53 (checked against int64, then normalised back when it fits).
 */
import { ScriptError, fromBig, wrapInt64, type Int } from './values.js';

const INT64_MIN = -(2n ** 63n);

/** -0 never appears in an int: pgbench's ints have no negative zero. */
const z = (r: number): number => (r === 0 ? 0 : r);

export function intAdd(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  return fromBig(BigInt(a) + BigInt(b), 'add');
}

export function intSub(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (Number.isSafeInteger(r)) return r;
  }
  return fromBig(BigInt(a) - BigInt(b), 'sub');
}

export function intMul(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    // an exact product below 2^53 is computed exactly; anything else takes the BigInt path
    if (Number.isSafeInteger(r)) return z(r);
  }
  return fromBig(BigInt(a) * BigInt(b), 'mul');
}

/** Integer division and modulo, truncating toward zero like C. */
export function intDivMod(a: Int, b: Int, isDiv: boolean): Int {
  if (b === 0) throw new ScriptError('division by zero');
  if (b === -1) {
    if (!isDiv) return 0;
    if (typeof a === 'bigint' && a === INT64_MIN) throw new ScriptError('bigint div out of range');
    return typeof a === 'number' ? z(-a) : fromBig(-a, 'div');
  }
  if (typeof a === 'number' && typeof b === 'number') {
    const rem = a % b; // exact for safe integers
    return isDiv ? z((a - rem) / b) : z(rem);
  }
  const ba = BigInt(a);
  const bb = BigInt(b);
  return fromBig(isDiv ? ba / bb : ba % bb, 'div');
}

const isInt32 = (x: Int): x is number => typeof x === 'number' && (x | 0) === x;

export function intBit(op: '&' | '|' | '#', a: Int, b: Int): Int {
  if (isInt32(a) && isInt32(b)) {
    // int32 two's complement sign-extends to the same int64 result
    return op === '&' ? a & b : op === '|' ? a | b : a ^ b;
  }
  const ba = BigInt(a);
  const bb = BigInt(b);
  return wrapInt64(op === '&' ? ba & bb : op === '|' ? ba | bb : ba ^ bb);
}

/** Shifts: C leaves counts outside [0, 63] undefined; x86-64 (where pgbench runs) masks them. */
export function intShift(left: boolean, a: Int, b: Int): Int {
  const count = BigInt.asUintN(6, BigInt(b));
  const ba = BigInt(a);
  return wrapInt64(left ? ba << count : ba >> count);
}

/** abs(): C's `i < 0 ? -i : i`, so abs(INT64_MIN) wraps to itself. */
export function intAbs(a: Int): Int {
  if (typeof a === 'number') return Math.abs(a);
  return wrapInt64(a < 0n ? -a : a);
}
