/**
 * Main thread: merge the workers' HA snapshots into the result's `failover` section.
 *
 * Overall outages from the per-client windows: windows are taken in order of their start; a window
 * that starts before the current outage has ended joins it, and the outage ends at the first
 * acknowledged write of any affected client (the earliest window end among its members). So an
 * outage runs from the first failed or unknown write to the first acknowledged write after it by a
 * client that had been hit — a commit that was in flight at the moment of the fault and happened
 * to be acknowledged does not end it. Per-client window lengths are reported beside it (p50, max).
 *
 * The section's types are derived from its schema (src/report/failover-schema.ts): times are seconds
 * from the start of the measured phase (like intervals' tS).
 */
import { FAILURE_CLASSES } from '../metrics/types.js';
import { round } from '../util/round.js';
import type { FailoverSection, OutageSummary } from '../report/failover-schema.js';
import { STALL_MIN_US, type HaSinkSnapshot, type LedgerEntry, type Span, type WindowRecord } from './outcome-sink.js';

export type { FailoverSection, OutageSummary, ReconnectSummary } from '../report/failover-schema.js';

export interface MergedHa {
  readonly section: FailoverSection;
  /** Ledger entries by "clientId:type". */
  readonly ledger: ReadonlyMap<string, LedgerEntry>;
  /** Outcome counts by type index: [ok, failed, unknown]. */
  readonly outcomes: ReadonlyMap<number, readonly [number, number, number]>;
}

