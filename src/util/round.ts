/** `x` rounded to `digits` decimal places (half up, like Math.round). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
