/**
 * bulk-insert: ingestion throughput. One transaction inserts one batch of N rows, by
 *   - method=values: a multi-row INSERT … VALUES ($1, 1, $2), ($1, 2, $3), … (one parameter a row)
 *   - method=unnest: INSERT … SELECT FROM unnest($2::int[], $3::text[]) (two array parameters)
 * A workload step is a prepared statement whose text is fixed when the module loads, so the VALUES
 * form exists for a fixed set of batch sizes (VALUES_BATCHES); unnest takes any batch size.
 * COPY is not a step a workload can take (it is a sub-protocol, not a statement): COPY throughput
 * is what `pgsurge init` measures for pgbench's tables; this workload measures INSERT paths.
 */
import { defineWorkload, type OptionValues, type Random, type StepDefinition, type TransactionDefinition, type Vars } from '../module/api.js';
import { usageError } from '../../errors.js';
import { checkRanges, ONLY_OPTION, onlyWeights, round, tableSizesMb } from './common.js';

const NAME = 'bulk-insert';
const VALUES_BATCHES = [1, 10, 50, 100, 500, 1000] as const;

const options = {
  batch: { type: 'int', default: 100, description: `rows per INSERT (method=values: one of ${VALUES_BATCHES.join(', ')}; unnest: 1..100000)` },
  method: { type: 'string', default: 'values', description: 'values (multi-row INSERT … VALUES) or unnest (INSERT … SELECT FROM unnest(arrays))' },
  row_bytes: { type: 'int', default: 100, description: 'bytes of the text payload of each row' },
  unlogged: { type: 'boolean', default: false, description: 'create the table UNLOGGED' },
  only: ONLY_OPTION,
} as const;

type O = OptionValues<typeof options>;

/** Bytes of one row's data as sent: the payload, the int and the bigint batch id. */
const rowBytes = (o: O): number => o.row_bytes + 4 + 8;

function check(o: O): void {
  checkRanges(NAME, [
    ['batch', o.batch, 1, 100_000],
    ['row_bytes', o.row_bytes, 0, 1_000_000],
  ]);
  if (o.method !== 'values' && o.method !== 'unnest') throw usageError('WORKLOAD_BAD_OPTION', `${NAME}: -D method=${o.method}: expected values or unnest`);
  if (o.method === 'values' && !(VALUES_BATCHES as readonly number[]).includes(o.batch)) {
    throw usageError(
      'WORKLOAD_BAD_OPTION',
      `${NAME}: -D batch=${o.batch} with method=values: one of ${VALUES_BATCHES.join(', ')} (or -D method=unnest for any size)`,
    );
  }
}

function valuesTxn(n: number): TransactionDefinition<O> {
  const tuples: string[] = [];
  for (let i = 0; i < n; i++) tuples.push(`($1, ${i + 1}, $${i + 2})`);
  const step: StepDefinition<O> = {
    sql: `insert into bulk_rows (batch_id, n, payload) values ${tuples.join(', ')}`,
    params: (r: Random, _v: Vars, o: O) => {
      const values: (number | string)[] = [r.int(1, 2_000_000_000)];
      for (let i = 0; i < n; i++) values.push(r.string(o.row_bytes));
      return values;
    },
  };
  return { weight: 0, steps: [step] };
}

const unnestTxn: TransactionDefinition<O> = {
  weight: 0,
  steps: [
    {
      sql: `insert into bulk_rows (batch_id, n, payload) select $1, n, p from unnest($2::int[], $3::text[]) as u(n, p)`,
      params: (r: Random, _v: Vars, o: O) => {
        // Array literals: the payload alphabet is [a-zA-Z0-9], so no element needs quoting.
        const ns: number[] = [];
        const ps: string[] = [];
        for (let i = 1; i <= o.batch; i++) {
          ns.push(i);
          ps.push(r.string(o.row_bytes));
        }
        return [r.int(1, 2_000_000_000), `{${ns.join(',')}}`, `{${ps.join(',')}}`];
      },
    },
  ],
};

const transactions: Record<string, TransactionDefinition<O>> = { unnest: unnestTxn };
for (const n of VALUES_BATCHES) transactions[`values_${n}`] = valuesTxn(n);

export default defineWorkload({
  name: NAME,
  description: 'ingestion: batches of N rows by multi-row INSERT … VALUES or INSERT … SELECT FROM unnest; rows/s and MB/s',
  tables: ['bulk_rows'],
  options,

  async setup(db, o) {
    check(o);
    await db.query('drop table if exists bulk_rows');
    await db.query(`create ${o.unlogged ? 'unlogged ' : ''}table bulk_rows (
      id bigint generated always as identity primary key, batch_id bigint not null, n int not null,
      payload text not null, created_at timestamptz not null default now())`);
  },

  async reset(db) {
    await db.query('truncate bulk_rows restart identity');
  },

  async teardown(db) {
    await db.query('drop table if exists bulk_rows');
  },

  weights(o) {
    check(o);
    const defaults: Record<string, number> = {};
    for (const name of Object.keys(transactions)) defaults[name] = 0;
    defaults[o.method === 'unnest' ? 'unnest' : `values_${o.batch}`] = 1;
    return onlyWeights(NAME, o.only, defaults);
  },

  async report(db, o, run) {
    let rows = 0;
    for (const [name, n] of Object.entries(run.transactions)) {
      if (name === 'unnest') rows += n * o.batch;
      else if (name.startsWith('values_')) rows += n * Number(name.slice('values_'.length));
    }
    const mb = (rows * rowBytes(o)) / 1048576;
    const perS = (x: number): number => (run.durationS > 0 ? x / run.durationS : 0);
    return {
      method: o.method,
      batch: o.batch,
      rows_inserted: rows,
      rows_per_s: round(perS(rows), 1),
      data_mb: round(mb, 2),
      data_mb_per_s: round(perS(mb), 2),
      ...(await tableSizesMb(db, ['bulk_rows'])),
    };
  },

  transactions,
});
