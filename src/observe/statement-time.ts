/**
 * The server's time per statement (LiveOutput "statement-time"): pg_stat_statements read at the
 * start and at the end of the measured phase on the load's host, the differences joined to the
 * workload's statements by shape (statement-shape.ts), into the result's `statementServerTime`.
 *
 * Costs nothing per interval: one short connection before the load and one at its end. With no
 * warm-up the start reading is taken in open(), before the workers connect: nothing of the
 * workload reaches the server between then and the measured phase (the workers only prepare
 * statements, which pg_stat_statements does not count as calls), so the calls match the client's
 * counts exactly. With a warm-up the connection stays open through it and the reading is taken
 * when the measured phase starts (statements finishing while it is read may fall on either side).
 *
 * Matching (what cannot match): entries are those of the run's database and user, top-level only;
 * statements of other sessions of that user with the same shape are counted in (the docs say so);
 * a statement whose entry was evicted during the run (pg_stat_statements.max: the section counts
 * the evictions) or that the server records under another text (it keeps the first text it saw
 * for a query id) may find no entry.
 * Never fails the run: a missing extension, a refused connection or a stalled server is a status
 * in the section.
 */
import type pg from 'pg';
import { openAdminClient, samplingDeadline } from '../driver/admin-client.js';
import { nowUs } from '../engine/clock.js';
import type { MetricsLayout } from '../metrics/types.js';
import type { LiveOutput, ResultAdditions, RunContext, RunEnd } from '../output/types.js';
import type { StatementServer, StatementServerTime } from '../report/statement-time-schema.js';
import { round } from '../util/round.js';
import {
  readPgStatStatements,
  readStatementCounters,
  type Capabilities,
  type PgStatStatementsStatus,
  type StatementCounters,
  type StatementReading,
} from './server-queries.js';
import { statementShape } from './statement-shape.js';

/**
 * What stop() may take in all. The run waits for its outputs one sampling deadline plus 5 s
 * (run-command.ts); the server observer, stopped before this output, may use the first part.
 */
const STOP_WITHIN_MS = 4_000;

/** A counter reset (pg_stat_statements_reset, an evicted entry) shows as a negative delta: 0 then. */
const delta = (a: number, b: number): number => Math.max(0, b - a);

/** The entries' differences between two readings; entries without calls in between are left out. */
export function statementDeltas(start: StatementReading, end: StatementReading): StatementCounters[] {
  const out: StatementCounters[] = [];
  for (const [id, e] of end.entries) {
    const s = start.entries.get(id);
    const calls = delta(s?.calls ?? 0, e.calls);
    if (calls === 0) continue;
    out.push({
      query: e.query,
      calls,
      execMs: delta(s?.execMs ?? 0, e.execMs),
      planMs: delta(s?.planMs ?? 0, e.planMs),
      rows: delta(s?.rows ?? 0, e.rows),
      sharedBlksHit: delta(s?.sharedBlksHit ?? 0, e.sharedBlksHit),
      sharedBlksRead: delta(s?.sharedBlksRead ?? 0, e.sharedBlksRead),
    });
  }
  return out;
}

/**
 * Per statement of the layout, the entries of its shape summed; statements no entry matches get no
 * row. A shape several statements share is one set of figures, given to each with `sharedBy`.
 */
export function joinStatementTimes(layout: MetricsLayout, deltas: readonly StatementCounters[], planningTracked: boolean): StatementServer[] {
  const byShape = new Map<string, StatementCounters>();
  for (const d of deltas) {
    const shape = statementShape(d.query);
    const acc = byShape.get(shape);
    byShape.set(
      shape,
      acc === undefined
        ? d
        : {
            query: acc.query,
            calls: acc.calls + d.calls,
            execMs: acc.execMs + d.execMs,
            planMs: acc.planMs + d.planMs,
            rows: acc.rows + d.rows,
            sharedBlksHit: acc.sharedBlksHit + d.sharedBlksHit,
            sharedBlksRead: acc.sharedBlksRead + d.sharedBlksRead,
          },
    );
  }
  const refs = layout.txnTypes.flatMap((t) => t.statements.map((sql, statement) => ({ type: t.name, statement, shape: statementShape(sql) })));
  const sharing = new Map<string, number>();
  for (const r of refs) sharing.set(r.shape, (sharing.get(r.shape) ?? 0) + 1);
  const out: StatementServer[] = [];
  for (const r of refs) {
    const d = byShape.get(r.shape);
    if (d === undefined || d.calls === 0) continue;
    out.push({
      type: r.type,
      statement: r.statement,
      calls: d.calls,
      execMsMean: round(d.execMs / d.calls, 4),
      planMsMean: planningTracked ? round(d.planMs / d.calls, 4) : null,
      rows: d.rows,
      sharedBlksHit: d.sharedBlksHit,
      sharedBlksRead: d.sharedBlksRead,
      sharedBy: sharing.get(r.shape) ?? 1,
    });
  }
  return out;
}

