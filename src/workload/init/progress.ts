/**
 * The progress line of `pgsurge init`: one line, no newline, so a TTY can redraw it with "\r".
 * Example: "generate pgbench_accounts [##########..........]  50%  2.50M/5.00M rows  1.21M rows/s  ETA 2.1s"
 */

export interface InitProgress {
  /** Step name: "drop tables", "create tables", "generate (client-side)", ... */
  readonly step: string;
  readonly table: string;
  readonly rows: number;
  readonly totalRows: number;
  /** Seconds since the step began. */
  readonly elapsedS: number;
}

export interface FormatProgressOptions {
  /** Width of the bar in characters; default 20. */
  readonly barWidth?: number;
}

/** 1234 → "1.23k", 5000000 → "5.00M": three significant figures, as people read row counts. */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return String(Math.round(n));
  const units: readonly [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const v = n / size;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${unit}`;
    }
  }
  return String(n);
}

/**
 * Shortest time a load rate is computed over: below a millisecond (Date.now()'s resolution, and
 * what a step that loaded nothing takes) a quotient is noise, and a resumed step that skipped its
 * load would show its whole row count "loaded" in no time (a fake "1.00 G rows/s").
 */
const MIN_RATE_S = 0.001;

/**
 * Rows per second, over rows actually loaded and the time measured while loading them; null when
 * nothing was loaded (skipped, resumed, no data step) or the time is too short to divide by.
 */
export function rowRate(rowsLoaded: number, elapsedS: number): number | null {
  if (!(rowsLoaded > 0) || !(elapsedS >= MIN_RATE_S)) return null;
  return rowsLoaded / elapsedS;
}

/** Seconds as "12.3s", "4m05s", "1h02m". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s - m * 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m - h * 60).padStart(2, '0')}m`;
}

export function formatInitProgress(p: InitProgress, opts: FormatProgressOptions = {}): string {
  const label = p.table === '' ? p.step : `${p.step} ${p.table}`;
  // Steps without rows to count (drop, create, vacuum, keys) report once, when done.
  if (p.totalRows === 0) return `${label} done in ${formatDuration(p.elapsedS)}`;
  const width = opts.barWidth ?? 20;
  const fraction = p.totalRows > 0 ? Math.min(1, Math.max(0, p.rows / p.totalRows)) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const rate = rowRate(p.rows, p.elapsedS);
  // No ETA until there is a rate to extrapolate from.
  const eta = fraction >= 1 ? `done in ${formatDuration(p.elapsedS)}` : rate !== null ? `ETA ${formatDuration((p.totalRows - p.rows) / rate)}` : 'ETA ?';
  return `${label} ${bar} ${pct}  ${formatCount(p.rows)}/${formatCount(p.totalRows)} rows  ${rate === null ? '- rows/s' : `${formatCount(rate)} rows/s`}  ${eta}`;
}
