/**
 * The HA part of a run, before and after the load (called from src/cli/run-command.ts):
 *
 * before: the primary's WAL timeline; whenever ha-writes runs, its tables emptied: its write ids
 *         start at 0 in every run, so a second run on the same database would collide with the
 *         first one's rows (duplicate keys), and the final state must hold this run's writes only.
 * after:  the workers' snapshots merged into the `failover` section; from the current primary (found
 *         again: it may be another host now) the timeline, the server-side gap from the rows and the
 *         write verification; the thresholds `rto` and `lost` evaluated; the findings diagnosed
 *         again with the outages the clients measured, so that latency in them is not blamed on the
 *         checkpoints a restarted or promoted server makes.
 *
 * The section's type is derived from its schema (src/report/failover-schema.ts); its text is
 * src/report/failover-text.ts, part of the summary.
 *
 * Deadlines: every query here and in verify-writes.ts runs on a client from openAdminClient (its
 * default silence deadline: a long read the server works on goes on, a server or path that stopped
 * answering is given up on, naming the host and the statement); finding the primary is bounded by
 * connect_timeout per host and attempt (driver/hosts.ts) and by `waitMs` over the attempts. A
 * primary that stops answering mid-way makes the verification NOT VERIFIED with that line; the
 * run's result is written all the same.
 *
 * Exit code: a failed verification (lost or unexpected writes, a broken invariant, or no primary to
 * verify against) makes the run exit 1 — "the run failed" of DESIGN.md's codes — before any
 * threshold's 99, because a lost acknowledged write is the one finding a failover test exists for.
 */
import type pg from 'pg';
import { openAdminClient } from '../driver/admin-client.js';
import { selectHost } from '../driver/hosts.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { usageError } from '../errors.js';
import { evaluateThresholds, type Threshold } from '../metrics/thresholds.js';
import { diagnose } from '../observe/diagnosis.js';
import type { FailoverResult } from '../report/failover-schema.js';
import { verdictOf, type ResultV1 } from '../report/result.js';
import { round } from '../util/round.js';
import { resetHaWrites } from '../workload/builtin/ha-writes.js';
import { mergeHaSnapshots } from './failover-section.js';
import { poolerView } from './pooler-view.js';
import { currentTimeline, serverGaps, type ServerGaps } from './server-gap.js';
import { haWritesTypes, verifyHaWrites } from './verify-writes.js';

export interface HaPrepared {
  readonly verify: boolean;
  readonly usesHaWrites: boolean;
  readonly timelineBefore: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The host that takes writes now (several hosts: asked in turn, like target_session_attrs=read-write). */
async function openPrimary(conn: ConnInfo, waitMs: number): Promise<{ client: pg.Client; host: string }> {
  const ci: ConnInfo = conn.hosts.length > 1 && conn.targetSessionAttrs === 'any' ? { ...conn, targetSessionAttrs: 'read-write' } : conn;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const host: HostSpec = ci.targetSessionAttrs === 'any' ? ci.hosts[0]! : await selectHost(ci);
      return { client: await openAdminClient(ci, host), host: `${host.host}:${host.port}` };
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(250);
    }
  }
}

const haAccounts = (moduleOptions: (file: string) => Readonly<Record<string, unknown>> | undefined): number =>
  Number(moduleOptions('builtin:ha-writes')?.['accounts'] ?? 100);

