/**
 * `ha-writes`: the workload `--verify-writes` knows how to check after a failover.
 *
 * - insert (unique ids): one row per write, keyed (client_id, seq) where seq is the write id of the
 *   ledger; each row carries clock_timestamp() and the WAL timeline it was written on, so the
 *   server-side gap of a failover can be read from the rows (src/ha/server-gap.ts);
 * - increment: a per-client counter (one row per client, so clients do not queue on one hot row);
 *   the sum must lie between the acknowledged increments and acknowledged + unknown;
 * - transfer: moves an amount between two accounts in one statement (both rows updated in id order,
 *   so transfers cannot deadlock each other) and logs it keyed (client_id, seq): the sum of the
 *   balances never changes, and the log is set-checked like the inserts;
 * - read: one account's balance (a read, for the time to the first successful read).
 *
 * Every transaction is a single statement: autocommitted, so a write is exactly one commit and an
 * unknown outcome is exactly one statement whose answer was lost.
 */
import { defineWorkload, type SetupDb } from '../module/api.js';

const HA_INITIAL_BALANCE = 1000;

const TLI = 'substring(pg_walfile_name(pg_current_wal_lsn()), 1, 8)';

async function createTables(db: SetupDb): Promise<void> {
  await db.query(
    `create table if not exists ha_writes (client_id int not null, seq bigint not null, at timestamptz not null, tli text not null, primary key (client_id, seq))`,
  );
  await db.query(
    `create table if not exists ha_transfers (client_id int not null, seq bigint not null, from_id int not null, to_id int not null, amount bigint not null, at timestamptz not null, tli text not null, primary key (client_id, seq))`,
  );
  await db.query('create table if not exists ha_counter (client_id int primary key, value bigint not null)');
  await db.query('create table if not exists ha_accounts (id int primary key, balance bigint not null)');
  await db.query('create table if not exists ha_meta (accounts int not null, total_balance bigint not null)');
}

/**
 * Empty the ledger tables and put the accounts back (`accounts` rows of 1000): what a verified run
 * starts from, since the check compares the final state with this run's ledger only.
 */
export async function resetHaWrites(db: SetupDb, accounts: number): Promise<void> {
  await createTables(db);
  await db.query('truncate ha_writes, ha_transfers, ha_counter, ha_accounts, ha_meta');
  await db.query(`insert into ha_accounts (id, balance) select g, ${HA_INITIAL_BALANCE} from generate_series(1, $1::int) g`, [accounts]);
  await db.query('insert into ha_meta (accounts, total_balance) values ($1::int, $2::bigint)', [accounts, accounts * HA_INITIAL_BALANCE]);
}

const haWrites = defineWorkload({
  name: 'ha-writes',
  description: 'unique-id inserts, per-client counters and transfers between accounts, for --verify-writes and failover runs',
  tables: ['ha_writes', 'ha_transfers', 'ha_counter', 'ha_accounts', 'ha_meta'],
  options: {
    accounts: { type: 'int', default: 100, description: 'accounts that transfers move money between' },
  },
  async setup(db, o) {
    await createTables(db);
    const r = await db.query('select count(*)::int as n from ha_accounts');
    if (Number(r.rows[0]?.['n'] ?? 0) === 0) await resetHaWrites(db, o.accounts);
  },
  async reset(db, o) {
    await resetHaWrites(db, o.accounts);
  },
  async teardown(db) {
    await db.query('drop table if exists ha_writes, ha_transfers, ha_counter, ha_accounts, ha_meta');
  },
  transactions: {
    insert: {
      weight: 4,
      writes: true,
      steps: [
        {
          sql: `insert into ha_writes (client_id, seq, at, tli) values ($1::int, $2::bigint, clock_timestamp(), ${TLI})`,
          params: (_r, v) => [v['clientId'] as number, v['writeId'] as number],
        },
      ],
    },
    increment: {
      weight: 2,
      writes: true,
      steps: [
        {
          sql: 'insert into ha_counter (client_id, value) values ($1::int, 1) on conflict (client_id) do update set value = ha_counter.value + 1',
          params: (_r, v) => [v['clientId'] as number],
        },
      ],
    },
    transfer: {
      weight: 2,
      writes: true,
      steps: [
        {
          sql:
            'with t as (update ha_accounts set balance = balance + case when id = $2::int then -$4::bigint else $4::bigint end where id in ($2::int, $3::int)) ' +
            `insert into ha_transfers (client_id, seq, from_id, to_id, amount, at, tli) values ($1::int, $5::bigint, $2::int, $3::int, $4::bigint, clock_timestamp(), ${TLI})`,
          params: (r, v, o) => {
            const from = r.int(1, o.accounts);
            let to = r.int(1, o.accounts - 1);
            if (to >= from) to++;
            return [v['clientId'] as number, from, to, r.int(1, 100), v['writeId'] as number];
          },
        },
      ],
    },
    read: {
      weight: 1,
      read: true,
      steps: [{ sql: 'select balance from ha_accounts where id = $1::int', params: (r, _v, o) => [r.int(1, o.accounts)] }],
    },
  },
});

export default haWrites;
