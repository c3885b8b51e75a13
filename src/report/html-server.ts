/**
 * Server timeline panels from `result.server` (per-interval samples, src/observe/types.ts
 * ServerSample: `{tS, durationS, hosts: [{host, commitsPerS, connections: {...}, ...}], client}`).
 * Read tolerantly, so older or newer sample shapes still draw: every numeric (or boolean) field,
 * nested objects flattened to dotted names, is a series; an array of objects is expanded per
 * element, labelled by its `host`/`applicationName`/`name` (so per-host figures stay apart); a
 * sample's time is its `tS` (or `t`, `timeS`, `elapsedS`), else its place on the interval grid.
 * A sample covers [tS, tS + durationS] and is drawn at its end, like the client's intervals.
 * Series go to panels by field (html-labels.ts: one kind of figure and unit per panel) and are
 * labelled in words; null values are gaps.
 */
import { color, outagesOf, type ChartSeries, type ChartSpec, type HtmlResult } from './html-charts.js';
import { CONNECTION_LIMIT, SERVER_PANELS, serverFieldLabel, serverPanelOf } from './html-labels.js';

const TIME_KEYS = ['tS', 't', 'timeS', 'elapsedS'];
const LABEL_KEYS = ['host', 'applicationName', 'node', 'name'];
/** Lists that are not time series (top statements, tables, wait events, open sessions): the report leaves them out. */
const SKIP_ARRAYS = new Set(['tables', 'topStatements', 'waitEvents', 'autovacuumTables', 'sessions']);
const MAX_SERIES_PER_PANEL = 12;
const MAX_ARRAY_ELEMENTS = 8;

/** A raw LSN is a position, not a figure worth a line; byte lags have their own panel. */
const SKIP_LAST = /^(?:index|interval|durationS|pid|ok|id)$|(?:^|_)lsn$/i;
const skipCache = new Map<string, boolean>();
/** Decided once per field name: samples repeat the same names thousands of times. */
function skipped(path: string): boolean {
  let skip = skipCache.get(path);
  if (skip === undefined) skipCache.set(path, (skip = SKIP_LAST.test(path.slice(path.lastIndexOf('.') + 1))));
  return skip;
}

/** One value of one sample: series = label + path; panels are chosen by path alone. */
interface Leaf {
  readonly label: string;
  readonly path: string;
  readonly value: number;
}

function elementLabel(el: unknown, i: number): string {
  if (typeof el === 'object' && el !== null) {
    for (const k of LABEL_KEYS) {
      const v = (el as Record<string, unknown>)[k];
      if (typeof v === 'string' && v !== '') return v;
    }
  }
  return `#${i}`;
}

function flatten(value: unknown, label: string, path: string, out: Leaf[], depth: number): void {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (!skipped(path)) out.push({ label, path, value });
  } else if (typeof value === 'boolean') {
    if (!skipped(path)) out.push({ label, path, value: value ? 1 : 0 });
  } else if (depth >= 6 || typeof value !== 'object' || value === null) {
    return;
  } else if (Array.isArray(value)) {
    if (SKIP_ARRAYS.has(path.slice(path.lastIndexOf('.') + 1))) return;
    value.slice(0, MAX_ARRAY_ELEMENTS).forEach((el, i) => {
      // Array elements are peers (hosts, replicas): their name goes to the label, not the path.
      const own = elementLabel(el, i);
      const base = path.slice(path.lastIndexOf('.') + 1);
      const nextLabel = base === 'hosts' || base === '' ? joinLabel(label, own) : joinLabel(label, `[${own}]`);
      const nextPath = base === 'hosts' ? path.slice(0, Math.max(0, path.lastIndexOf('.'))) : path;
      flatten(el, nextLabel, nextPath, out, depth + 1);
    });
  } else {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (LABEL_KEYS.includes(k) && typeof v === 'string') continue;
      flatten(v, label, path === '' ? k : `${path}.${k}`, out, depth + 1);
    }
  }
}

const joinLabel = (a: string, b: string): string => (a === '' ? b : `${a} ${b}`);

interface Sample {
  readonly tS: number;
  readonly leaves: readonly Leaf[];
}

function readSamples(result: HtmlResult): Sample[] {
  const stepS = (result.intervals[0]?.durationS ?? 1) || 1;
  return result.server.map((raw, i) => {
    const timeKey = TIME_KEYS.find((k) => typeof raw[k] === 'number');
    const startS = timeKey === undefined ? i * stepS : (raw[timeKey] as number);
    const tS = startS + (typeof raw['durationS'] === 'number' ? raw['durationS'] : stepS);
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) if (!TIME_KEYS.includes(k)) rest[k] = v;
    const leaves: Leaf[] = [];
    // A top-level host name (one sample per host) labels the sample's series like a hosts[] element.
    flatten(rest, elementLabel(raw, -1).startsWith('#') ? '' : elementLabel(raw, -1), '', leaves, 0);
    return { tS, leaves };
  });
}

