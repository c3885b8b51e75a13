/**
 * Thresholds on the server's figures, sampled per interval by the observer (result.server):
 * `AGG(FIGURE)OP VALUE[UNIT]`, the aggregate over the measured phase's intervals always written out.
 *
 *   AGG      max min avg p95 (p95: nearest rank over the interval values)
 *   FIGURE   server.cpu      busy CPU in % of ALL the server machine's cores: the machine's own
 *                            figure (this machine's /proc for a local server, or --server-metrics'
 *                            node_exporter); without one, the server processes' CPU (% of one
 *                            core) divided by the cores, when the processes are visible here
 *            server.memory   memory in use on the server's machine, % of its total (total − available)
 *            server.cache_hit  blocks found in shared buffers, % of the blocks read (or a ratio 0–1)
 *            replication.lag   replay lag (time) of the standbys streaming from the host, as
 *                            pg_stat_replication reports it; a standby that has caught up counts 0
 *            connections     backends, a count or with % a share of max_connections
 *            pool.waiting    clients waiting for a server connection in a PgBouncer in front of
 *                            the host, on average over each interval (its wait time over the
 *                            interval's length: a wait that fell between two looks counts too)
 *   host     `server[HOST].cpu`, `replication[HOST].lag`, `connections[HOST]`: HOST is `primary` or
 *            `replica` (the role the host had in that interval, so a failover moves it) or a
 *            host:port as in the result's target.hosts (a bare host name matches any port). Without
 *            one, every sampled host's intervals count: max is the busiest host's busiest interval.
 *
 * A figure that was not sampled in any interval fails the threshold as n/a with the reason.
 * Evaluation reads nothing but the samples, so a saved result gives the same answer.
 */
import { round } from '../util/round.js';
import type { HostSample, ServerSample } from '../report/server-schema.js';

export type ServerAggregate = 'max' | 'min' | 'avg' | 'p95';
export type ServerFigure = 'server.cpu' | 'server.memory' | 'server.cache_hit' | 'replication.lag' | 'connections' | 'pool.waiting';
export type ServerOp = '<' | '<=' | '>' | '>=' | '==';

/** Which hosts' samples a threshold reads: all, by role in each interval, or one host by its label. */
export type HostSelector =
  { readonly kind: 'all' } | { readonly kind: 'role'; readonly role: 'primary' | 'replica' } | { readonly kind: 'label'; readonly label: string };

export interface ServerThreshold {
  readonly kind: 'server';
  readonly expr: string;
  readonly aggregate: ServerAggregate;
  readonly figure: ServerFigure;
  readonly host: HostSelector;
  readonly op: ServerOp;
  /** Percent for cpu, memory, cache_hit and connections with %; milliseconds for replication.lag; a count otherwise. */
  readonly value: number;
  /** connections: compare the share of max_connections instead of the count. */
  readonly percent: boolean;
}

