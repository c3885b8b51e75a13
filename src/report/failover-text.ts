/**
 * The failover section of the text summary (result.failover, written by src/ha): outages, RTO and
 * reconnects, WAL timelines, the server's gap, and the write verification. Read from the result
 * alone, so `run`, `report` and a merged result print the same lines.
 */
import type { PoolerView } from './failover-schema.js';
import type { ResultV1 } from './result.js';

/** The pooler's view in one line: its extremes with when they were read, or its nodes' changes. */
export function poolerLine(p: PoolerView): string {
  const who = `${p.version} at ${p.at}`;
  if (p.kind === 'pgpool') {
    const changes = p.nodeChanges.map((c) => `${c.host} ${c.before} → ${c.after} at ${c.atS} s`);
    return `${who}: ${changes.length === 0 ? 'no node changed' : changes.join('; ')}`;
  }
  const parts: string[] = [];
  if (p.clientsWaitingMax !== null) parts.push(`up to ${p.clientsWaitingMax.value} client(s) waiting (at ${p.clientsWaitingMax.atS} s)`);
  if (p.maxWaitMs !== null) parts.push(`longest wait ${Math.round(p.maxWaitMs.value)} ms (at ${p.maxWaitMs.atS} s)`);
  if (p.serverConnectionsMin !== null) parts.push(`server connections down to ${p.serverConnectionsMin.value} (at ${p.serverConnectionsMin.atS} s)`);
  return `${who}: ${parts.length === 0 ? 'no reading' : parts.join(', ')}`;
}

/** Lines for the text summary (empty without a failover section). */
export function formatFailover(result: Pick<ResultV1, 'failover'>): string {
  const f = result.failover;
  if (f === undefined) return '';
  const out = ['', 'failover:'];
  if (f.outages.length === 0) out.push('  outages         none');
  for (const o of f.outages) {
    const errors = Object.entries(o.errors)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    out.push(
      `  outage          ${o.startS.toFixed(3)} → ${o.endS.toFixed(3)} s: ${o.durationS.toFixed(3)} s${o.open ? ' (still down at the end)' : ''}, ${o.clients} client(s) ` +
        `(own windows p50 ${o.clientWindowS.p50.toFixed(3)} s, max ${o.clientWindowS.max.toFixed(3)} s)` +
        `${o.timeToFirstReadS === null ? '' : `, first read after ${o.timeToFirstReadS.toFixed(3)} s`}${errors === '' ? '' : `; errors: ${errors}`}` +
        `${o.stall === true ? '; a stall: writes hung, none acknowledged, none failed' : ''}`,
    );
  }
  const rc = f.reconnects;
  out.push(
    `  rto             ${f.rtoS.toFixed(3)} s; reconnects ${rc.count}${rc.count > 0 ? ` by ${rc.clients} client(s), p50 ${rc.p50Ms} ms, max ${rc.maxMs} ms` : ''}`,
  );
  out.push(`  timeline        ${f.timeline.before ?? '?'} → ${f.timeline.after ?? '?'}${f.primaryAfter === null ? '' : ` (primary now ${f.primaryAfter})`}`);
  const g = f.server?.largest;
  if (g !== undefined && g !== null) {
    out.push(
      `  server gap      ${g.durationS.toFixed(3)} s (${g.startS.toFixed(3)} → ${g.endS.toFixed(3)} s, timeline ${g.timelineBefore} → ${g.timelineAfter})` +
        `${f.clientMinusServerS === null ? '' : `; client − server ${f.clientMinusServerS.toFixed(3)} s`}`,
    );
  }
  const p = f.pooler;
  if (p !== undefined) out.push(`  pooler          ${poolerLine(p)}`);
  const v = f.verification;
  if (v !== undefined) {
    if (!('lost' in v)) out.push(`  verify-writes   NOT VERIFIED: ${v.error}`);
    else {
      out.push(
        `  verify-writes   ${v.verdict}: lost ${v.lost}, unexpected ${v.unexpected}, recovered ${v.recovered} (unknown outcome, committed) — read from ${v.host}`,
      );
      if (v.lostIds.length > 0) out.push(`  lost ids        ${v.lostIds.join(', ')}${v.lost > v.lostIds.length ? ', …' : ''}`);
      if (v.unexpectedIds.length > 0) out.push(`  unexpected ids  ${v.unexpectedIds.join(', ')}${v.unexpected > v.unexpectedIds.length ? ', …' : ''}`);
      if (v.counter !== null) {
        const c = v.counter;
        out.push(`  counter         ${c.value} ${c.ok ? 'within' : 'OUTSIDE'} [${c.acknowledged}, ${c.acknowledged + c.unknown}] (acknowledged, + unknown)`);
      }
      if (v.balance !== null)
        out.push(`  balances        ${v.balance.actual} ${v.balance.ok ? '=' : '≠'} ${v.balance.expected}${v.balance.ok ? '' : ' (INVARIANT BROKEN)'}`);
    }
  }
  return out.join('\n');
}
