/**
 * pgsurge init against real pgbench (Debian's, PostgreSQL 15) on a throwaway server: the schema
 * and rows must be the same as `pgbench -i` with the same options, pgbench must run on what
 * pgsurge made, and pgsurge must read the scale of what pgbench made.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import pg from 'pg';
import { PgsurgeError } from '../../errors.js';
import type { LocalServer } from '../../local/server.js';
import { isCI, pgbenchPath, startTestServer } from '../../../test/helpers/server.js';
import { detectPgbenchScale, formatInitProgress, initPgbench, type PgbenchInitOptions } from './pgbench-init.js';

// Top level, not in before(): the helper's after() must belong to the file, not to a hook.
const server: LocalServer = await startTestServer();
let dbCounter = 0;

async function client(db: string): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: server.user, database: db });
  await c.connect();
  return c;
}

async function newDb(prefix: string): Promise<string> {
  const name = `${prefix}_${++dbCounter}`;
  const c = await client(server.database);
  try {
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
  return name;
}

function pgbench(db: string, args: readonly string[]): { status: number | null; out: string } {
  const r = spawnSync(pgbenchPath(), [...args, '-h', server.host, '-p', String(server.port), '-U', server.user, db], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: '' },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const BASE: PgbenchInitOptions = { scale: 2, steps: 'dtgvp', unlogged: false, fillfactor: 100, partitions: 0, partitionMethod: 'range', foreignKeys: false };

/** pgbench -i arguments for the same options. */
function pgbenchInitArgs(o: PgbenchInitOptions): string[] {
  const a = ['-i', '-q', '-s', String(o.scale), '-I', o.steps, '-F', String(o.fillfactor)];
  if (o.unlogged) a.push('--unlogged-tables');
  if (o.partitions > 0) a.push(`--partitions=${o.partitions}`, `--partition-method=${o.partitionMethod}`);
  if (o.foreignKeys) a.push('--foreign-keys');
  return a;
}

/** Everything a user (or pgbench) could tell apart, as JSON text per aspect. */
async function snapshot(db: string, withData: boolean): Promise<Record<string, unknown>> {
  const c = await client(db);
  try {
    const q = async (sql: string): Promise<unknown[]> => (await c.query(sql)).rows;
    const out: Record<string, unknown> = {
      columns: await q(`select table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable, column_default
                        from information_schema.columns where table_name like 'pgbench%' order by 1, 3`),
      constraints: await q(`select conrelid::regclass::text as rel, conname, contype, pg_get_constraintdef(oid) as def
                            from pg_constraint where conrelid::regclass::text like 'pgbench%' order by 1, 2`),
      indexes: await q(`select tablename, indexname, indexdef from pg_indexes where tablename like 'pgbench%' order by 1, 2`),
      relations: await q(`select c.relname, c.relkind, c.relpersistence, c.reloptions, pg_get_expr(c.relpartbound, c.oid) as bound,
                                 pg_get_partkeydef(c.oid) as partkey, c.reltablespace
                          from pg_class c where c.relname like 'pgbench%' order by 1`),
    };
    if (withData) {
      out['data'] = await q(`select
        (select row(count(*), sum(bid), sum(bbalance), count(filler)) from pgbench_branches)::text as branches,
        (select row(count(*), sum(tid), sum(bid), sum(tbalance), count(filler)) from pgbench_tellers)::text as tellers,
        (select row(count(*), sum(aid), sum(bid::bigint * aid), sum(abalance), count(*) filter (where filler = repeat(' ', 84)), min(aid), max(aid))
           from pgbench_accounts)::text as accounts,
        (select count(*) from pgbench_history) as history`);
      // Every row, in order, for the small tables and a digest of the large one.
      out['digest'] = await q(`select
        (select md5(string_agg(row(bid, bbalance, filler)::text, ';' order by bid)) from pgbench_branches) as b,
        (select md5(string_agg(row(tid, bid, tbalance, filler)::text, ';' order by tid)) from pgbench_tellers) as t,
        (select md5(string_agg(row(aid, bid, abalance, filler)::text, ';' order by aid)) from pgbench_accounts) as a`);
      // Rows must sit in the partition pgbench's bounds assign them to.
      out['perPartition'] = await q(`select tableoid::regclass::text as part, count(*), min(aid), max(aid) from pgbench_accounts group by 1 order by 1`);
    }
    return out;
  } finally {
    await c.end();
  }
}

async function pgsurgeInit(db: string, o: PgbenchInitOptions): Promise<void> {
  await initPgbench(() => client(db), o);
}

/** The pgbench workloads pgsurge's database must carry: tpcb-like and select-only. */
function assertPgbenchRuns(db: string): void {
  for (const extra of [[], ['-S']]) {
    const r = pgbench(db, ['-n', '-t', '50', '-c', '2', ...extra]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /number of transactions actually processed: 100\/100/, r.out);
  }
}

const S = isCI ? 1 : 2;
/** Large enough that pgbench_accounts is loaded over parallel streams (≥ 150k rows). */
const S_PARALLEL = 2;

const CASES: { name: string; opts: Partial<PgbenchInitOptions> }[] = [
  { name: 'defaults', opts: { scale: S } },
  { name: 'range partitions 3, parallel streams', opts: { scale: S_PARALLEL, partitions: 3, partitionMethod: 'range', parallel: 2 } },
  { name: 'hash partitions 3, parallel streams', opts: { scale: S_PARALLEL, partitions: 3, partitionMethod: 'hash', parallel: 2 } },
  { name: 'unlogged, fillfactor 90, foreign keys', opts: { scale: S, unlogged: true, fillfactor: 90, foreignKeys: true } },
  { name: 'range partitions with foreign keys made before the data', opts: { scale: S_PARALLEL, partitions: 2, steps: 'dtpfgv', parallel: 2 } },
  { name: 'server-side generation', opts: { scale: S, steps: 'dtGvp', partitions: 2, partitionMethod: 'hash' } },
];

