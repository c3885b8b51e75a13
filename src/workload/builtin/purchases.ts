/**
 * purchases: a read-heavy API over a large, partitioned dataset. customers, products, and purchases
 * partitioned by month of purchased_at. Reads: the latest purchases joined with customer and
 * product (optionally in one region), and one customer's purchases; a write: a new purchase.
 *
 * Loading (setup) is staged and resumable: `stages` picks customers, products, purchases; purchases
 * load one monthly partition per statement, generated on the server (INSERT … SELECT FROM
 * generate_series: nothing crosses the network), `-D jobs=N` partitions at a time on N
 * connections, and each finished step is recorded in purchases_load, so `-D resume=true` after an
 * interruption goes on where it stopped. Indexes are built after the data (one sort per index
 * instead of a b-tree insert per row).
 */
import { defineWorkload, type OptionValues, type Random, type SetupContext, type SetupDb, type Vars } from '../module/api.js';
import { usageError } from '../../errors.js';
import { rowRate } from '../init/progress.js';
import { forEachOnSessions } from './on-sessions.js';
import { checkRanges, formatCount, logStage, ONLY_OPTION, onlyWeights, round, tableSizesMb } from './common.js';

const NAME = 'purchases';
const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south', 'ap-east', 'sa-east', 'af-south'] as const;
const STAGES = ['customers', 'products', 'purchases', 'indexes'] as const;
type Stage = (typeof STAGES)[number];

const options = {
  customers: { type: 'int', default: 10_000, description: 'rows in customers' },
  products: { type: 'int', default: 1_000, description: 'rows in products' },
  purchases: { type: 'int', default: 100_000, description: 'rows in purchases (loaded by setup)' },
  months: { type: 'int', default: 12, description: 'months of history: one partition each (plus the current and next month)' },
  stages: { type: 'string', default: 'customers,products,purchases,indexes', description: 'setup stages to run, in order' },
  jobs: {
    type: 'int',
    default: 1,
    description: 'connections that load purchases partitions in parallel, one partition each at a time (each keeps one server core busy)',
  },
  resume: { type: 'boolean', default: false, description: 'keep what an earlier setup finished (purchases_load) and go on' },
  limit: { type: 'int', default: 20, description: 'rows per listing' },
  region_share: { type: 'number', default: 0.5, description: 'share of "latest" listings filtered by one region' },
  only: ONLY_OPTION,
} as const;

type O = OptionValues<typeof options>;

const DEFAULT_WEIGHTS = { latest: 5, customer: 4, buy: 1 } as const;

function check(o: O): Stage[] {
  checkRanges(NAME, [
    ['customers', o.customers, 1, 2_000_000_000],
    ['products', o.products, 1, 2_000_000_000],
    ['purchases', o.purchases, 0, 1e13],
    ['months', o.months, 1, 1200],
    ['jobs', o.jobs, 1, 64],
    ['limit', o.limit, 1, 10_000],
    ['region_share', o.region_share, 0, 1],
  ]);
  const stages = o.stages
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = stages.filter((s) => !(STAGES as readonly string[]).includes(s));
  if (bad.length > 0) throw usageError('WORKLOAD_BAD_OPTION', `${NAME}: -D stages=${o.stages}: unknown ${bad.join(', ')} (stages: ${STAGES.join(', ')})`);
  return stages as Stage[];
}

