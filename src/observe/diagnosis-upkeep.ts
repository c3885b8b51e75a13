/**
 * Diagnosis rules about what a run leaves behind on the server: transactions held open (they keep
 * their locks and keep VACUUM from removing dead rows), and tables and indexes that bloat. Pure
 * functions of the recorded samples and facts, like the rules of diagnosis.ts, which runs them.
 */
import type { Finding, OpenTransaction, ServerFacts, ServerSample } from './types.js';

/** What these rules read of a result (diagnosis.ts's DiagnosisInput fits). */
export interface UpkeepInput {
  readonly server: readonly ServerSample[];
  readonly facts: { readonly start: ServerFacts; readonly end?: ServerFacts };
}

export const UPKEEP_THRESHOLDS = {
  /** A transaction open (or a session idle in one) this long in a load test is a finding. */
  transactionS: 5,
  /** Sessions named per host. */
  transactionsShown: 3,
  /** Estimated bloat from this share of a relation, and at least bloatMinBytes. */
  bloatRatio: 0.3,
  bloatMinBytes: 1024 * 1024,
  /** Dead rows from this share of a table's rows, and at least deadMinRows (in a table of bloatMinBytes or more). */
  deadRatio: 0.2,
  deadMinRows: 1000,
} as const;

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;
const pct = (v: number): string => `${(v * 100).toFixed(0)} %`;

/** One session's worst moment: the sample where its transaction was oldest. */
interface Worst {
  t: OpenTransaction;
  /** End of that sample's interval, seconds from the measured start (when the snapshot was taken). */
  atEndS: number;
  /** The longest it sat idle in transaction, seconds (0: never idle in it past the bound). */
  idleS: number;
  atS: number[];
}

export function longTransactions(input: UpkeepInput): Finding[] {
  const bound = UPKEEP_THRESHOLDS.transactionS;
  const perHost = new Map<string, Map<number, Worst>>();
  for (const sample of input.server) {
    for (const h of sample.hosts) {
      if (!h.ok || h.transactions === undefined) continue;
      const worst = perHost.get(h.host) ?? new Map<number, Worst>();
      perHost.set(h.host, worst);
      for (const t of h.transactions.sessions) {
        if (t.xactS < bound) continue;
        const idle = t.state.startsWith('idle in transaction') ? (t.stateS ?? 0) : 0;
        const w = worst.get(t.pid);
        const atEndS = sample.tS + sample.durationS;
        if (w === undefined) worst.set(t.pid, { t, atEndS, idleS: idle >= bound ? idle : 0, atS: [sample.tS] });
        else {
          if (t.xactS >= w.t.xactS) Object.assign(w, { t, atEndS });
          if (idle >= bound) w.idleS = Math.max(w.idleS, idle);
          w.atS.push(sample.tS);
        }
      }
    }
  }
  const out: Finding[] = [];
  for (const [host, worst] of perHost) {
    const shown = [...worst.values()].sort((a, b) => b.t.xactS - a.t.xactS).slice(0, UPKEEP_THRESHOLDS.transactionsShown);
    for (const w of shown) {
      const { t } = w;
      const startS = w.atEndS - t.xactS;
      const since = startS <= 0 ? 'since before the run started' : `since ${startS.toFixed(1)} s into the run`;
      const who = `pid ${t.pid}${t.applicationName === '' ? '' : ` (application_name '${t.applicationName}')`}`;
      const query = t.query === '' ? '' : `, ${t.state.startsWith('idle') ? 'last' : 'running'} query "${t.query}"`;
      const held = 'it holds its locks and keeps VACUUM from removing dead rows meanwhile';
      out.push(
        w.idleS > 0
          ? {
              rule: 'idle-in-transaction',
              severity: 'warning',
              message:
                `${host}: ${who} sat idle in transaction for ${w.idleS.toFixed(1)} s (bound ${bound} s; transaction open ${t.xactS.toFixed(1)} s, ${since})${query}: ` +
                `${held}; commit or roll back promptly in the application, and set idle_in_transaction_session_timeout to bound it`,
              atS: w.atS,
            }
          : {
              rule: 'long-transaction',
              severity: 'warning',
              message:
                `${host}: a transaction stayed open ${t.xactS.toFixed(1)} s (bound ${bound} s; ${since}), ${who}, ${t.state}${query}: ` +
                `${held}; find why it takes so long (EXPLAIN ANALYZE), split it, or bound it with statement_timeout`,
              atS: w.atS,
            },
      );
    }
  }
  return out;
}

/** Bloat of the workload tables and indexes as of the end facts (the start's beside them when read). */
export function bloat(input: UpkeepInput): Finding[] {
  const th = UPKEEP_THRESHOLDS;
  const out: Finding[] = [];
  const endHosts = input.facts.end?.hosts ?? [];
  for (const h of endHosts.length > 0 ? endHosts : input.facts.start.hosts) {
    const when = endHosts.length > 0 ? 'at the end of the run' : 'at the start of the run';
    const start = endHosts.length > 0 ? input.facts.start.hosts.find((s) => s.host === h.host)?.bloat : undefined;
    for (const t of h.bloat?.tables ?? []) {
      const big = t.bloatRatio !== null && t.bloatBytes !== null && t.bloatRatio >= th.bloatRatio && t.bloatBytes >= th.bloatMinBytes;
      // Small tables (pgbench_branches, a queue) churn through dead rows that autovacuum and HOT
      // pruning clear as they go: only a table of some size is worth a finding.
      const dead = t.deadRatio !== null && t.deadRatio >= th.deadRatio && t.deadRows >= th.deadMinRows && t.bytes >= th.bloatMinBytes;
      if (!big && !dead) continue;
      const before = start?.tables.find((x) => x.name === t.name);
      const estimate =
        t.bloatRatio === null || t.bloatBytes === null
          ? 'no bloat estimate (no statistics: ANALYZE it)'
          : `an estimated ${pct(t.bloatRatio)} of its ${mb(t.bytes)} is dead or free space (${mb(t.bloatBytes)})` +
            (before?.bloatRatio == null ? '' : `, ${pct(before.bloatRatio)} of ${mb(before.bytes)} at the start`);
      const deadText = t.deadRatio === null ? '' : `; ${pct(t.deadRatio)} of its rows are dead (${t.deadRows} dead, ${t.liveRows} live)`;
      out.push({
        rule: 'table-bloat',
        severity: 'warning',
        message:
          `${h.host}: table ${t.name} ${when}: ${estimate}${deadText}: scans read the dead space too; ` +
          `check that autovacuum reaches it (autovacuum_enabled, autovacuum_vacuum_scale_factor) and VACUUM it; VACUUM FULL or pg_repack gives the space back`,
      });
    }
    for (const i of h.bloat?.indexes ?? []) {
      if (i.bloatRatio === null || i.bloatBytes === null || i.bloatRatio < th.bloatRatio || i.bloatBytes < th.bloatMinBytes) continue;
      const before = start?.indexes.find((x) => x.name === i.name);
      out.push({
        rule: 'index-bloat',
        severity: 'warning',
        message:
          `${h.host}: index ${i.name} on ${i.table} ${when}: an estimated ${pct(i.bloatRatio)} of its ${mb(i.bytes)} is dead or free space (${mb(i.bloatBytes)})` +
          `${before?.bloatRatio == null ? '' : `, ${pct(before.bloatRatio)} of ${mb(before.bytes)} at the start`}: ` +
          `lookups touch more pages than they need; REINDEX INDEX CONCURRENTLY ${i.name} rebuilds it, and VACUUM keeps it from growing again`,
      });
    }
  }
  return out;
}