async function emptyHaWrites(conn: ConnInfo, moduleOptions: (file: string) => Readonly<Record<string, unknown>> | undefined): Promise<void> {
  const { client } = await openPrimary(conn, 0);
  try {
    await resetHaWrites(client, haAccounts(moduleOptions));
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function prepareHa(
  opts: { readonly failover: boolean; readonly verifyWrites: boolean },
  conn: ConnInfo,
  programNames: readonly string[],
  moduleOptions: (file: string) => Readonly<Record<string, unknown>> | undefined,
): Promise<HaPrepared | undefined> {
  const types = haWritesTypes(programNames);
  const usesHaWrites = types.insert.length + types.transfer.length + types.increment.length > 0;
  if (!opts.failover && !opts.verifyWrites) {
    if (usesHaWrites) await emptyHaWrites(conn, moduleOptions);
    return undefined;
  }
  if (opts.verifyWrites && !usesHaWrites) {
    throw usageError(
      'VERIFY_WRITES_WORKLOAD',
      '--verify-writes needs the ha-writes workload (pgsurge run ha-writes --verify-writes …): it is the one whose final state pgsurge knows how to check',
    );
  }
  if (types.insert.length > 1) throw usageError('VERIFY_WRITES_WORKLOAD', 'ha-writes may run only once in a run (its ids are per client)');
  const { client } = await openPrimary(conn, 0);
  try {
    const timelineBefore = await currentTimeline(client).catch(() => null);
    if (usesHaWrites) await resetHaWrites(client, haAccounts(moduleOptions));
    return { verify: opts.verifyWrites, usesHaWrites, timelineBefore };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The failover section of a run still going (the live page, the API's result so far): the outages
 * and reconnects the workers sent with their intervals, an outage still open running to now. What
 * only the end can tell — write counts, the timeline after, the server's gap, the verification —
 * is left out. Undefined while nothing has failed.
 */
export function liveFailover(
  prepared: HaPrepared,
  soFar: { readonly haLive: readonly unknown[]; readonly measureStartUs: number; readonly durationS: number },
): FailoverResult | undefined {
  if (soFar.haLive.length === 0) return undefined;
  const { section } = mergeHaSnapshots(soFar.haLive, {
    measureStartUs: soFar.measureStartUs,
    runEndUs: soFar.measureStartUs + soFar.durationS * 1e6,
    typeNames: [],
  });
  return {
    ...section,
    timeline: { before: prepared.timelineBefore, after: null },
    primaryAfter: null,
    server: null,
    clientMinusServerS: null,
    soFar: true,
  };
}

export async function finishHa(
  prepared: HaPrepared,
  ctx: {
    readonly conn: ConnInfo;
    readonly result: ResultV1;
    readonly haSnapshots: readonly unknown[];
    readonly measureStartUs: number;
    readonly typeNames: readonly string[];
    readonly thresholds: readonly Threshold[];
  },
): Promise<ResultV1> {
  const { result } = ctx;
  const merged = mergeHaSnapshots(ctx.haSnapshots, {
    measureStartUs: ctx.measureStartUs,
    runEndUs: ctx.measureStartUs + result.durationS * 1e6,
    typeNames: ctx.typeNames,
  });
  let timelineAfter: string | null = null;
  let server: ServerGaps | null = null;
  let verification: FailoverResult['verification'];
  let primaryAfter: string | null = null;
  try {
    // After a failover the new primary may still be on its way: give it a while.
    const { client, host } = await openPrimary(ctx.conn, 15_000);
    primaryAfter = host;
    try {
      timelineAfter = await currentTimeline(client).catch(() => null);
      if (prepared.usesHaWrites) server = await serverGaps(client, ctx.measureStartUs).catch(() => null);
      if (prepared.verify) {
        verification = await verifyHaWrites(client, host, {
          typeNames: ctx.typeNames,
          ledger: merged.ledger,
          outcomes: merged.outcomes,
          unfinished: result.summary.unfinished,
        });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    // Found but stopped answering (the admin client's deadline gave up; its line names the host), or not found at all.
    const why =
      primaryAfter === null
        ? `no primary to read the final state from: ${error}`
        : `the final state could not be read from ${error.startsWith(`${primaryAfter}: `) ? error : `${primaryAfter}: ${error}`}`;
    if (prepared.verify) verification = { verdict: 'NOT VERIFIED', ok: false, error: why };
  }
  const serverS = server?.largest?.durationS ?? null;
  const pooler = poolerView(result.server);
  const failover: FailoverResult = {
    ...merged.section,
    ...(pooler === undefined ? {} : { pooler }),
    timeline: { before: prepared.timelineBefore, after: timelineAfter },
    primaryAfter,
    server,
    clientMinusServerS: serverS === null || merged.section.outages.length === 0 ? null : round(merged.section.rtoS - serverS, 3),
    ...(verification === undefined ? {} : { verification }),
  };
  const lost = verification !== undefined && 'lost' in verification ? verification.lost : null;
  const thresholds = evaluateThresholds(ctx.thresholds, { ...result.summary, rtoMs: merged.section.rtoS * 1000, lost });
  return { ...result, thresholds, verdict: verdictOf(thresholds), failover, ...rediagnosed(result, failover) };
}

/** The findings again, now with the outages the clients measured (see the header). */
function rediagnosed(result: ResultV1, failover: FailoverResult): Pick<ResultV1, 'findings'> | Record<string, never> {
  if (result.serverFacts === undefined || failover.outages.length === 0) return {};
  const outages = failover.outages.map((o) => ({ startS: o.startS, endS: o.endS }));
  return { findings: diagnose({ intervals: result.intervals, server: result.server, facts: result.serverFacts, outages }) };
}

/** 1 when --verify-writes found a problem (or could not check); undefined otherwise. */
export function failoverExitCode(result: ResultV1): number | undefined {
  const v = result.failover?.verification;
  return v !== undefined && !v.ok ? 1 : undefined;
}