describe('pgsurge init ≡ pgbench -i', () => {
  for (const { name, opts } of CASES) {
    test(name, async () => {
      const o: PgbenchInitOptions = { ...BASE, ...opts };
      const theirs = await newDb('pgbench');
      const ours = await newDb('pgsurge');
      const r = pgbench(theirs, pgbenchInitArgs(o));
      assert.equal(r.status, 0, r.out);
      await pgsurgeInit(ours, o);
      assert.deepEqual(await snapshot(ours, true), await snapshot(theirs, true));
      assertPgbenchRuns(ours);
    });
  }

  test('bigint aid from scale 20000 (tables only)', async () => {
    const o: PgbenchInitOptions = { ...BASE, scale: 20_000, steps: 'dt', partitions: 4 };
    const theirs = await newDb('pgbench');
    const ours = await newDb('pgsurge');
    assert.equal(pgbench(theirs, pgbenchInitArgs(o)).status, 0);
    await pgsurgeInit(ours, o);
    const snap = await snapshot(ours, false);
    assert.deepEqual(snap, await snapshot(theirs, false));
    assert.match(JSON.stringify(snap['columns']), /"table_name":"pgbench_accounts","column_name":"aid","ordinal_position":1,"data_type":"bigint"/);
  });

  test('a second init over an existing database replaces it', async () => {
    const db = await newDb('pgsurge');
    await pgsurgeInit(db, { ...BASE, scale: 1 });
    await pgsurgeInit(db, { ...BASE, scale: S });
    const c = await client(db);
    try {
      assert.equal(await detectPgbenchScale(c), S);
    } finally {
      await c.end();
    }
  });
});

describe('detectPgbenchScale', () => {
  test('reads the scale of a pgbench-made database', async () => {
    const db = await newDb('pgbench');
    assert.equal(pgbench(db, ['-i', '-q', '-s', '3', '-I', 'dtG']).status, 0);
    const c = await client(db);
    try {
      assert.equal(await detectPgbenchScale(c), 3);
    } finally {
      await c.end();
    }
  });

  test('missing tables: exit 1 and what to do', async () => {
    const db = await newDb('empty');
    const c = await client(db);
    try {
      await assert.rejects(detectPgbenchScale(c), (e: unknown) => {
        assert.ok(e instanceof PgsurgeError);
        assert.equal(e.exitCode, 1);
        assert.equal(e.code, 'PGBENCH_TABLES_MISSING');
        assert.equal(e.message, `pgbench tables not found in database "${db}": run \`pgsurge init\` (or pgbench -i) first`);
        return true;
      });
    } finally {
      await c.end();
    }
  });
});

describe('bad options', () => {
  const bad: [Partial<PgbenchInitOptions>, RegExp][] = [
    [{ scale: 0 }, /-s\/--scale/],
    [{ scale: 1.5 }, /-s\/--scale/],
    [{ steps: 'dtx' }, /unrecognized initialization step "x"/],
    [{ steps: '' }, /no initialization steps/],
    [{ fillfactor: 9 }, /-F\/--fillfactor/],
    [{ fillfactor: 101 }, /-F\/--fillfactor/],
    [{ partitions: -1 }, /--partitions/],
    [{ partitions: 0, partitionMethod: 'hash' }, /--partition-method requires greater than zero --partitions/],
    [{ parallel: 0 }, /--parallel/],
  ];
  for (const [opts, message] of bad) {
    test(`${JSON.stringify(opts)} → usage error`, async () => {
      let connected = false;
      const connect = async (): Promise<pg.Client> => {
        connected = true;
        return await client(server.database);
      };
      await assert.rejects(initPgbench(connect, { ...BASE, ...opts }), (e: unknown) => {
        assert.ok(e instanceof PgsurgeError);
        assert.equal(e.exitCode, 2);
        assert.match(e.message, message);
        return true;
      });
      assert.equal(connected, false, 'options are checked before connecting');
    });
  }

  test('every problem is reported at once', async () => {
    await assert.rejects(
      initPgbench(() => client(server.database), { ...BASE, scale: 0, fillfactor: 5, steps: 'q' }),
      (e: unknown) => {
        assert.ok(e instanceof PgsurgeError);
        assert.equal(e.details.length, 3);
        return true;
      },
    );
  });
});

test('progress reaches every table and the line reads well', async () => {
  const db = await newDb('progress');
  const seen = new Map<string, number>();
  let line = '';
  await initPgbench(() => client(db), {
    ...BASE,
    scale: 1,
    onProgress: (p) => {
      seen.set(`${p.step}:${p.table}`, p.rows);
      if (p.table === 'pgbench_accounts') line = formatInitProgress(p);
    },
  });
  assert.equal(seen.get('client-side generate:pgbench_accounts'), 100_000);
  assert.equal(seen.get('client-side generate:pgbench_tellers'), 10);
  assert.ok(seen.has('primary keys:'), 'steps without rows report when done');
  assert.match(line, /^client-side generate pgbench_accounts \[#{20}\] 100% {2}100k\/100k rows .* done in/);
});
