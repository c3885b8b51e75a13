/**
 * The pooler's side of a failover, from the server samples of the run: the console readings a
 * PgBouncer or Pgpool-II gave at the ends of the intervals (src/observe/pooler.ts). Interval
 * granularity: a wait shorter than an interval shows only if it was under way at an interval's
 * end, and a figure's time is the start of the interval whose end it was read at.
 */
import type { PoolerView } from '../report/failover-schema.js';
import type { ServerSample } from '../report/result.js';

type At = { value: number; atS: number } | null;

function extreme(cur: At, value: number | null, atS: number, keep: (a: number, b: number) => boolean): At {
  if (value === null || !Number.isFinite(value)) return cur;
  return cur === null || keep(value, cur.value) ? { value, atS } : cur;
}

/** The pooler's view, or undefined when no sample carries a pooler reading. */
export function poolerView(server: readonly ServerSample[]): PoolerView | undefined {
  let view: PoolerView | undefined;
  let nodes = new Map<string, string>();
  for (const sample of server) {
    for (const h of sample.hosts) {
      const p = h.pooler;
      if (p === undefined || p.error !== undefined) continue;
      view ??= { kind: p.kind, version: p.version, at: p.at, clientsWaitingMax: null, maxWaitMs: null, serverConnectionsMin: null, nodeChanges: [] };
      if (p.kind === 'pgbouncer') {
        view.clientsWaitingMax = extreme(view.clientsWaitingMax, p.clientsWaiting, sample.tS, (a, b) => a > b);
        view.maxWaitMs = extreme(view.maxWaitMs, p.maxWaitMs, sample.tS, (a, b) => a > b);
        const servers = p.serversActive === null || p.serversIdle === null ? null : p.serversActive + p.serversIdle;
        view.serverConnectionsMin = extreme(view.serverConnectionsMin, servers, sample.tS, (a, b) => a < b);
      } else {
        const now = new Map(p.nodes.map((n) => [n.host, `${n.status} ${n.role}`]));
        for (const [host, state] of now) {
          const before = nodes.get(host);
          if (before !== undefined && before !== state) view.nodeChanges.push({ atS: sample.tS, host, before, after: state });
        }
        if (now.size > 0) nodes = now;
      }
    }
  }
  return view;
}
