/**
 * pgbench's value model (PgBenchValue) in JavaScript terms:
 *   int     → number (safe integer) or bigint (int64 outside ±2^53; normalised back when it fits)
 *   double  → Dbl (a box, so a double that happens to be integral is never taken for an int)
 *   boolean → boolean, NULL → null.
 * Variables may also hold unparsed text (from -D or \gset) as a JS string; it becomes a value
 * only when an expression reads it (makeVariableValue), and is substituted into SQL verbatim.
 */
import { printable } from './printable.js';

export class Dbl {
  constructor(readonly v: number) {}
}

export type Int = number | bigint;
export type Value = Int | Dbl | boolean | null;
/** What a variable slot holds: a value, unparsed text, or undefined (never set). */
export type VarContent = Value | string | undefined;

/** A runtime failure of the script; the runner turns it into StepKind.Error. */
export class ScriptError extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A BigInt result, checked against int64 and normalised to a number when safe. */
export function fromBig(v: bigint, what: string): Int {
  if (v < INT64_MIN || v > INT64_MAX) throw new ScriptError(`bigint ${what} out of range`);
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Wrap an int64 bit pattern (hash results) without a range error. */
export function wrapInt64(v: bigint): Int {
  return fromBig(BigInt.asIntN(64, v), 'wrap');
}

export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof Dbl) return 'double';
  return 'int';
}

export function toBool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  throw new ScriptError(`cannot coerce ${typeName(v)} to boolean`);
}

/** valueTruth: the truth of an \if condition (NULL and 0 are false). */
export function truth(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (v instanceof Dbl) return v.v !== 0;
  return typeof v === 'number' ? v !== 0 : v !== 0n;
}

/** coerceToInt: doubles are rounded half to even (rint), then range-checked. */
export function toInt(v: Value): Int {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof Dbl) {
    const r = rint(v.v);
    if (Number.isNaN(r) || r < -9223372036854775808 || r >= 9223372036854775808) {
      throw new ScriptError(`double to int overflow for ${formatFixed6(r)}`);
    }
    return Number.isSafeInteger(r) ? r : BigInt(r);
  }
  throw new ScriptError(`cannot coerce ${typeName(v)} to int`);
}

export function toDouble(v: Value): number {
  if (v instanceof Dbl) return v.v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new ScriptError(`cannot coerce ${typeName(v)} to double`);
}

/** C rint() in the default rounding mode: round half to even. */
function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** printf("%f") for error messages. */
export function formatFixed6(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  // toFixed switches to exponent notation from 1e21; %f never does
  return Math.abs(x) >= 1e21 ? `${BigInt(x).toString()}.000000` : x.toFixed(6);
}

/**
 * printf("%.15g") — how pgbench turns a double into text (DBL_DIG = 15). PostgreSQL's own
 * snprintf spells the special values NaN, Infinity and -Infinity.
 */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = x.toExponential(14);
  const e = exp.indexOf('e');
  const exponent = Number(exp.slice(e + 1));
  if (exponent < -4 || exponent >= 15) {
    const mantissa = trimZeros(exp.slice(0, e));
    const sign = exponent < 0 ? '-' : '+';
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return trimZeros(x.toFixed(14 - exponent));
}

function trimZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/** getVariable's text form of a value (what -M simple substitutes). */
export function valueToText(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Dbl) return formatDouble(v.v);
  return String(v);
}

const INT_RE = /^\s*[-+]?[0-9]+$/;
const DOUBLE_RE = /^\s*[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf(?:inity)?|nan)$/i;

/** makeVariableValue: interpret a variable's text (from -D or \gset) as a value. */
export function parseVarText(name: string, s: string): Value {
  const n = s.length;
  if (n === 0) throw new ScriptError(`malformed variable "${name}" value: ""`);
  const lower = s.toLowerCase();
  if (lower === 'null') return null;
  // pgbench accepts prefixes of true/yes/false/no (but not "o"), and on/off/of
  if ('true'.startsWith(lower) || 'yes'.startsWith(lower) || lower === 'on') return true;
  if ('false'.startsWith(lower) || 'no'.startsWith(lower) || lower === 'off' || lower === 'of') return false;
  if (INT_RE.test(s)) {
    const b = BigInt(s.trim());
    if (b < INT64_MIN || b > INT64_MAX) throw new ScriptError(`value "${printable(s)}" is out of range for type bigint`);
    return fromBig(b, 'value');
  }
  if (DOUBLE_RE.test(s)) {
    const t = s
      .trim()
      .toLowerCase()
      .replace(/^([-+]?)inf(inity)?$/, '$1Infinity');
    const d = t.endsWith('nan') ? NaN : Number(t);
    if (!Number.isFinite(d) && !Number.isNaN(d) && !/inf/i.test(s)) {
      throw new ScriptError(`value "${printable(s)}" is out of range for type double`);
    }
    return new Dbl(d);
  }
  throw new ScriptError(`malformed variable "${name}" value: "${printable(s)}"`);
}
