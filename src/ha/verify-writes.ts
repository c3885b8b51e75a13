/**
 * `--verify-writes`: compare the final state of the ha-writes tables, read from the current primary
 * after the run, with the ledger of what the clients were told (Jepsen's set check):
 *
 *   lost       = ok − final        (must be empty: an acknowledged write is gone)
 *   unexpected = final − attempted (must be empty; a write the server refused but that is present
 *                                   counts here too)
 *   recovered  = unknown ∩ final   (allowed: the connection died, the commit had happened)
 *
 * plus the counter bounds (acknowledged increments ≤ counter ≤ acknowledged + unknown) and the
 * balance invariant (transfers never change the sum of the balances). A transaction still in flight
 * when the run gave up (counted `unfinished`) has no outcome in the ledger: its id (the client's
 * next one) and one increment per unfinished transaction are allowed as unknown.
 *
 * `db` is a client from openAdminClient (src/ha/ha-run.ts): its default deadline gives up on a
 * read the server stopped answering, while a long one the server is working on goes on.
 */
import type { SetupDb } from '../workload/module/api.js';
import type { SetCheck, WriteVerification } from '../report/failover-schema.js';
import type { LedgerEntry } from './outcome-sink.js';
import { ledgerCode } from './outcome-sink.js';

const SAMPLE = 10;

export type { SetCheck, WriteVerification } from '../report/failover-schema.js';

/** Which layout types are ha-writes' insert / transfer / increment (scenario prefixes allowed). */
export function haWritesTypes(typeNames: readonly string[]): { insert: number[]; transfer: number[]; increment: number[] } {
  const out = { insert: [] as number[], transfer: [] as number[], increment: [] as number[] };
  typeNames.forEach((name, i) => {
    const m = /(?:^|\/)ha-writes(?:#\d+)?\.(insert|transfer|increment)$/.exec(name);
    if (m !== null) out[m[1] as 'insert' | 'transfer' | 'increment'].push(i);
  });
  return out;
}

async function setCheck(db: SetupDb, table: string, types: readonly number[], ledger: ReadonlyMap<string, LedgerEntry>, allowNext: boolean): Promise<SetCheck> {
  // Every client's ledger for this table (one type per client: ha-writes runs once per run).
  const byClient = new Map<number, LedgerEntry>();
  for (const e of ledger.values()) if (types.includes(e.type)) byClient.set(e.clientId, e);
  const r = await db.query(`select client_id, array_agg(seq::int order by seq) as seqs from ${table} group by client_id`);
  const lostIds: string[] = [];
  const unexpectedIds: string[] = [];
  let lost = 0;
  let unexpected = 0;
  let recovered = 0;
  let final = 0;
  let acknowledged = 0;
  const seen = new Set<number>();
  for (const row of r.rows) {
    const clientId = Number(row['client_id']);
    const seqs = (row['seqs'] as (number | string)[]).map(Number);
    final += seqs.length;
    seen.add(clientId);
    const e = byClient.get(clientId);
    const present = new Uint8Array(e === undefined ? 0 : e.maxId + 1);
    for (const seq of seqs) {
      const code = e === undefined ? 0 : ledgerCode(e, seq);
      if (e !== undefined && seq <= e.maxId) present[seq] = 1;
      if (code === 1) continue;
      if (code === 3 || (code === 0 && allowNext && e !== undefined && seq === e.maxId + 1)) recovered++;
      else {
        unexpected++;
        if (unexpectedIds.length < SAMPLE) unexpectedIds.push(`${table} ${clientId}/${seq}${code === 2 ? ' (failed, but present)' : ''}`);
      }
    }
    if (e !== undefined) ({ lost, acknowledged } = countLost(e, present, table, lostIds, lost, acknowledged));
  }
  for (const [clientId, e] of byClient) {
    if (!seen.has(clientId)) ({ lost, acknowledged } = countLost(e, new Uint8Array(0), table, lostIds, lost, acknowledged));
  }
  return { table, acknowledged, final, lost, unexpected, recovered, lostIds, unexpectedIds };
}

function countLost(
  e: LedgerEntry,
  present: Uint8Array,
  table: string,
  sample: string[],
  lost: number,
  acknowledged: number,
): { lost: number; acknowledged: number } {
  for (let id = 0; id <= e.maxId; id++) {
    if (ledgerCode(e, id) !== 1) continue;
    acknowledged++;
    if (present[id] === 1) continue;
    lost++;
    if (sample.length < SAMPLE) sample.push(`${table} ${e.clientId}/${id}`);
  }
  return { lost, acknowledged };
}

export async function verifyHaWrites(
  db: SetupDb,
  host: string,
  opts: {
    readonly typeNames: readonly string[];
    readonly ledger: ReadonlyMap<string, LedgerEntry>;
    readonly outcomes: ReadonlyMap<number, readonly [number, number, number]>;
    /** Transactions still in flight when the run gave up (summary.unfinished). */
    readonly unfinished: number;
  },
): Promise<WriteVerification> {
  const types = haWritesTypes(opts.typeNames);
  const allowNext = opts.unfinished > 0;
  const sets = [
    await setCheck(db, 'ha_writes', types.insert, opts.ledger, allowNext),
    await setCheck(db, 'ha_transfers', types.transfer, opts.ledger, allowNext),
  ];

  let counter: WriteVerification['counter'] = null;
  if (types.increment.length > 0) {
    let acknowledged = 0;
    let unknown = 0;
    for (const t of types.increment) {
      const o = opts.outcomes.get(t);
      acknowledged += o?.[0] ?? 0;
      unknown += o?.[2] ?? 0;
    }
    const value = Number((await db.query('select coalesce(sum(value), 0)::bigint as v from ha_counter')).rows[0]?.['v'] ?? 0);
    const slack = unknown + opts.unfinished;
    counter = { value, acknowledged, unknown, ok: value >= acknowledged && value <= acknowledged + slack };
  }
  let balance: WriteVerification['balance'] = null;
  const meta = await db.query('select total_balance::bigint as t from ha_meta limit 1');
  if (meta.rows.length > 0) {
    const expected = Number(meta.rows[0]!['t']);
    const actual = Number((await db.query('select coalesce(sum(balance), 0)::bigint as s from ha_accounts')).rows[0]?.['s'] ?? 0);
    balance = { expected, actual, ok: expected === actual };
  }
  const lost = sets.reduce((n, s) => n + s.lost, 0);
  const unexpected = sets.reduce((n, s) => n + s.unexpected, 0);
  const invariantOk = (counter?.ok ?? true) && (balance?.ok ?? true);
  const verdict = lost > 0 ? 'LOST WRITES' : unexpected > 0 ? 'UNEXPECTED WRITES' : invariantOk ? 'ok' : 'INVARIANT BROKEN';
  return {
    verdict,
    ok: verdict === 'ok',
    host,
    lost,
    unexpected,
    recovered: sets.reduce((n, s) => n + s.recovered, 0),
    lostIds: sets.flatMap((s) => s.lostIds).slice(0, SAMPLE),
    unexpectedIds: sets.flatMap((s) => s.unexpectedIds).slice(0, SAMPLE),
    sets,
    counter,
    balance,
  };
}
