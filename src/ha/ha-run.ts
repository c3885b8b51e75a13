/**
 * The HA part of a run, before and after the load (called from src/cli/run-command.ts):
 *
 * before: the primary's WAL timeline; with --verify-writes, the ha-writes tables emptied so the
 *         final state holds this run's writes only.
 * after:  the workers' snapshots merged into the `failover` section; from the current primary (found
 *         again: it may be another host now) the timeline, the server-side gap from the rows and the
 *         write verification; the thresholds `rto` and `lost` evaluated.
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
import type { ResultV1 } from '../report/result.js';
import { round } from '../util/round.js';
import { resetHaWrites } from '../workload/builtin/ha-writes.js';
import { mergeHaSnapshots, type FailoverSection } from './failover-section.js';
import { currentTimeline, serverGaps, type ServerGaps } from './server-gap.js';
import { haWritesTypes, verifyHaWrites, type WriteVerification } from './verify-writes.js';

export interface HaPrepared {
  readonly verify: boolean;
  readonly usesHaWrites: boolean;
  readonly timelineBefore: string | null;
}

export interface FailoverResult extends FailoverSection {
  readonly timeline: { readonly before: string | null; readonly after: string | null };
  /** From the ha-writes rows (null without them). */
  readonly server: ServerGaps | null;
  /** Client outage (rtoS) minus the server's largest gap: near 0 when both saw the same outage. */
  readonly clientMinusServerS: number | null;
  readonly verification?: WriteVerification | { readonly verdict: 'NOT VERIFIED'; readonly ok: false; readonly error: string };
  readonly primaryAfter: string | null;
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

export async function prepareHa(
  opts: { readonly failover: boolean; readonly verifyWrites: boolean },
  conn: ConnInfo,
  programNames: readonly string[],
  moduleOptions: (file: string) => Readonly<Record<string, unknown>> | undefined,
): Promise<HaPrepared | undefined> {
  if (!opts.failover && !opts.verifyWrites) return undefined;
  const types = haWritesTypes(programNames);
  const usesHaWrites = types.insert.length + types.transfer.length + types.increment.length > 0;
  if (opts.verifyWrites && !usesHaWrites) {
    throw usageError('VERIFY_WRITES_WORKLOAD', '--verify-writes needs the ha-writes workload (pgsurge run ha-writes --verify-writes …): it is the one whose final state pgsurge knows how to check');
  }
  if (types.insert.length > 1) throw usageError('VERIFY_WRITES_WORKLOAD', 'ha-writes may run only once in a run (its ids are per client)');
  const { client } = await openPrimary(conn, 0);
  try {
    const timelineBefore = await currentTimeline(client).catch(() => null);
    if (opts.verifyWrites) await resetHaWrites(client, Number(moduleOptions('builtin:ha-writes')?.['accounts'] ?? 100));
    return { verify: opts.verifyWrites, usesHaWrites, timelineBefore };
  } finally {
    await client.end().catch(() => undefined);
  }
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
  const merged = mergeHaSnapshots(ctx.haSnapshots, { measureStartUs: ctx.measureStartUs, runEndUs: ctx.measureStartUs + result.durationS * 1e6, typeNames: ctx.typeNames });
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
        verification = await verifyHaWrites(client, host, { typeNames: ctx.typeNames, ledger: merged.ledger, outcomes: merged.outcomes, unfinished: result.summary.unfinished });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    if (prepared.verify) verification = { verdict: 'NOT VERIFIED', ok: false, error: `no primary to read the final state from: ${error}` };
  }
  const serverS = server?.largest?.durationS ?? null;
  const failover: FailoverResult = {
    ...merged.section,
    timeline: { before: prepared.timelineBefore, after: timelineAfter },
    primaryAfter,
    server,
    clientMinusServerS: serverS === null || merged.section.outages.length === 0 ? null : round(merged.section.rtoS - serverS, 3),
    ...(verification === undefined ? {} : { verification }),
  };
  const lost = verification !== undefined && 'lost' in verification ? verification.lost : null;
  const thresholds = evaluateThresholds(ctx.thresholds, { ...result.summary, rtoMs: merged.section.rtoS * 1000, lost });
  return { ...result, thresholds, failover } as ResultV1;
}