/** Month partitions: [start of month − months, start of next month + 1 month), as ISO dates. */
export function partitionBounds(months: number, now: Date): { name: string; from: string; to: string }[] {
  const out: { name: string; from: string; to: string }[] = [];
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  for (let i = -months; i <= 1; i++) {
    const from = new Date(Date.UTC(y, m + i, 1));
    const to = new Date(Date.UTC(y, m + i + 1, 1));
    const name = `purchases_${from.getUTCFullYear()}_${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
    out.push({ name, from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) });
  }
  return out;
}

async function done(db: SetupDb, step: string): Promise<boolean> {
  return (await db.query('select 1 from purchases_load where step = $1', [step])).rows.length > 0;
}

async function record(db: SetupDb, step: string, rows: number, seconds: number): Promise<void> {
  await db.query('insert into purchases_load (step, rows, seconds) values ($1, $2, $3) on conflict (step) do update set rows = $2, seconds = $3', [
    step,
    rows,
    seconds,
  ]);
}

/** Run one load step unless a resumed setup already finished it: its seconds, or null when skipped. */
async function step(db: SetupDb, o: O, ctx: SetupContext, name: string, rows: number, sql: string, params: readonly unknown[]): Promise<number | null> {
  if (o.resume && (await done(db, name))) {
    logStage(NAME, `${name}: already loaded, skipped`);
    ctx.progress({ stage: name, rows, totalRows: rows });
    return null;
  }
  ctx.progress({ stage: name, rows: 0, totalRows: rows });
  const t0 = Date.now();
  await db.query(sql, params);
  const s = (Date.now() - t0) / 1000;
  await record(db, name, rows, s);
  ctx.progress({ stage: name, rows, totalRows: rows });
  return s;
}

async function createSchema(db: SetupDb, o: O): Promise<void> {
  if (!o.resume) await db.query('drop table if exists purchases, customers, products, purchases_load cascade');
  await db.query(
    'create table if not exists purchases_load (step text primary key, rows bigint not null, seconds float8 not null, done_at timestamptz not null default now())',
  );
  await db.query(
    `create table if not exists customers (id int not null, name text not null, email text not null, region text not null, created_at timestamptz not null)`,
  );
  await db.query(`create table if not exists products (id int not null, name text not null, category int not null, price_cents int not null)`);
  await db.query('create sequence if not exists purchases_id_seq as bigint');
  await db.query(`create table if not exists purchases (
    id bigint not null default nextval('purchases_id_seq'), customer_id int not null, product_id int not null,
    quantity int not null, total_cents int not null, purchased_at timestamptz not null) partition by range (purchased_at)`);
  for (const p of partitionBounds(o.months, new Date())) {
    await db.query(`create table if not exists ${p.name} partition of purchases for values from ('${p.from}') to ('${p.to}')`);
  }
  await db.query('create table if not exists purchases_default partition of purchases default');
}

/** "(1.23 M rows/s)" over what was loaded, or why there is no rate. */
function rateNote(rowsLoaded: number, seconds: number): string {
  const rate = rowRate(rowsLoaded, seconds);
  return rate === null ? (rowsLoaded > 0 ? '(too quick for a rate)' : '(nothing loaded)') : `(${formatCount(rate)} rows/s)`;
}

interface PartitionLoad {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** First id and row count: fixed by the partition's place in time, whatever order they load in. */
  readonly first: number;
  readonly rows: number;
}

const LOAD_PARTITION_SQL = `insert into %s (id, customer_id, product_id, quantity, total_cents, purchased_at)
  select g, c, pr, q, q * (100 + (pr * 7919) % 10000), $3::timestamptz + (g - $1) * (($4::timestamptz - $3::timestamptz) / $5)
  from (select g, 1 + (random() * ($6 - 1))::int as c, 1 + (random() * ($7 - 1))::int as pr, 1 + (random() * 3)::int as q
        from generate_series($1::bigint, $2::bigint) as g) as x`;

/**
 * One partition and its purchases_load row in one transaction: a partition is either loaded and
 * recorded or neither, so a resumed setup never loads a partition twice.
 */
async function loadPartition(session: SetupDb, o: O, p: PartitionLoad): Promise<number> {
  const t0 = Date.now();
  await session.query('begin');
  try {
    await session.query(LOAD_PARTITION_SQL.replace('%s', p.name), [p.first, p.first + p.rows - 1, p.from, p.to, Math.max(p.rows, 1), o.customers, o.products]);
    const s = (Date.now() - t0) / 1000;
    await record(session, `purchases:${p.name}`, p.rows, s);
    await session.query('commit');
    return s;
  } catch (e) {
    await session.query('rollback').catch(() => undefined);
    throw e;
  }
}

async function loadPurchases(db: SetupDb, o: O, ctx: SetupContext): Promise<void> {
  // History fills the `months` full months before the current one, evenly and in time order (an
  // append-only table looks like that); ids are assigned in the same order.
  const bounds = partitionBounds(o.months, new Date()).slice(0, o.months);
  const perPart = Math.floor(o.purchases / bounds.length);
  const parts: PartitionLoad[] = bounds.map((b, i) => ({ ...b, first: 1 + i * perPart, rows: i === bounds.length - 1 ? o.purchases - perPart * i : perPart }));
  const loaded = new Set(o.resume ? (await db.query(`select step from purchases_load where step like 'purchases:%'`)).rows.map((r) => String(r['step'])) : []);
  const todo = parts.filter((p) => !loaded.has(`purchases:${p.name}`));
  for (const p of parts) if (!todo.includes(p)) logStage(NAME, `purchases:${p.name}: already loaded, skipped`);
  const jobs = Math.min(o.jobs, todo.length);
  if (jobs > 1) logStage(NAME, `purchases: ${todo.length} partitions on ${jobs} connections`);
  // Rates and the ETA count only partitions loaded now, over the wall time since this load began:
  // partitions a resumed setup skips took no time, and with several connections the rate is the
  // sum of what they do together, not of per-statement rates. Rows of partitions still loading are
  // not counted until they commit, so early figures under-state the rate.
  let doneRows = o.purchases - todo.reduce((sum, p) => sum + p.rows, 0);
  let loadedRows = 0;
  const t0 = Date.now();
  ctx.progress({ stage: 'purchases', rows: doneRows, totalRows: o.purchases });
  await forEachOnSessions({
    db,
    ctx,
    jobs,
    items: todo,
    label: (p) => `${NAME}: loading partition ${p.name}`,
    work: async (session, p) => {
      const s = await loadPartition(session, o, p);
      doneRows += p.rows;
      loadedRows += p.rows;
      ctx.progress({ stage: 'purchases', rows: doneRows, totalRows: o.purchases });
      const rate = rowRate(loadedRows, (Date.now() - t0) / 1000);
      const pace = rate === null ? 'rate ?, ETA ?' : `${formatCount(rate)} rows/s, ETA ${((o.purchases - doneRows) / rate).toFixed(0)} s`;
      logStage(NAME, `purchases: ${p.name} ${formatCount(p.rows)} rows in ${s.toFixed(2)} s; ${formatCount(doneRows)}/${formatCount(o.purchases)} (${pace})`);
    },
  });
  const wallS = (Date.now() - t0) / 1000;
  await db.query(`select setval('purchases_id_seq', greatest($1::bigint, 1))`, [o.purchases]);
  if (loadedRows === 0) {
    logStage(NAME, `purchases: nothing loaded (${parts.length} partitions were loaded by an earlier setup)`);
    return;
  }
  // The wall time of this load, for the report's rows/s (the per-partition seconds overlap when
  // several connections load).
  await record(db, `wall:purchases:${new Date(t0).toISOString()}`, loadedRows, wallS);
  const on = jobs > 1 ? ` on ${jobs} connections` : '';
  logStage(NAME, `purchases: ${formatCount(loadedRows)} rows in ${wallS.toFixed(1)} s ${rateNote(loadedRows, wallS)}${on}`);
}

async function buildIndexes(db: SetupDb): Promise<void> {
  const indexes: [string, string][] = [
    ['customers_pkey', 'alter table customers add primary key (id)'],
    ['customers_region', 'create index if not exists customers_region on customers (region)'],
    ['products_pkey', 'alter table products add primary key (id)'],
    // A primary key of a partitioned table must contain the partition key.
    ['purchases_pkey', 'alter table purchases add primary key (id, purchased_at)'],
    ['purchases_time', 'create index if not exists purchases_time on purchases (purchased_at)'],
    ['purchases_customer', 'create index if not exists purchases_customer on purchases (customer_id, purchased_at)'],
  ];
  await db.query(`set maintenance_work_mem = '256MB'`);
  for (const [name, sql] of indexes) {
    const exists = (await db.query('select 1 from pg_class where relname = $1', [name])).rows.length > 0;
    if (exists) continue;
    const t0 = Date.now();
    await db.query(sql);
    const s = (Date.now() - t0) / 1000;
    await record(db, `index:${name}`, 0, s);
    logStage(NAME, `index ${name} in ${s.toFixed(2)} s`);
  }
  await db.query('analyze customers');
  await db.query('analyze products');
  await db.query('analyze purchases');
}

export default defineWorkload({
  name: NAME,
  description: 'read-heavy API over customers, products and month-partitioned purchases (staged, resumable server-side load)',
  tables: ['customers', 'products', 'purchases', 'purchases_load'],
  options,

  async setup(db, o, ctx) {
    const stages = check(o);
    const t0 = Date.now();
    await createSchema(db, o);
    for (const stage of stages) {
      if (stage === 'customers') {
        const s = await step(
          db,
          o,
          ctx,
          'customers',
          o.customers,
          `insert into customers select g, 'customer ' || g, 'c' || g || '@example.com', ($2::text[])[1 + g % array_length($2::text[], 1)],
             now() - (g % 1000) * interval '1 day' from generate_series(1, $1) as g`,
          [o.customers, REGIONS],
        );
        if (s !== null) logStage(NAME, `customers: ${formatCount(o.customers)} rows in ${s.toFixed(2)} s ${rateNote(o.customers, s)}`);
      } else if (stage === 'products') {
        const s = await step(
          db,
          o,
          ctx,
          'products',
          o.products,
          `insert into products select g, 'product ' || g, 1 + g % 50, 100 + (g * 7919) % 10000 from generate_series(1, $1) as g`,
          [o.products],
        );
        if (s !== null) logStage(NAME, `products: ${formatCount(o.products)} rows in ${s.toFixed(2)} s`);
      } else if (stage === 'purchases') await loadPurchases(db, o, ctx);
      else await buildIndexes(db);
    }
    logStage(NAME, `setup done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  },

  async reset(db, o) {
    // Purchases made by runs have ids above the loaded ones (the sequence continues from there).
    await db.query('delete from purchases where id > $1', [o.purchases]);
    await db.query(`select setval('purchases_id_seq', greatest($1::bigint, 1))`, [o.purchases]);
    await db.query('vacuum analyze purchases');
  },

  async teardown(db) {
    await db.query('drop table if exists purchases, customers, products, purchases_load cascade');
    await db.query('drop sequence if exists purchases_id_seq');
  },

  weights: (o) => onlyWeights(NAME, o.only, DEFAULT_WEIGHTS),

  async report(db) {
    const load = await db.query(`select coalesce(sum(rows) filter (where step like 'purchases:%'), 0)::float8 as rows,
      coalesce(sum(seconds) filter (where step like 'purchases:%'), 0)::float8 as s,
      coalesce(sum(rows) filter (where step like 'wall:purchases:%'), 0)::float8 as wrows,
      coalesce(sum(seconds) filter (where step like 'wall:purchases:%'), 0)::float8 as ws,
      coalesce(sum(seconds) filter (where step like 'index:%'), 0)::float8 as idx from purchases_load`);
    const parts = await db.query(`select count(*)::int as n from pg_inherits where inhparent = 'purchases'::regclass`);
    const l = load.rows[0] ?? {};
    const rows = Number(l['rows'] ?? 0);
    // Rows over the loads' wall time; loads recorded before wall times were kept have only the
    // per-partition seconds (equal to the wall time when partitions loaded one at a time).
    const wallRows = Number(l['wrows'] ?? 0);
    const wallS = Number(l['ws'] ?? 0);
    const s = Number(l['s'] ?? 0);
    const rowsPerS = wallS > 0 ? wallRows / wallS : s > 0 ? rows / s : 0;
    return {
      partitions: Number(parts.rows[0]?.['n'] ?? 0),
      load_purchases_rows: rows,
      load_purchases_rows_per_s: round(rowsPerS, 0),
      load_index_s: round(Number(l['idx'] ?? 0), 2),
      ...(await tableSizesMb(db, ['customers', 'products', 'purchases'])),
    };
  },

  transactions: {
    latest: {
      weight: DEFAULT_WEIGHTS.latest,
      read: true,
      steps: [
        {
          sql: `select p.id, p.purchased_at, p.quantity, p.total_cents, c.name as customer, c.region, pr.name as product
                from purchases p join customers c on c.id = p.customer_id join products pr on pr.id = p.product_id
                where ($2::text is null or c.region = $2::text)
                order by p.purchased_at desc limit $1`,
          params: (r: Random, _v: Vars, o: O) => [o.limit, r.bool(o.region_share) ? r.pick(REGIONS) : null],
        },
      ],
    },
    customer: {
      weight: DEFAULT_WEIGHTS.customer,
      read: true,
      steps: [
        {
          sql: `select p.id, p.purchased_at, pr.name as product, p.quantity, p.total_cents
                from purchases p join products pr on pr.id = p.product_id
                where p.customer_id = $1 order by p.purchased_at desc limit $2`,
          params: (r: Random, _v: Vars, o: O) => [r.int(1, o.customers), o.limit],
        },
      ],
    },
    buy: {
      weight: DEFAULT_WEIGHTS.buy,
      steps: [
        {
          sql: `insert into purchases (customer_id, product_id, quantity, total_cents, purchased_at)
                select $1, pr.id, $3, pr.price_cents * $3, now() from products pr where pr.id = $2`,
          params: (r: Random, _v: Vars, o: O) => [r.int(1, o.customers), r.zipfian(1, o.products, 1.1), r.int(1, 3)],
        },
      ],
    },
  },
});