/**
 * Server samples as columns on one time grid (each sample's end): series name → values, each
 * series' field path, and its legend in words.
 */
export interface ServerColumns {
  readonly x: readonly number[];
  readonly columns: ReadonlyMap<string, readonly (number | null)[]>;
  readonly fieldOf: ReadonlyMap<string, string>;
  readonly labelOf: ReadonlyMap<string, string>;
}

export function serverColumns(result: HtmlResult): ServerColumns {
  const samples = readSamples(result);
  const x = [...new Set(samples.map((s) => s.tS))].sort((a, b) => a - b);
  const at = new Map(x.map((t, i) => [t, i]));
  const columns = new Map<string, (number | null)[]>();
  const fieldOf = new Map<string, string>();
  const labelOf = new Map<string, string>();
  const labels = new Set<string>();
  const hostOf = (label: string): string => (label.startsWith('[') ? '' : (label.split(' [')[0] ?? ''));
  for (const s of samples) for (const leaf of s.leaves) if (hostOf(leaf.label) !== '') labels.add(hostOf(leaf.label));
  // With one host there is nothing to tell apart: drop its name from every series.
  const oneLabel = labels.size <= 1;
  for (const s of samples) {
    const i = at.get(s.tS) ?? 0;
    for (const leaf of s.leaves) {
      const label = oneLabel ? leaf.label.slice(hostOf(leaf.label).length).trim() : leaf.label;
      const name = label === '' ? leaf.path : `${label} ${leaf.path}`;
      let col = columns.get(name);
      if (col === undefined) columns.set(name, (col = x.map(() => null)));
      fieldOf.set(name, leaf.path);
      labelOf.set(name, label === '' ? serverFieldLabel(leaf.path) : `${label} ${serverFieldLabel(leaf.path)}`);
      col[i] = Math.round(leaf.value * 1000) / 1000;
    }
  }
  return { x, columns, fieldOf, labelOf };
}

/** Server panels: the charts, and the titles of panels left out because every value was 0. */
export interface ServerPanels {
  readonly charts: ChartSpec[];
  /** Drawn, they would be flat lines at 0 (no checkpoint, no temp file…): the page lists them instead. */
  readonly quiet: string[];
}

const allZero = (values: readonly (number | null)[]): boolean => values.every((v) => v === null || v === 0);

/** One chart per panel that has a series with a value other than 0; none when there are no samples. */
export function serverPanels(result: HtmlResult, idPrefix = 'c'): ServerPanels {
  const { x, columns, fieldOf, labelOf } = serverColumns(result);
  if (x.length === 0) return { charts: [], quiet: [] };
  const byPanel = new Map<string, string[]>();
  for (const name of columns.keys()) {
    // By the field's own path: a host called "replica" must not pull its CPU into replication lag.
    const panel = serverPanelOf(fieldOf.get(name) ?? name);
    byPanel.set(panel, [...(byPanel.get(panel) ?? []), name]);
  }
  const limits = (byPanel.get(CONNECTION_LIMIT) ?? []).flatMap((n) => (columns.get(n) ?? []).filter((v): v is number => v !== null));
  const bands = outagesOf(result);
  const charts: ChartSpec[] = [];
  const quiet: string[] = [];
  for (const p of SERVER_PANELS) {
    const names = byPanel.get(p.key);
    if (names === undefined) continue;
    if (names.every((n) => allZero(columns.get(n) ?? []))) {
      quiet.push(p.title);
      continue;
    }
    const title = p.key === 'connections' && limits.length > 0 ? `${p.title.replace(/\)$/, '')}; max_connections ${Math.max(...limits)})` : p.title;
    const series: ChartSeries[] = names
      .slice(0, MAX_SERIES_PER_PANEL)
      .map((n, k) => ({ label: labelOf.get(n) ?? n, color: color(k), values: columns.get(n) ?? [], ...(p.stepped === true ? { stepped: true } : {}) }));
    charts.push({ id: `${idPrefix}-server-${p.key}`, title, xKind: 'time', x, yLabel: p.yLabel, yLog: false, series, bands });
  }
  return { charts, quiet };
}

/** The charts of serverPanels. */
export function serverCharts(result: HtmlResult, idPrefix = 'c'): ChartSpec[] {
  return serverPanels(result, idPrefix).charts;
}
