/** Command-line values of the benches. */

/** `v` as an integer ≥ `min`, or `dflt` when the option was not given; anything else is refused naming the option. */
export function intArg(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, got "${v}"`);
  return n;
}