function failoverOf(result: ResultV1): FailoverResult | undefined {
  const f = (result as unknown as { failover?: FailoverResult }).failover;
  return typeof f === 'object' && f !== null && Array.isArray(f.outages) ? f : undefined;
}

/** Lines for the text summary (empty without a failover section). */
export function formatFailover(result: ResultV1): string {
  const f = failoverOf(result);
  if (f === undefined) return '';
  const out = ['', 'failover:'];
  if (f.outages.length === 0) out.push('  outages         none');
  for (const o of f.outages) {
    const errors = Object.entries(o.errors).map(([c, n]) => `${c} ${n}`).join(', ');
    out.push(
      `  outage          ${o.startS.toFixed(3)} → ${o.endS.toFixed(3)} s: ${o.durationS.toFixed(3)} s${o.open ? ' (still down at the end)' : ''}, ${o.clients} client(s) ` +
        `(own windows p50 ${o.clientWindowS.p50.toFixed(3)} s, max ${o.clientWindowS.max.toFixed(3)} s)` +
        `${o.timeToFirstReadS === null ? '' : `, first read after ${o.timeToFirstReadS.toFixed(3)} s`}${errors === '' ? '' : `; errors: ${errors}`}`,
    );
  }
  const rc = f.reconnects;
  out.push(`  rto             ${f.rtoS.toFixed(3)} s; reconnects ${rc.count}${rc.count > 0 ? ` by ${rc.clients} client(s), p50 ${rc.p50Ms} ms, max ${rc.maxMs} ms` : ''}`);
  out.push(`  timeline        ${f.timeline.before ?? '?'} → ${f.timeline.after ?? '?'}${f.primaryAfter === null ? '' : ` (primary now ${f.primaryAfter})`}`);
  const g = f.server?.largest;
  if (g !== undefined && g !== null) {
    out.push(
      `  server gap      ${g.durationS.toFixed(3)} s (${g.startS.toFixed(3)} → ${g.endS.toFixed(3)} s, timeline ${g.timelineBefore} → ${g.timelineAfter})` +
        `${f.clientMinusServerS === null ? '' : `; client − server ${f.clientMinusServerS.toFixed(3)} s`}`,
    );
  }
  const v = f.verification;
  if (v !== undefined) {
    if (!('lost' in v)) out.push(`  verify-writes   NOT VERIFIED: ${v.error}`);
    else {
      out.push(`  verify-writes   ${v.verdict}: lost ${v.lost}, unexpected ${v.unexpected}, recovered ${v.recovered} (unknown outcome, committed) — read from ${v.host}`);
      if (v.lostIds.length > 0) out.push(`  lost ids        ${v.lostIds.join(', ')}${v.lost > v.lostIds.length ? ', …' : ''}`);
      if (v.unexpectedIds.length > 0) out.push(`  unexpected ids  ${v.unexpectedIds.join(', ')}${v.unexpected > v.unexpectedIds.length ? ', …' : ''}`);
      if (v.counter !== null) {
        const c = v.counter;
        out.push(`  counter         ${c.value} ${c.ok ? 'within' : 'OUTSIDE'} [${c.acknowledged}, ${c.acknowledged + c.unknown}] (acknowledged, + unknown)`);
      }
      if (v.balance !== null) out.push(`  balances        ${v.balance.actual} ${v.balance.ok ? '=' : '≠'} ${v.balance.expected}${v.balance.ok ? '' : ' (INVARIANT BROKEN)'}`);
    }
  }
  return out.join('\n');
}

/** 1 when --verify-writes found a problem (or could not check); undefined otherwise. */
export function failoverExitCode(result: ResultV1): number | undefined {
  const v = failoverOf(result)?.verification;
  return v !== undefined && !v.ok ? 1 : undefined;
}