export const SERVER_FIGURES: readonly ServerFigure[] = ['server.cpu', 'server.memory', 'server.cache_hit', 'replication.lag', 'connections', 'pool.waiting'];
const AGGREGATES: readonly ServerAggregate[] = ['max', 'min', 'avg', 'p95'];
const UNIT_TO_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/** Names that only server thresholds use: a bare `server.cpu<80%` is a server threshold missing its aggregate. */
export const SERVER_NAME = /^\s*(server|replication|connections|pool)\b/i;
/** `NAME(` at the start: the aggregate form. */
export const AGGREGATE_FORM = /^\s*[a-z_][a-z0-9_]*\s*\(/i;

const GRAMMAR =
  /^\s*([a-z_][a-z0-9_]*)\s*\(\s*([a-z_][a-z0-9_]*)(?:\[([^\]]*)\])?(?:\.([a-z_]+))?\s*\)\s*(<=|>=|==|<|>|=)\s*([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*(us|ms|s|%)?\s*$/i;
const HOST_LABEL = /^[a-z0-9._:-]+$/i;

/**
 * Parses the aggregate form; `bad(why)` makes the usage error (the caller's, so that every
 * threshold's error reads alike).
 */
export function parseServerThreshold(expr: string, bad: (why: string) => Error): ServerThreshold {
  const m = GRAMMAR.exec(expr);
  if (m === null) throw bad('does not read as AGG(FIGURE) OP VALUE[UNIT], e.g. max(server.cpu)<80%');
  const aggregate = m[1]!.toLowerCase();
  if (!(AGGREGATES as readonly string[]).includes(aggregate)) throw bad(`unknown aggregate "${m[1]!}": use max, min, avg or p95`);
  const ns = m[2]!.toLowerCase();
  const name = m[4]?.toLowerCase();
  const figure = (name === undefined ? ns : `${ns}.${name}`) as ServerFigure;
  if (!SERVER_FIGURES.includes(figure)) {
    const shown = name === undefined ? ns : `${ns}.${name}`;
    throw bad(`unknown server figure "${shown}": use ${SERVER_FIGURES.join(', ')} (client figures such as p95 or tps take no aggregate)`);
  }
  const host = parseHost(m[3], figure, bad);
  const op = m[5] === '=' ? '==' : (m[5] as ServerOp);
  const raw = Number(m[6]);
  const unit = m[7]?.toLowerCase();
  if (!Number.isFinite(raw)) throw bad('the value is not a number');
  const base = { kind: 'server' as const, expr: expr.trim(), aggregate: aggregate as ServerAggregate, figure, host, op };
  switch (figure) {
    case 'server.cpu':
    case 'server.memory':
      if (unit !== '%') throw bad(`${figure} is a percentage: write it with %, e.g. ${aggregate}(${figure})<80%`);
      if (raw > 100) throw bad(`${figure} is at most 100%`);
      return { ...base, value: raw, percent: true };
    case 'server.cache_hit':
      if (unit !== undefined && unit !== '%') throw bad('server.cache_hit is a share of the blocks read: write a percentage (99%) or a ratio (0.99)');
      if (unit === undefined && raw > 1) throw bad(`server.cache_hit without % is a ratio from 0 to 1: did you mean ${raw}%?`);
      if ((unit === '%' ? raw : raw * 100) > 100) throw bad('server.cache_hit is at most 100%');
      return { ...base, value: unit === '%' ? raw : raw * 100, percent: true };
    case 'replication.lag':
      if (unit === '%') throw bad('replication.lag is a time: use us, ms or s');
      return { ...base, value: raw * UNIT_TO_MS[unit ?? 'ms']!, percent: false };
    case 'connections':
      if (unit !== undefined && unit !== '%') throw bad('connections is a count, or with % a share of max_connections');
      if (unit === '%' && raw > 100) throw bad('connections with % is a share of max_connections: at most 100%');
      return { ...base, value: raw, percent: unit === '%' };
    case 'pool.waiting':
      if (unit !== undefined) throw bad('pool.waiting is a count of clients: it takes no unit');
      return { ...base, value: raw, percent: false };
  }
}

function parseHost(raw: string | undefined, figure: ServerFigure, bad: (why: string) => Error): HostSelector {
  if (raw === undefined) return { kind: 'all' };
  const label = raw.trim();
  if (figure === 'pool.waiting') throw bad('pool.waiting takes no host');
  if (label === '') throw bad('the host in [] is empty: write primary, replica or HOST:PORT');
  const lower = label.toLowerCase();
  if (lower === 'primary' || lower === 'replica') return { kind: 'role', role: lower };
  if (!HOST_LABEL.test(label)) throw bad(`"${label}" is not a host: write primary, replica or HOST:PORT as in the target`);
  return { kind: 'label', label: lower };
}

/** One interval's figure on one host, or why there is none. */
type Reading = { readonly v: number } | { readonly why: string };

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

const NOT_LOCAL = 'the server is not on this machine; give --server-metrics URL (a node_exporter on its host)';

function cpuOf(h: HostSample, cores: number | undefined): Reading {
  const m = h.machine;
  if (m !== null && m !== undefined && finite(m.cpuPct)) return { v: m.cpuPct };
  const p = h.process;
  if (p !== null && finite(p.cpuPct) && cores !== undefined) return { v: p.cpuPct / cores };
  if (m?.error !== undefined) return { why: m.error };
  return { why: NOT_LOCAL };
}

function memoryOf(h: HostSample): Reading {
  const m = h.machine;
  if (m !== null && m !== undefined && finite(m.memoryTotalBytes) && finite(m.memoryAvailableBytes) && m.memoryTotalBytes > 0)
    return { v: ((m.memoryTotalBytes - m.memoryAvailableBytes) / m.memoryTotalBytes) * 100 };
  if (m?.error !== undefined) return { why: m.error };
  return { why: NOT_LOCAL };
}

function lagOf(h: HostSample): Reading {
  if (!h.ok) return { why: `its snapshot failed: ${h.error ?? 'no answer'}` };
  let worst: number | null = null;
  for (const peer of h.replication) {
    // replay_lag turns NULL a while after a standby has caught up with an idle primary: no lag then.
    const lag = finite(peer.replayLagMs) ? peer.replayLagMs : peer.replayLagBytes === 0 ? 0 : null;
    if (lag !== null) worst = Math.max(worst ?? 0, lag);
  }
  return worst === null ? { why: 'no host reported a standby streaming from it (pg_stat_replication)' } : { v: worst };
}

function readingOf(t: ServerThreshold, h: HostSample, cores: number | undefined): Reading {
  switch (t.figure) {
    case 'server.cpu':
      return cpuOf(h, cores);
    case 'server.memory':
      return memoryOf(h);
    case 'server.cache_hit':
      if (!h.ok) return { why: `its snapshot failed: ${h.error ?? 'no answer'}` };
      return finite(h.cacheHitRatio) ? { v: h.cacheHitRatio * 100 } : { why: 'no block was read in any interval' };
    case 'replication.lag':
      return lagOf(h);
    case 'connections': {
      if (!h.ok || h.connections === null) return { why: `its snapshot failed: ${h.error ?? 'no answer'}` };
      if (!t.percent) return { v: h.connections.total };
      return finite(h.maxConnections) && h.maxConnections > 0 ? { v: (h.connections.total / h.maxConnections) * 100 } : { why: 'max_connections was not read' };
    }
    case 'pool.waiting': {
      const p = h.pooler;
      if (p?.kind === 'pgpool') return { why: `${p.version} at ${p.at} does not say how many clients wait (only PgBouncer's console does)` };
      if (p === undefined)
        return { why: `no PgBouncer admin console was found at ${h.host} (a pooler must be the target, and the run's user in its stats_users)` };
      if (p.waiting === null) return { why: `PgBouncer's console at ${h.host} gave no wait time${p.error === undefined ? '' : `: ${p.error}`}` };
      return { v: p.waiting };
    }
  }
}

function selects(sel: HostSelector, h: HostSample): boolean {
  switch (sel.kind) {
    case 'all':
      return true;
    case 'role':
      return h.inRecovery === (sel.role === 'replica');
    case 'label': {
      const label = h.host.toLowerCase();
      return sel.label.includes(':') ? label === sel.label : label.slice(0, label.lastIndexOf(':')) === sel.label;
    }
  }
}

function compare(actual: number, op: ServerOp, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

export interface ServerThresholdResult {
  readonly expr: string;
  readonly ok: boolean;
  /** The aggregate with its unit and where it was seen ("93.2% on 127.0.0.1:5432 at 4s"), or "n/a". */
  readonly actual: string;
  /** Why the figure is n/a: what was not sampled and what to do. */
  readonly reason?: string;
}

const hostName = (sel: HostSelector): string => (sel.kind === 'role' ? sel.role : sel.kind === 'label' ? sel.label : '');

function shownValue(t: ServerThreshold, v: number): string {
  if (t.figure === 'replication.lag') return `${round(v, 3)}ms`;
  // An average of a few clients waiting: a short wait must not print as 0 beside a failed `== 0`.
  if (t.figure === 'pool.waiting') return v > 0 && v < 0.001 ? '<0.001' : String(round(v, 3));
  return t.percent ? `${round(v, 3)}%` : String(round(v, 1));
}

/** The threshold over the samples of the measured phase (one ServerSample per client interval). */
export function evaluateServerThreshold(t: ServerThreshold, samples: readonly ServerSample[]): ServerThresholdResult {
  const na = (why: string): ServerThresholdResult => ({ expr: t.expr, ok: false, actual: 'n/a', reason: `${t.figure}: not sampled — ${why}` });
  if (samples.length === 0 || samples.every((s) => s.hosts.length === 0))
    return na('the result has no server samples (the observer was off: leave out --no-observe)');
  const values: { v: number; host: string; tS: number }[] = [];
  let why: string | undefined;
  let chosen = 0;
  for (const s of samples) {
    for (const h of s.hosts) {
      if (!selects(t.host, h)) continue;
      chosen += 1;
      const r = readingOf(t, h, s.client.cores);
      if ('v' in r) values.push({ v: r.v, host: h.host, tS: s.tS });
      else why ??= r.why;
    }
  }
  if (chosen === 0) {
    const seen = [
      ...new Set(samples.flatMap((s) => s.hosts.map((h) => `${h.host}${h.inRecovery === true ? ' (replica)' : h.inRecovery === false ? ' (primary)' : ''}`))),
    ];
    return na(`no sampled host is ${t.host.kind === 'role' ? `a ${t.host.role}` : `"${hostName(t.host)}"`} (sampled: ${seen.join(', ')})`);
  }
  if (values.length === 0) return na(why ?? 'no interval had it');
  let value: number;
  let where: string;
  switch (t.aggregate) {
    case 'max':
    case 'min': {
      const best = values.reduce((a, b) => (t.aggregate === 'max' ? (b.v > a.v ? b : a) : b.v < a.v ? b : a));
      value = best.v;
      where = ` on ${best.host} at ${round(best.tS, 3)}s`;
      break;
    }
    case 'avg':
      value = values.reduce((a, b) => a + b.v, 0) / values.length;
      where = ` over ${values.length} interval${values.length === 1 ? '' : 's'}`;
      break;
    case 'p95': {
      const sorted = values.map((x) => x.v).sort((a, b) => a - b);
      value = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]!;
      where = ` over ${values.length} interval${values.length === 1 ? '' : 's'}`;
      break;
    }
  }
  return { expr: t.expr, ok: compare(value, t.op, t.value), actual: `${shownValue(t, value)}${where}` };
}
