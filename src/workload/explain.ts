/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement of a workload module, with the parameters of one
 * draw of its params functions (a seeded Random, as client 0 of a run with that seed would draw).
 *
 * Each transaction runs inside BEGIN … ROLLBACK, so nothing it writes stays. Every statement is
 * explained under a savepoint that is rolled back, then executed for real, so later steps see what
 * earlier ones did (rows passed by `rows` callbacks, currval(), rows they update). The workload's
 * own BEGIN/COMMIT steps are skipped (the explain owns the transaction); statements EXPLAIN cannot
 * take (SET, LOCK, …) are executed, not explained. Plans are custom plans for these values: a
 * run's prepared statements may switch to a generic plan after five executions.
 */
import type { SetupDb, Vars, WorkloadDefinition, ParamValue } from './module/api.js';
import { ModuleRandom } from './module/random.js';
import { transactionWeight } from './module/program.js';
import { Prng, clientSeed } from './pgbench/prng.js';

export interface ExplainedStatement {
  readonly transaction: string;
  readonly step: number;
  readonly sql: string;
  readonly params: readonly (string | null)[];
  /** Text plan lines, or undefined for a statement that was executed but not explained. */
  readonly plan?: readonly string[];
  readonly executionMs?: number;
  readonly planningMs?: number;
  readonly error?: string;
}

export interface ExplainReport {
  readonly workload: string;
  readonly seed: number;
  readonly statements: readonly ExplainedStatement[];
}

const TXN_CONTROL = /^\s*(begin|start\s+transaction|commit|end|rollback|abort)\b/i;
const EXPLAINABLE = /^\s*(\(?\s*select|insert|update|delete|merge|with|values|table)\b/i;

function toText(v: ParamValue): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

function parseTiming(lines: readonly string[], label: string): number | undefined {
  const line = lines.find((l) => l.startsWith(`${label}:`));
  const m = line === undefined ? null : /([0-9.]+) ms/.exec(line);
  return m === null ? undefined : Number(m[1]);
}

/** Transactions that a run with these options would pick (weight > 0), in definition order. */
function explainedTransactions(def: WorkloadDefinition, options: unknown): string[] {
  const weights = def.weights?.(options as never);
  return Object.entries(def.transactions)
    .filter(([name, t]) => transactionWeight(weights, name, t) > 0)
    .map(([name]) => name);
}

export async function explainWorkload(db: SetupDb, name: string, def: WorkloadDefinition, options: unknown, seed: number): Promise<ExplainReport> {
  const random = new ModuleRandom(new Prng(clientSeed(BigInt(seed), 0)));
  const statements: ExplainedStatement[] = [];
  for (const txnName of explainedTransactions(def, options)) {
    const txn = def.transactions[txnName]!;
    const v: Vars = {};
    await db.query('begin');
    try {
      for (const [i, step] of txn.steps.entries()) {
        if (TXN_CONTROL.test(step.sql)) continue;
        const values = (step.params?.(random, v, options as never) ?? []).map(toText);
        const base = { transaction: txnName, step: i + 1, sql: step.sql.trim().replace(/\s+/g, ' '), params: values };
        if (!EXPLAINABLE.test(step.sql)) {
          await db.query(step.sql, values);
          statements.push(base);
          continue;
        }
        await db.query('savepoint pgsurge_explain');
        try {
          const r = await db.query(`explain (analyze, buffers, format text) ${step.sql}`, values);
          const plan = r.rows.map((row) => String(row['QUERY PLAN']));
          statements.push({
            ...base,
            plan,
            ...optional(
              'executionMs',
              parseTiming(
                plan.map((l) => l.trim()),
                'Execution Time',
              ),
            ),
            ...optional(
              'planningMs',
              parseTiming(
                plan.map((l) => l.trim()),
                'Planning Time',
              ),
            ),
          });
        } catch (e) {
          statements.push({ ...base, error: e instanceof Error ? e.message : String(e) });
          await db.query('rollback to savepoint pgsurge_explain');
          break; // the next steps would depend on this one
        }
        await db.query('rollback to savepoint pgsurge_explain');
        const real = await db.query(step.sql, values);
        step.rows?.(
          real.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, x]) => [k, x === null || x === undefined ? null : String(x)]))),
          v,
        );
      }
    } finally {
      await db.query('rollback');
    }
  }
  return { workload: name, seed, statements };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

/** The report as text: per statement its transaction, SQL, parameters (shortened) and plan. */
export function formatExplain(report: ExplainReport): string {
  const out: string[] = [`EXPLAIN (ANALYZE, BUFFERS) of ${report.workload}, parameters from one draw with seed ${report.seed}`];
  for (const s of report.statements) {
    out.push('', `── ${report.workload}.${s.transaction}, step ${s.step}${s.executionMs === undefined ? '' : `: ${s.executionMs} ms`}`, `   ${s.sql}`);
    if (s.params.length > 0)
      out.push(`   params: ${s.params.map((p) => (p === null ? 'NULL' : p.length > 60 ? `${p.slice(0, 57)}… (${p.length} chars)` : p)).join(' | ')}`);
    if (s.error !== undefined) out.push(`   error: ${s.error}`);
    else if (s.plan === undefined) out.push('   (executed, not explainable)');
    else out.push(...s.plan.map((l) => `   ${l}`));
  }
  return out.join('\n');
}
