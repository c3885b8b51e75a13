/**
 * Per-scenario figures for a run with several scenarios: each scenario's transaction types merged
 * (counters added, HDR histograms added, percentiles from the merged histogram). Arrivals, drops and
 * unfinished transactions are counted per run, not per scenario (an arrival has no type until a
 * client takes it), so they are in the run's summary only.
 */
import type { Totals } from '../metrics/aggregator.js';
import { newHistogram, percentileUs, usToMs } from '../metrics/histogram.js';
import { FAILURE_CLASSES, type MetricsLayout } from '../metrics/types.js';
import type { ScenarioSummary } from './result.js';

/** One scenario's figures: the result's `scenarios` entries (type derived from the result schema). */
export type GroupSummary = ScenarioSummary;

export function summarizeGroups(
  totals: Totals,
  groups: readonly {
    readonly name: string;
    readonly typeOffset: number;
    readonly startOffsetMs: number;
    readonly load: { readonly durationMs: number | undefined };
  }[],
  layout: MetricsLayout,
  durationS: number,
): Record<string, GroupSummary> {
  const out: Record<string, GroupSummary> = {};
  groups.forEach((g, gi) => {
    const end = groups[gi + 1]?.typeOffset ?? layout.txnTypes.length;
    const types = totals.types.slice(g.typeOffset, end);
    const latency = newHistogram('total');
    let ok = 0;
    let failed = 0;
    let retried = 0;
    let skipped = 0;
    let sumUs = 0;
    let maxUs = 0;
    const errors: Record<string, number> = {};
    for (const t of types) {
      ok += t.ok;
      failed += t.failed;
      retried += t.retried;
      skipped += t.skipped;
      sumUs += t.latencySumUs;
      maxUs = Math.max(maxUs, t.ok > 0 ? t.latencyMaxUs : 0);
      latency.add(t.latency);
      t.errors.forEach((n, i) => {
        if (n > 0) errors[FAILURE_CLASSES[i]!] = (errors[FAILURE_CLASSES[i]!] ?? 0) + n;
      });
    }
    // A scenario's rate is over the time it ran: from its start to its end, within the measured run.
    const activeS = Math.max(0, Math.min(durationS, (g.startOffsetMs + (g.load.durationMs ?? Infinity)) / 1000) - g.startOffsetMs / 1000);
    const pct = (p: number): number | null => (ok === 0 ? null : usToMs(percentileUs(latency, p, maxUs)));
    out[g.name] = {
      transactionTypes: layout.txnTypes.slice(g.typeOffset, end).map((t) => t.name),
      transactions: ok,
      failed,
      retried,
      skipped,
      activeS,
      tps: activeS > 0 ? ok / activeS : 0,
      latencyMs: { mean: ok === 0 ? null : usToMs(sumUs / ok), p50: pct(50), p95: pct(95), p99: pct(99), max: ok === 0 ? null : usToMs(maxUs) },
      errors,
    };
  });
  return out;
}
