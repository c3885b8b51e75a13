/**
 * Spread a setup's independent pieces of work (one partition's load each) over N connections, one
 * piece per connection at a time. One connection (`jobs` 1, or one piece) runs on setup's own
 * handle and opens nothing. The first failure stops the rest: no connection takes a new piece, the
 * statements still running on the others are cancelled, and the failure is thrown once, naming its
 * piece; the others' cancellations are its consequence and are not reported.
 */
import type { SetupContext, SetupDb, SetupSession } from '../module/api.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgsurgeError } from '../../errors.js';

const CANCEL_REPEAT_MS = 100;

export interface OnSessionsOptions<T> {
  readonly db: SetupDb;
  readonly ctx: SetupContext;
  /** Connections at most; never more than there are items. */
  readonly jobs: number;
  readonly items: readonly T[];
  /** How a failure names its item, e.g. "partition purchases_2026_03". */
  readonly label: (item: T) => string;
  /** One item's work on one connection. It must leave the connection usable when it fails (roll back what it began). */
  readonly work: (session: SetupDb, item: T) => Promise<void>;
}

interface Failure<T> {
  readonly item: T;
  readonly error: unknown;
}

export async function forEachOnSessions<T>(opts: OnSessionsOptions<T>): Promise<void> {
  const { db, ctx, items, label, work } = opts;
  const n = Math.min(opts.jobs, items.length);
  if (n === 0) return;
  const opened: SetupSession[] = [];
  try {
    const sessions: SetupDb[] = n === 1 ? [db] : await openSessions(ctx, n, opened);
    const pids = n === 1 ? [] : await Promise.all(sessions.map(async (s) => Number((await s.query('select pg_backend_pid() as pid')).rows[0]?.['pid'])));
    let next = 0;
    // A holder, not a `let`: workers set it from their closures.
    const state: { failure?: Failure<T> } = {};
    // Which worker is inside a piece of work: only those are cancelled.
    const busy = sessions.map(() => false);
    const stopOthers = async (self: number): Promise<void> => {
      // A cancel that reaches a session between two statements does nothing (its next statement
      // would then run to its end), so it is repeated until every other piece has ended.
      for (;;) {
        const others = pids.filter((_, i) => i !== self && busy[i] === true);
        if (others.length === 0) return;
        await db.query('select pg_cancel_backend(p) from unnest($1::int[]) as p', [others]).catch(() => undefined);
        await sleep(CANCEL_REPEAT_MS);
      }
    };
    const worker = async (i: number, session: SetupDb): Promise<void> => {
      while (state.failure === undefined && next < items.length) {
        const item = items[next++] as T;
        busy[i] = true;
        try {
          await work(session, item);
        } catch (error) {
          if (state.failure !== undefined) return; // cancelled because another piece failed
          state.failure = { item, error };
          await stopOthers(i);
          return;
        } finally {
          busy[i] = false;
        }
      }
    };
    await Promise.all(sessions.map((s, i) => worker(i, s)));
    const f = state.failure;
    if (f !== undefined) {
      const message = f.error instanceof Error ? f.error.message : String(f.error);
      throw new PgsurgeError('SETUP_PART_FAILED', `${label(f.item)}: ${message}`, { cause: f.error });
    }
  } finally {
    await Promise.all(opened.map((s) => s.end().catch(() => undefined)));
  }
}

async function openSessions(ctx: SetupContext, n: number, opened: SetupSession[]): Promise<SetupSession[]> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => ctx.openSession()));
  for (const r of results) if (r.status === 'fulfilled') opened.push(r.value);
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad !== undefined) throw bad.reason;
  return opened;
}
