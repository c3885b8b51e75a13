/**
 * The server's side of an outage, from the ha-writes rows themselves: each row carries
 * clock_timestamp() and the WAL timeline it was written on. The largest gap between consecutive
 * rows is the server's figure for the outage; where the timeline changes is the failover.
 *
 * Server times are wall-clock; the client's clock (src/engine/clock.ts) is epoch-based too, so both
 * are put on the measured phase's axis. That assumes the clocks of client and server agree, as they
 * do on one machine (and to NTP's precision across machines).
 */
import { round } from '../util/round.js';
import type { ServerGap, ServerGaps } from '../report/failover-schema.js';
import type { SetupDb } from '../workload/module/api.js';

export type { ServerGap, ServerGaps } from '../report/failover-schema.js';

const ROWS = `with r as (select at, tli from ha_writes union all select at, tli from ha_transfers),
g as (select extract(epoch from at)::float8 as t, tli, lag(extract(epoch from at)::float8) over (order by at) as pt, lag(tli) over (order by at) as ptli from r)`;

export async function serverGaps(db: SetupDb, measureStartUs: number): Promise<ServerGaps> {
  const rel = (epochS: number): number => round(epochS - measureStartUs / 1e6, 3);
  const gap = (row: Record<string, unknown>): ServerGap => ({
    startS: rel(Number(row['pt'])),
    endS: rel(Number(row['t'])),
    durationS: round(Number(row['t']) - Number(row['pt']), 3),
    timelineBefore: String(row['ptli']),
    timelineAfter: String(row['tli']),
  });
  const largest = await db.query(`${ROWS} select t, tli, pt, ptli from g where pt is not null order by t - pt desc limit 1`);
  const switches = await db.query(`${ROWS} select t, tli, pt, ptli from g where pt is not null and tli <> ptli order by t`);
  const count = await db.query('select (select count(*) from ha_writes) + (select count(*) from ha_transfers) as n');
  return {
    largest: largest.rows[0] === undefined ? null : gap(largest.rows[0]),
    timelineSwitches: switches.rows.map(gap),
    rows: Number(count.rows[0]?.['n'] ?? 0),
  };
}

/** The primary's current WAL timeline (8 hex digits), as in a WAL file name. */
export async function currentTimeline(db: SetupDb): Promise<string> {
  const r = await db.query('select substring(pg_walfile_name(pg_current_wal_lsn()), 1, 8) as tli');
  return String(r.rows[0]?.['tli'] ?? '');
}
