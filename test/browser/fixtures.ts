/**
 * A real result stretched into the worst case the HTML report must handle: an hour of intervals,
 * server samples (per host, nested, with fields the report has never heard of), failover outages,
 * findings, failures, a second transaction type and names that would break unescaped HTML.
 */
import type { HtmlResult } from '../../src/report/html-charts.js';
import type { ResultV1 } from '../../src/report/result.js';

/** A name no report may print raw. */
export const HOSTILE_NAME = '<script>alert("x")</script>&"\'';

export function longResult(base: ResultV1, intervals = 3600): HtmlResult {
  const src = base.intervals.filter((i) => i.transactions > 0);
  if (src.length === 0) throw new Error('base result has no interval with transactions');
  const iv = Array.from({ length: intervals }, (_, k) => {
    const b = src[k % src.length]!;
    const wave = 1 + 0.2 * Math.sin(k / 120);
    const inOutage = k >= 1800 && k < 1812;
    return {
      ...b,
      tS: k,
      durationS: 1,
      tps: inOutage ? 0 : Math.round(b.tps * wave * 1000) / 1000,
      transactions: inOutage ? 0 : b.transactions,
      latencyMs: inOutage ? { mean: null, p50: null, p90: null, p99: null, max: null } : b.latencyMs,
      failed: inOutage ? 40 : k % 97 === 0 ? 2 : 0,
      errors: inOutage ? { connection: 40 } : k % 97 === 0 ? { serialization: 2 } : {},
    };
  });
  const server = iv.flatMap((i) =>
    ['primary', 'replica'].map((host) => ({
      tS: i.tS,
      host,
      connections: { active: 4, idle: 2, total: 6 },
      cacheHitRatio: 0.99 - (i.tS % 60) / 6000,
      commitsPerS: i.tps,
      rollbacksPerS: i.failed,
      walBytesPerS: i.tps * 800,
      replicationLagBytes: host === 'replica' ? (i.tS % 30) * 1000 : 0,
      replay_lsn: 123456789,
      cpuPercent: 40 + (i.tS % 20),
      memRssMb: 512,
      brandNewGauge: i.tS % 7,
      note: 'strings are ignored',
    })),
  );
  const [typeName, type] = Object.entries(base.transactionTypes)[0]!;
  const hist = base.histograms[typeName] ?? '';
  return {
    ...base,
    durationS: intervals,
    intervals: iv,
    server,
    transactionTypes: {
      [typeName]: type,
      [HOSTILE_NAME]: { ...type, statements: type.statements.map((s) => ({ ...s, sql: `${s.sql} -- </td><b>${HOSTILE_NAME}` })) },
    },
    histograms: { [typeName]: hist, [HOSTILE_NAME]: hist },
    summary: {
      ...base.summary,
      failed: 500,
      errors: { ...base.summary.errors, connection: 480, serialization: 20 },
      firstErrors: { connection: `server closed the connection ${HOSTILE_NAME}` },
    },
    thresholds: [
      { expr: 'p99<100ms', ok: true, actual: 'p99 = 83.071 ms' },
      { expr: 'errors<0.1%', ok: false, actual: 'errors = 0.2%' },
    ],
    failover: { outages: [{ startS: 1800, endS: 1812.4 }], lostWrites: 0, rtoS: 12.4 },
    findings: [
      { rule: 'cache-hit-ratio', severity: 'warning', message: `cache hit ratio fell below 99% ${HOSTILE_NAME}` },
      { rule: 'failover', severity: 'info', message: 'one outage of 12.4 s; no acknowledged write was lost' },
    ],
  };
}