/** Why pg_stat_statements cannot be read, and what the user does about it. */
export function unavailableOf(host: string, database: string, status: Exclude<PgStatStatementsStatus, { kind: 'ready' }>): StatementServerTime {
  const create = `CREATE EXTENSION pg_stat_statements in database "${database}" (as a superuser)`;
  switch (status.kind) {
    case 'too-old':
      return {
        status: 'unavailable',
        host,
        reason: `PostgreSQL ${Math.floor(status.versionNum / 10000)} is older than 13 (pg_stat_statements has no total_exec_time there)`,
        hint: 'use PostgreSQL 13 or later for the server time per statement',
      };
    case 'not-preloaded':
      return {
        status: 'unavailable',
        host,
        reason: 'pg_stat_statements is not in shared_preload_libraries',
        hint:
          `add it (ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', keeping any library already listed), restart the server` +
          (status.created ? '' : `, then run ${create}`),
      };
    case 'not-created':
      return { status: 'unavailable', host, reason: `pg_stat_statements is loaded but not created in database "${database}"`, hint: `run ${create}` };
  }
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `p`, or a rejection once `ms` have passed (p goes on, unobserved). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 100) / 10} s (${what})`)), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Phase =
  | { readonly kind: 'idle' }
  | { readonly kind: 'open'; readonly client: pg.Client; readonly caps: Capabilities }
  | {
      readonly kind: 'started';
      readonly caps: Capabilities;
      readonly first: Promise<StatementReading>;
      /** Gives up a start reading still waiting for the end of a warm-up (a run that failed). */
      readonly cancel: () => void;
    }
  | { readonly kind: 'done'; readonly section: StatementServerTime };

export function createStatementTimeObserver(): LiveOutput {
  let ctx: RunContext | undefined;
  let host = '';
  let phase: Phase = { kind: 'idle' };
  const close = (client: pg.Client): Promise<void> => client.end().catch(() => undefined);

  /** A connection within `ms`; one that comes later is closed, never left open. */
  const connect = async (ms: number, what: string): Promise<pg.Client> => {
    const c = ctx!;
    const giveUp = new AbortController();
    const opening = openAdminClient(c.conn, c.host, { deadline: samplingDeadline(c.intervalMs), signal: giveUp.signal });
    try {
      return await within(opening, ms, what);
    } catch (e) {
      giveUp.abort();
      opening.then(close, () => undefined);
      throw e;
    }
  };

  return {
    name: 'statement-time',

    async open(c: RunContext): Promise<void> {
      ctx = c;
      host = `${c.host.host}:${c.host.port}`;
      let client: pg.Client | undefined;
      try {
        client = await connect(samplingDeadline(c.intervalMs).ms, 'connecting');
        const found = await readPgStatStatements(client);
        if (found.status.kind !== 'ready') {
          const db = await client.query<{ db: string }>('select current_database() as db');
          phase = { kind: 'done', section: unavailableOf(host, db.rows[0]?.db ?? '', found.status) };
          await close(client);
          return;
        }
        const caps: Capabilities = { versionNum: found.versionNum, pgStatStatements: true };
        if ((c.warmupMs ?? 0) > 0) {
          phase = { kind: 'open', client, caps };
          return;
        }
        const first = await within(readStatementCounters(client, caps), samplingDeadline(c.intervalMs).ms, 'reading pg_stat_statements');
        phase = { kind: 'started', caps, first: Promise.resolve(first), cancel: () => undefined };
        await close(client);
      } catch (e) {
        // The run goes on without these figures; the section says why.
        phase = { kind: 'done', section: { status: 'failed', host, reason: reasonOf(e) } };
        if (client !== undefined) await close(client);
      }
    },

    start(measureStartUs: number): void {
      if (phase.kind !== 'open') return;
      const { client, caps } = phase;
      let timer: NodeJS.Timeout | undefined;
      const first = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, (measureStartUs - nowUs()) / 1000));
      })
        .then(() => readStatementCounters(client, caps))
        .finally(() => close(client));
      // Awaited (and its failure said) in stop(); never an unhandled rejection meanwhile.
      first.catch(() => undefined);
      const cancel = (): void => {
        clearTimeout(timer);
        void close(client);
      };
      phase = { kind: 'started', caps, first, cancel };
    },

    async stop(end: RunEnd): Promise<ResultAdditions | undefined> {
      const current = phase;
      phase = { kind: 'done', section: { status: 'failed', host, reason: 'stopped' } };
      switch (current.kind) {
        case 'idle':
          return undefined;
        case 'done':
          return { statementServerTime: current.section };
        case 'open':
          // The load never started (a failed run): nothing to measure.
          await close(current.client);
          return undefined;
        case 'started':
          break;
      }
      if (end.intervals.length === 0) {
        current.cancel();
        return undefined;
      }
      const untilUs = nowUs() + STOP_WITHIN_MS * 1000;
      const left = (): number => Math.max(0, (untilUs - nowUs()) / 1000);
      let client: pg.Client | undefined;
      try {
        const first = await within(current.first, left(), 'reading pg_stat_statements at the start');
        client = await connect(left(), 'connecting at the end');
        const last = await within(readStatementCounters(client, current.caps), left(), 'reading pg_stat_statements at the end');
        const statements = joinStatementTimes(ctx!.layout, statementDeltas(first, last), last.planningTracked);
        const evictions = first.deallocs === null || last.deallocs === null ? undefined : delta(first.deallocs, last.deallocs);
        return {
          statementServerTime: {
            status: 'measured',
            host,
            planningTracked: last.planningTracked,
            statements,
            ...(evictions === undefined ? {} : { evictions }),
          },
        };
      } catch (e) {
        return { statementServerTime: { status: 'failed', host, reason: reasonOf(e) } };
      } finally {
        // Not awaited: closing a connection to a server that stopped answering waits for it a while.
        if (client !== undefined) void close(client);
      }
    },
  };
}