export function isHaSnapshot(v: unknown): v is HaSinkSnapshot {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'pgsurge.ha/v1';
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Overall outages from per-client windows (see the module comment). */
export function mergeWindows(windows: readonly WindowRecord[], measureStartUs: number, runEndUs: number): OutageSummary[] {
  const sorted = [...windows].sort((a, b) => a.startUs - b.startUs);
  const out: OutageSummary[] = [];
  let group: WindowRecord[] = [];
  let endUs = Infinity;
  const endOf = (w: WindowRecord): number => (w.endUs < 0 ? runEndUs : w.endUs);
  const flush = (): void => {
    if (group.length === 0) return;
    const startUs = group[0]!.startUs;
    const errors: Record<string, number> = {};
    let firstReadUs = Infinity;
    const lengths: number[] = [];
    const clients = new Set<number>();
    for (const w of group) {
      clients.add(w.clientId);
      lengths.push((endOf(w) - w.startUs) / 1e6);
      if (w.firstReadUs >= 0) firstReadUs = Math.min(firstReadUs, w.firstReadUs);
      w.errors.forEach((n, i) => {
        if (n > 0) errors[FAILURE_CLASSES[i]!] = (errors[FAILURE_CLASSES[i]!] ?? 0) + n;
      });
    }
    lengths.sort((a, b) => a - b);
    out.push({
      startS: round((startUs - measureStartUs) / 1e6, 3),
      endS: round((endUs - measureStartUs) / 1e6, 3),
      durationS: round((endUs - startUs) / 1e6, 3),
      open: group.every((w) => w.endUs < 0),
      clients: clients.size,
      clientWindowS: { p50: round(percentile(lengths, 50), 3), max: round(lengths[lengths.length - 1] ?? 0, 3) },
      timeToFirstReadS: firstReadUs === Infinity ? null : round((firstReadUs - startUs) / 1e6, 3),
      errors,
    });
    group = [];
  };
  for (const w of sorted) {
    if (group.length > 0 && w.startUs > endUs) flush();
    if (group.length === 0) endUs = endOf(w);
    else endUs = Math.min(endUs, endOf(w));
    group.push(w);
  }
  flush();
  return out;
}

/** Spans common to every list (each list disjoint and in order). */
function intersect(lists: readonly (readonly Span[])[]): Span[] {
  let acc: Span[] | undefined;
  for (const list of lists) {
    const sorted = [...list].sort((a, b) => a.startUs - b.startUs);
    if (acc === undefined) {
      acc = sorted;
      continue;
    }
    const next: Span[] = [];
    let i = 0;
    let j = 0;
    while (i < acc.length && j < sorted.length) {
      const a = acc[i]!;
      const b = sorted[j]!;
      const startUs = Math.max(a.startUs, b.startUs);
      const endUs = Math.min(a.endUs, b.endUs);
      if (startUs < endUs) next.push({ startUs, endUs });
      if (a.endUs < b.endUs) i++;
      else j++;
    }
    acc = next;
  }
  return acc ?? [];
}

/**
 * Stalls of the whole run: spans of at least STALL_MIN_US in which writes hung and no worker
 * that writes had any acknowledged (each worker's own stalls, intersected). The clients are those
 * whose writes hung across the span; no write failed in it, so it has no errors.
 */
export function mergeStalls(snaps: readonly HaSinkSnapshot[], measureStartUs: number): OutageSummary[] {
  const writers = snaps.filter((s) => (s.acks ?? 0) > 0);
  if (writers.length === 0) return [];
  const hung = writers.flatMap((s) => s.hung ?? []);
  return intersect(writers.map((s) => s.stalls ?? []))
    .filter((g) => g.endUs - g.startUs >= STALL_MIN_US)
    .map((g) => {
      const across = hung.filter((h) => h.startUs < g.endUs && h.endUs > g.startUs);
      const lengths = across.map((h) => (h.endUs - h.startUs) / 1e6).sort((a, b) => a - b);
      return {
        startS: round((g.startUs - measureStartUs) / 1e6, 3),
        endS: round((g.endUs - measureStartUs) / 1e6, 3),
        durationS: round((g.endUs - g.startUs) / 1e6, 3),
        open: false,
        clients: new Set(across.map((h) => h.clientId)).size,
        clientWindowS: { p50: round(percentile(lengths, 50), 3), max: round(lengths[lengths.length - 1] ?? 0, 3) },
        timeToFirstReadS: null,
        errors: {},
        stall: true,
      };
    });
}

/**
 * Outages and stalls together, in order: a stall that overlaps an outage (the writes hung, then
 * failed) widens it rather than being told apart; the outage keeps its errors.
 */
export function withStalls(outages: readonly OutageSummary[], stalls: readonly OutageSummary[]): OutageSummary[] {
  const out = outages.map((o) => ({ ...o }));
  for (const s of stalls) {
    const o = out.find((x) => x.startS < s.endS && s.startS < x.endS);
    if (o === undefined) {
      out.push(s);
      continue;
    }
    o.startS = Math.min(o.startS, s.startS);
    o.endS = Math.max(o.endS, s.endS);
    o.durationS = round(o.endS - o.startS, 3);
  }
  return out.sort((a, b) => a.startS - b.startS);
}

export function mergeHaSnapshots(
  raw: readonly unknown[],
  ctx: { readonly measureStartUs: number; readonly runEndUs: number; readonly typeNames: readonly string[] },
): MergedHa {
  const snaps = raw.filter(isHaSnapshot);
  const windows = snaps.flatMap((s) => s.windows);
  const outages = withStalls(mergeWindows(windows, ctx.measureStartUs, ctx.runEndUs), mergeStalls(snaps, ctx.measureStartUs));

  const all: number[] = [];
  const perClient: Record<string, { count: number; p50Ms: number; maxMs: number }> = {};
  const hosts: Record<string, number> = {};
  let count = 0;
  let maxUs = 0;
  for (const s of snaps) {
    for (const r of s.reconnects) {
      const kept = [...r.durationsUs].sort((a, b) => a - b);
      all.push(...kept);
      count += r.count;
      perClient[String(r.clientId)] = { count: r.count, p50Ms: round(percentile(kept, 50) / 1000, 3), maxMs: round(r.maxUs / 1000, 3) };
      maxUs = Math.max(maxUs, r.maxUs);
    }
    for (const [h, n] of Object.entries(s.reconnectHosts)) hosts[h] = (hosts[h] ?? 0) + n;
  }
  all.sort((a, b) => a - b);

  const outcomes = new Map<number, [number, number, number]>();
  for (const s of snaps) {
    for (const [type, ok, failed, unknown] of s.outcomes) {
      const o = outcomes.get(type) ?? [0, 0, 0];
      outcomes.set(type, [o[0] + ok, o[1] + failed, o[2] + unknown]);
    }
  }
  const writes: Record<string, { ok: number; failed: number; unknown: number }> = {};
  for (const [type, [ok, failed, unknown]] of [...outcomes].sort((a, b) => a[0] - b[0])) {
    writes[ctx.typeNames[type] ?? `type ${type}`] = { ok, failed, unknown };
  }
  const ledger = new Map<string, LedgerEntry>();
  for (const s of snaps) for (const e of s.ledger) ledger.set(`${e.clientId}:${e.type}`, e);
  const dropped = snaps.reduce((n, s) => n + s.windowsDropped, 0);

  const section: FailoverSection = {
    outages,
    rtoS: outages.reduce((m, o) => Math.max(m, o.durationS), 0),
    reconnects: {
      count,
      clients: Object.keys(perClient).length,
      p50Ms: all.length === 0 ? null : round(percentile(all, 50) / 1000, 3),
      maxMs: count === 0 ? null : round(maxUs / 1000, 3),
      perClient,
      hosts,
    },
    writes,
    ...(dropped > 0 ? { windowsDropped: dropped } : {}),
  };
  return { section, ledger, outcomes };
}
