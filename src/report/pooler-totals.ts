/**
 * A pooler's figures over a run (the `pooler` of a host's samples, src/observe/pooler.ts), and the
 * summary's line of them. Waits are summed as time (waiting × the interval's seconds), so the
 * run's figure is exact however the intervals differ in length.
 */
import { fmtNum } from './format.js';
import type { ServerSample } from './server-schema.js';

export interface PoolerTotals {
  /** The sampled host the figures came with (the server behind the pooler when it was reachable). */
  readonly host: string;
  readonly version: string;
  /** The pooler's own address. */
  readonly at: string;
  readonly poolMode: string | null;
  readonly poolSize: number | null;
  /** Intervals with pool figures. */
  readonly intervals: number;
  /** Seconds clients spent waiting for a server, summed over clients. */
  readonly waitS: number;
  /** Seconds covered by the intervals with a wait figure. */
  readonly spanS: number;
  /** Transactions through the pooler's database. */
  readonly transactions: number;
  /** Most clients seen waiting at once (at an interval's end), and the longest wait seen. */
  readonly peakWaiting: number | null;
  readonly maxWaitMs: number | null;
  /** Most clients seen (active + waiting) and servers active at once. */
  readonly peakClients: number | null;
  readonly peakServersActive: number | null;
  /** Interval starts (s) in which clients waited. */
  readonly waitedAtS: readonly number[];
}

const peak = (a: number | null, b: number | null | undefined): number | null => (b === null || b === undefined ? a : a === null ? b : Math.max(a, b));

/** Per host with a pooler, its totals over the samples. */
export function poolerTotals(server: readonly ServerSample[]): PoolerTotals[] {
  const acc = new Map<string, PoolerTotals>();
  for (const sample of server) {
    for (const h of sample.hosts) {
      const p = h.pooler;
      if (p?.kind !== 'pgbouncer') continue;
      const a = acc.get(h.host) ?? {
        host: h.host,
        version: p.version,
        at: p.at,
        poolMode: null,
        poolSize: null,
        intervals: 0,
        waitS: 0,
        spanS: 0,
        transactions: 0,
        peakWaiting: null,
        maxWaitMs: null,
        peakClients: null,
        peakServersActive: null,
        waitedAtS: [],
      };
      if (p.error !== undefined) {
        acc.set(h.host, a);
        continue;
      }
      const clients = p.clientsActive === null ? null : p.clientsActive + (p.clientsWaiting ?? 0);
      acc.set(h.host, {
        ...a,
        poolMode: p.poolMode ?? a.poolMode,
        poolSize: p.poolSize ?? a.poolSize,
        intervals: a.intervals + 1,
        waitS: a.waitS + (p.waiting ?? 0) * sample.durationS,
        spanS: a.spanS + (p.waiting === null ? 0 : sample.durationS),
        transactions: a.transactions + (p.transactionsPerS ?? 0) * sample.durationS,
        peakWaiting: peak(a.peakWaiting, p.clientsWaiting),
        maxWaitMs: peak(a.maxWaitMs, p.maxWaitMs),
        peakClients: peak(a.peakClients, clients),
        peakServersActive: peak(a.peakServersActive, p.serversActive),
        waitedAtS: (p.waiting ?? 0) > 0 ? [...a.waitedAtS, sample.tS] : a.waitedAtS,
      });
    }
  }
  return [...acc.values()];
}

/** Clients waiting on average over the run (Little's law over the covered span); null when not covered. */
export function meanWaiting(t: PoolerTotals): number | null {
  return t.spanS > 0 ? t.waitS / t.spanS : null;
}

/** Wait per transaction through the pooler, ms; null without transactions. */
export function waitPerTransactionMs(t: PoolerTotals): number | null {
  return t.transactions > 0 ? (t.waitS * 1000) / t.transactions : null;
}

/** "PgBouncer 1.18.0 at 127.0.0.1:6432 (transaction pooling, pool size 2): …" for the summary's server section. */
export function poolerLine(t: PoolerTotals): string {
  const how = [t.poolMode === null ? undefined : `${t.poolMode} pooling`, t.poolSize === null ? undefined : `pool size ${fmtNum(t.poolSize)}`].filter(
    (x) => x !== undefined,
  );
  const head = `${t.version} at ${t.at}${how.length === 0 ? '' : ` (${how.join(', ')})`}`;
  if (t.intervals === 0) return `${head}: its console gave no figures`;
  const mean = meanWaiting(t);
  const perTxn = waitPerTransactionMs(t);
  const parts = [
    `clients waiting for a server ${mean === null ? '-' : fmtNum(mean, 2)} on average (${t.peakWaiting === null ? '-' : fmtNum(t.peakWaiting)} seen at once)`,
    `wait ${perTxn === null ? '-' : fmtNum(perTxn, 2)} ms per transaction${(t.maxWaitMs ?? 0) > 0 ? ` (longest seen ${fmtNum(t.maxWaitMs!, 1)} ms)` : ''}`,
    `servers active peak ${t.peakServersActive === null ? '-' : fmtNum(t.peakServersActive)}, clients peak ${t.peakClients === null ? '-' : fmtNum(t.peakClients)}`,
  ];
  return `${head}: ${parts.join(', ')}`;
}

/** A Pgpool-II's nodes over a run: SELECTs it sent each (summed over the intervals), role and status last seen. */
export interface PgpoolTotals {
  /** The sampled host the figures came with (the first server behind it). */
  readonly host: string;
  readonly version: string;
  readonly at: string;
  readonly nodes: readonly { readonly host: string; readonly role: string; readonly status: string; readonly selects: number; readonly seconds: number }[];
}

export function pgpoolTotals(server: readonly ServerSample[]): PgpoolTotals[] {
  const acc = new Map<
    string,
    { host: string; version: string; at: string; nodes: Map<string, { host: string; role: string; status: string; selects: number; seconds: number }> }
  >();
  for (const sample of server) {
    for (const h of sample.hosts) {
      const p = h.pooler;
      if (p?.kind !== 'pgpool') continue;
      const a = acc.get(h.host) ?? { host: h.host, version: p.version, at: p.at, nodes: new Map() };
      for (const n of p.nodes) {
        const t = a.nodes.get(n.host) ?? { host: n.host, role: n.role, status: n.status, selects: 0, seconds: 0 };
        a.nodes.set(n.host, {
          host: n.host,
          role: n.role,
          status: n.status,
          selects: t.selects + (n.selectsPerS ?? 0) * sample.durationS,
          seconds: t.seconds + (n.selectsPerS === null ? 0 : sample.durationS),
        });
      }
      acc.set(h.host, a);
    }
  }
  return [...acc.values()].map((a) => ({ host: a.host, version: a.version, at: a.at, nodes: [...a.nodes.values()] }));
}

/** "Pgpool-II 4.3.5 (…) at 127.0.0.1:9999: SELECTs sent per second: 127.0.0.1:5432 primary 0.0, …". */
export function pgpoolLine(t: PgpoolTotals): string {
  const nodes = t.nodes.map(
    (n) =>
      `${n.host} ${n.role}${n.status === 'up' || n.status === 'waiting' ? '' : ` (${n.status})`} ${n.seconds > 0 ? fmtNum(n.selects / n.seconds, 1) : '-'}`,
  );
  return `${t.version} at ${t.at}: SELECTs sent per second (mean): ${nodes.length === 0 ? 'no node figures' : nodes.join(', ')}`;
}
