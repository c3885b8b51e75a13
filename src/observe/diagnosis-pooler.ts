/**
 * Diagnosis rules about a pooler in front of the target: how much of the clients' latency was
 * waiting for one of PgBouncer's server connections, and whether Pgpool-II sent any read to the
 * replicas it balances over. Pure function of the recorded samples, like the
 * rules of diagnosis.ts, which runs it.
 */
import { fmtNum } from '../report/format.js';
import { meanWaiting, pgpoolTotals, poolerTotals, waitPerTransactionMs } from '../report/pooler-totals.js';
import type { Finding, ServerSample } from './types.js';

/** What this rule reads of a result (diagnosis.ts's DiagnosisInput fits). */
export interface PoolerInput {
  readonly intervals: readonly { readonly tps: number; readonly latencyMs: { readonly mean?: number | null } }[];
  readonly server: readonly ServerSample[];
}

export const POOLER_THRESHOLDS = {
  /** A wait from this share of the clients' mean latency is a finding. */
  latencyShare: 0.1,
  /** Without a client latency to weigh it against: this many clients waiting on average. */
  meanWaiting: 0.5,
} as const;

/** The clients' mean latency over the intervals, weighted by their transactions. */
function clientMeanMs(intervals: PoolerInput['intervals']): number | null {
  let n = 0;
  let sum = 0;
  for (const i of intervals) {
    const m = i.latencyMs.mean;
    if (m === null || m === undefined || !(i.tps > 0)) continue;
    n += i.tps;
    sum += i.tps * m;
  }
  return n > 0 ? sum / n : null;
}

export function poolWait(input: PoolerInput): Finding[] {
  const out: Finding[] = [];
  const latencyMs = clientMeanMs(input.intervals);
  for (const t of poolerTotals(input.server)) {
    const mean = meanWaiting(t);
    const perTxn = waitPerTransactionMs(t);
    if (mean === null || perTxn === null || t.waitS === 0) continue;
    const share = latencyMs === null || latencyMs <= 0 ? null : perTxn / latencyMs;
    if (share === null ? mean < POOLER_THRESHOLDS.meanWaiting : share < POOLER_THRESHOLDS.latencyShare) continue;
    const size = t.poolSize === null ? 'its pool' : `pool size ${fmtNum(t.poolSize)}`;
    const clients = t.peakClients === null ? '' : ` for up to ${fmtNum(t.peakClients)} clients`;
    out.push({
      rule: 'pool-wait',
      severity: 'warning',
      message:
        `clients waited on the pool of ${t.version} at ${t.at} for ${fmtNum(perTxn, 2)} ms per transaction` +
        (share === null ? '' : `, ${fmtNum(Math.min(1, share) * 100, 0)} % of their mean latency (${fmtNum(latencyMs!, 2)} ms)`) +
        `, ${fmtNum(mean, 2)} waiting on average: ${size}${clients} is the bound; ` +
        "raise its default_pool_size (within the server's max_connections) or run fewer clients",
      atS: [...t.waitedAtS],
    });
  }
  return out;
}

/**
 * Pgpool-II with standbys up that sent every SELECT to the primary: its load balancing did not
 * balance (load_balance_mode off, reads inside transactions that wrote, functions it does not know
 * to be read-only, a standby past delay_threshold).
 */
export function pgpoolReads(input: PoolerInput): Finding[] {
  const out: Finding[] = [];
  for (const t of pgpoolTotals(input.server)) {
    const standbys = t.nodes.filter((n) => n.role === 'standby' && (n.status === 'up' || n.status === 'waiting'));
    const primary = t.nodes.find((n) => n.role === 'primary');
    const toStandbys = standbys.reduce((a, n) => a + n.selects, 0);
    if (standbys.length === 0 || primary === undefined || primary.selects < 1 || toStandbys > 0) continue;
    out.push({
      rule: 'pgpool-no-replica-reads',
      severity: 'warning',
      message:
        `${t.version} at ${t.at} sent 0 reads to the ${standbys.length} replica${standbys.length === 1 ? '' : 's'} up (${standbys.map((n) => n.host).join(', ')}): ` +
        `all ${fmtNum(primary.selects)} SELECTs went to the primary ${primary.host}; ` +
        "check load_balance_mode, reads inside transactions that wrote (disable_load_balance_on_write), functions not in read_only_function_list, and the standbys' delay_threshold",
    });
  }
  return out;
}
