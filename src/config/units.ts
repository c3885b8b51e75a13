/**
 * Units users type: durations ("10" = 10 s like pgbench, "500ms", "30s", "2m", "1h", "1m30s"),
 * rates ("2000", "8k", "8k/s", "500/s"), stages and -D NAME=VALUE. Each parser throws a usage error
 * naming the option.
 */
import { usageError } from '../errors.js';
import { VALID_NAME } from '../workload/pgbench/names.js';
import { printable } from '../workload/pgbench/printable.js';

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse a duration to milliseconds. A bare number means seconds (pgbench's -T, -P). */
export function parseDurationMs(text: string, option: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2]!] ?? 0);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw usageError('BAD_DURATION', `${option}: invalid duration "${text}" (examples: 10, 30s, 500ms, 2m, 1h30m)`);
  }
  return total;
}

/** Parse a rate to transactions per second: "2000", "8k", "8k/s", "1.5k", "500/s". */
export function parseRateHz(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|K|M)?(?:\/s)?$/.exec(text.trim());
  if (m === null) throw usageError('BAD_RATE', `${option}: invalid rate "${text}" (examples: 2000, 8k, 500/s)`);
  const mult = m[2] === undefined ? 1 : m[2] === 'M' ? 1e6 : 1e3;
  return Number(m[1]) * mult;
}

/** A positive integer option (clients, threads, transactions). */
export function parsePositiveInt(text: string, option: string, min = 1): number {
  const s = text.trim();
  if (!/^\d+$/.test(s) || Number(s) < min || !Number.isSafeInteger(Number(s))) {
    throw usageError('BAD_NUMBER', `${option}: expected an integer ≥ ${min}, got "${text}"`);
  }
  return Number(s);
}

export interface Stage {
  readonly durationMs: number;
  /** Target at the end of the stage: a rate (tx/s) or a number of clients. */
  readonly target: number;
}

/**
 * `--stages 30s:1000,2m:8000,30s:0`: each stage ramps linearly from the previous target to its own
 * over its duration (k6's ramping executors). Targets with "/s" are rates; plain numbers follow the
 * load model (rates when -R is given, otherwise client counts).
 */
export function parseStages(text: string, option = '--stages'): { stages: Stage[]; rates: boolean | undefined } {
  const stages: Stage[] = [];
  let rates: boolean | undefined;
  for (const part of text.split(',')) {
    const m = /^\s*([^:]+):\s*([\d.]+[kKM]?)(\/s)?\s*$/.exec(part);
    if (m === null) throw usageError('BAD_STAGES', `${option}: invalid stage "${part.trim()}" (expected DURATION:TARGET, e.g. 30s:1000)`);
    const durationMs = parseDurationMs(m[1]!, option);
    const target = parseRateHz(m[2]!, option);
    if (m[3] !== undefined) rates = true;
    stages.push({ durationMs, target });
  }
  if (stages.length === 0) throw usageError('BAD_STAGES', `${option}: no stages given`);
  return { stages, rates };
}

/**
 * Whether a load is open loop (rates) rather than closed loop (clients): stages with "/s" targets,
 * or a rate (-R, `rate:`), which also makes plain stage targets rates.
 */
export function stagesAreRatesOf(stages: { readonly rates: boolean | undefined } | undefined, rateHz: number | undefined): boolean {
  return stages?.rates ?? rateHz !== undefined;
}

/**
 * Clients when none are given. Open loop: enough to absorb the rate's bursts (pgbench's default of
 * 1 client would cap an open-loop run at one transaction at a time); client stages: their peak.
 */
export function defaultClients(stagesAreRates: boolean, stages: readonly Stage[] | undefined): number {
  if (stagesAreRates) return 16;
  return stages === undefined ? 1 : Math.max(1, ...stages.map((s) => s.target));
}

/** -D NAME=VALUE → [NAME, VALUE]; NAME follows pgbench's valid_variable_name (it is a script variable). */
export function parseDefine(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError('BAD_OPTIONS', `-D: expected NAME=VALUE, got "${printable(text)}"`);
  const name = text.slice(0, eq);
  if (!VALID_NAME.test(name)) {
    throw usageError('BAD_OPTIONS', `-D ${printable(text)}: invalid variable name "${printable(name)}" (use letters, digits and _, not starting with a digit)`);
  }
  return [name, text.slice(eq + 1)];
}

/** Every -D NAME=VALUE as one record (a later NAME wins); the first malformed one throws. */
export function parseDefines(texts: readonly string[]): Record<string, string> {
  const defines: Record<string, string> = {};
  for (const d of texts) {
    const [name, value] = parseDefine(d);
    defines[name] = value;
  }
  return defines;
}
