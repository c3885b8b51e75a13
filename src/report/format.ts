/** Number formats of the text and HTML reports: fixed digits, no locale surprises. */

/** Milliseconds with µs resolution, or "-" when nothing was measured. */
export function fmtMs(v: number | null): string {
  return v === null ? '-' : v.toFixed(3);
}

/** 1234567.8 → "1,234,567.8" (fixed digits, no locale surprises). */
export function fmtNum(v: number, digits = 0): string {
  const [int = '0', frac] = Math.abs(v).toFixed(digits).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (v < 0 ? '-' : '') + grouped + (frac === undefined ? '' : `.${frac}`);
}

export function fmtPct(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 100_000) / 1000}%`;
}
