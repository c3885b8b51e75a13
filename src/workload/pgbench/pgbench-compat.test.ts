/**
 * Runs the same scripts through Debian's pgbench and through our runner against a throwaway server
 * and compares what reached the database: every \set value, random streams included (same
 * --random-seed, one client), and the runtime errors.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pgbenchPath, startTestServer } from '../../../test/helpers/server.js';
import { StepKind, type ClientContext } from '../types.js';
import { BUILTIN_SCRIPTS } from './builtin-scripts.js';
import { compileScript } from './compile.js';

const PGBENCH = pgbenchPath();
const SEED = 5432n;
// started at top level: the helper stops it after this file
const server = existsSync(PGBENCH) ? await startTestServer() : undefined;
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-compat-'));

/** Expressions checked value by value; each becomes `\set eN expr` + an INSERT of :eN. */
const EXPRESSIONS = [
  '1 + 2 * 3',
  '7 / 2',
  '-7 / 2',
  '7 % 3',
  '-7 % 3',
  '7.0 / 2',
  '1 / 3.0',
  '(1 + 2) * -3',
  '+5 - -5',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775807 - 1',
  '4611686018427387904 + 4611686018427387903',
  '3037000499 * 3037000499',
  '-9223372036854775807 / -1',
  '9007199254740993 / 3',
  '9007199254740993 % 1000',
  '5 & 3',
  '5 | 3',
  '5 # 3',
  '~5',
  '1 << 62',
  '-16 >> 2',
  '1 << 63',
  '123456789012 & 987654321098',
  '-1 # 1234567890123',
  '1 < 2',
  '2 >= 2.0',
  '1 = 1.0',
  '1 <> 2',
  '1 != 1',
  '3 > 2',
  '2 <= 1',
  'true AND false',
  'NULL AND true',
  'false AND NULL',
  'true OR NULL',
  'NOT true',
  'NOT 1 = 2',
  'NULL IS NULL',
  '1 IS NULL',
  '1 ISNULL',
  '1 NOTNULL',
  'true IS TRUE',
  '1 IS NOT TRUE',
  'false IS NOT FALSE',
  'CASE WHEN 1 > 2 THEN 1 WHEN 2 > 1 THEN 2 ELSE 3 END',
  'CASE WHEN false THEN 1 END',
  'CASE WHEN 0 THEN 1 ELSE 2.5 END',
  'abs(-5)',
  'abs(-5.5)',
  'debug(5)',
  'double(5)',
  'exp(1)',
  'ln(10)',
  'greatest(1, 2.5, 3)',
  'least(3, 1, 2)',
  'greatest(1, NULL)',
  'hash(123)',
  'hash(123, 456)',
  'hash_fnv1a(123, 456)',
  'hash_fnv1a(-1)',
  'hash_murmur2(-1, 0)',
  'hash_murmur2(9223372036854775807, -9223372036854775808)',
  'int(5.5)',
  'int(6.5)',
  'int(-5.5)',
  'int(1e15 + 0.5)',
  'mod(-7, 3)',
  'permute(5, 10)',
  'permute(0, 100, 42)',
  'permute(12345, 1000000, -7)',
  'permute(-3, 7, 1)',
  'permute(123, 9007199254740993, 5)',
  'pi()',
  'pow(2, 10)',
  'power(2.5, 0.5)',
  'sqrt(2)',
  'PI() * 2',
  '1.0 / 3',
  '1e20 * 1.0',
  '1e-5 * 1.0',
  '123456789012345678.0',
  '0.1 + 0.2',
  '100.0',
  '1.5e300 * 1e300',
  '-1.5e300 * 1e300',
  '0.000123456789',
  '1e15 * 1.0',
  '1e14 * 1.0',
  '123456.5',
  '.5',
  '5.',
  '2.5e-3',
  ':scale',
  ':client_id',
  ':random_seed',
  ':default_seed',
  ':foo + 1',
  ':bar * 2',
  ':baz AND true',
  ':neg - 1',
  'random(1, 10)',
  'random(-5, 5)',
  'random(1, 1000000000000)',
  'random(7, 7)',
  'random(0, 9223372036854775806)',
  'random(-9007199254740993, 9007199254740993)',
  'random_exponential(1, 100, 2.5)',
  'random_gaussian(1, 100, 3.0)',
  'random_gaussian(1, 10, 2)',
  'random_zipfian(1, 100, 1.5)',
  'random_zipfian(1, 1000, 1.01)',
  'random_zipfian(1, 10, 3)',
  'random(1, 100000 * :scale)',
  'random_exponential(1, 1000000, 0.5)',
];

const DEFINES = { foo: '10', bar: '2.5', baz: 'yes', neg: ' -42', txt: 'hello' };

function scriptFor(exprs: readonly string[]): string {
  const lines = exprs.map((e, i) => `\\set e${i} ${e}\nINSERT INTO vals VALUES (:tx, ${i}, :e${i});`);
  return `\\set tx random(1, 1000000000)\nINSERT INTO vals VALUES (:tx, -1, :txt::text || :neg::text);\n${lines.join('\n')}\n`;
}

function runPgbench(url: string, script: string, tx: number): { status: number | null; stderr: string } {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, script);
  const defines = Object.entries(DEFINES).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
  const r = spawnSync(PGBENCH, ['-n', '-M', 'extended', '-c', '1', '-t', String(tx), `--random-seed=${SEED}`, ...defines, '-f', file, url], {
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

/** A minimal executor: what the engine does, without timing. Returns the runner's error, if any. */
async function runOurs(client: pg.Client, script: string, tx: number): Promise<string> {
  const program = compileScript(script, { name: 'compat', file: 'compat.sql' });
  const ctx: ClientContext = { clientId: 0, scale: 1, defines: DEFINES, randomSeed: SEED };
  const runner = program.createRunner(ctx);
  for (let t = 0; t < tx; t++) {
    runner.begin();
    for (;;) {
      const step = runner.next();
      if (step === StepKind.End) break;
      if (step === StepKind.Error) return runner.error;
      if (step === StepKind.Sleep) continue;
      const spec = program.statements[runner.stmt];
      assert.ok(spec);
      const text = spec.parts.map((p, i) => (i === 0 ? p : `$${i}${p}`)).join('');
      const values = runner.params.map((v) => (typeof v === 'bigint' ? v.toString() : v));
      const res = await client.query({ text, values, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
      if (spec.wantsRows) {
        runner.onRows(
          res.fields.map((f) => f.name),
          res.rows as (string | null)[][],
        );
      }
    }
  }
  return '';
}

describe('pgbench compatibility (real pgbench vs our runner)', { skip: !existsSync(PGBENCH) && 'pgbench not installed' }, () => {
  let url = '';
  let client: pg.Client;

  before(async () => {
    assert.ok(server);
    url = server.url;
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE TABLE vals (tx bigint, k int, v text)');
  });
  after(() => client.end());

  const compare = async (exprs: readonly string[], tx: number): Promise<void> => {
    const script = scriptFor(exprs);
    await client.query('TRUNCATE vals');
    const r = runPgbench(url, script, tx);
    assert.equal(r.status, 0, r.stderr);
    const theirs = await client.query('SELECT k, v FROM vals ORDER BY tx, k');
    await client.query('TRUNCATE vals');
    assert.equal(await runOurs(client, script, tx), '');
    // pgbench binds a NULL variable as the text 'NULL'; we bind SQL NULL (see the report)
    const ours = await client.query("SELECT k, coalesce(v, 'NULL') AS v FROM vals ORDER BY tx, k");
    const show = (rows: { k: number; v: string | null }[]) => rows.map((x) => `${exprs[x.k] ?? x.k} => ${x.v}`);
    assert.deepEqual(show(ours.rows), show(theirs.rows));
  };

  it('gives the same value for every expression, random streams included', async () => {
    await compare(EXPRESSIONS, 3);
  });
});

/** Runtime errors: pgbench's message (after "pgbench: error: ") must appear in ours. */
const RUNTIME_ERRORS = [
  '1 / 0',
  '1 % 0',
  '9223372036854775807 + 1',
  '-9223372036854775808 - 1',
  '4611686018427387904 * 2',
  '-9223372036854775808 / -1',
  'random(10, 1)',
  'random(-9223372036854775808, 9223372036854775807)',
  'random_gaussian(1, 10, 1.5)',
  'random_zipfian(1, 10, 1.0)',
  'random_exponential(1, 10, 0)',
  'permute(1, 0)',
  'int(1e30)',
  'NOT 1',
  'true + 1',
  ':nosuchvar + 1',
  ':txt + 1',
  '1 < true',
  '1 << true',
];

describe('pgbench compatibility: runtime errors', { skip: !existsSync(PGBENCH) && 'pgbench not installed' }, () => {
  for (const expr of RUNTIME_ERRORS) {
    it(`fails like pgbench on ${expr}`, async () => {
      assert.ok(server);
      const script = `\\set x ${expr}\nSELECT :x;\n`;
      const r = runPgbench(server.url, script, 1);
      assert.notEqual(r.status, 0);
      const theirs = /pgbench: error: (?!client)(.*)/.exec(r.stderr)?.[1] ?? r.stderr;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        const ours = await runOurs(client, script, 1);
        assert.match(ours, /^compat\.sql:1:1: /);
        assert.ok(ours.endsWith(theirs), `ours: ${ours}\ntheirs: ${theirs}`);
      } finally {
        await client.end();
      }
    });
  }
});

describe('pgbench compatibility: scripts', { skip: !existsSync(PGBENCH) && 'pgbench not installed' }, () => {
  it('has the built-in scripts exactly as pgbench --show-script prints them', () => {
    for (const [name, text] of Object.entries(BUILTIN_SCRIPTS)) {
      const r = spawnSync(PGBENCH, [`--show-script=${name}`], { encoding: 'utf8' });
      const shown = r.stderr.split('\n').slice(1).join('\n');
      assert.equal(`${text}\n`, shown, name);
    }
  });

  it('runs \\gset, \\aset, \\if and the documentation examples like pgbench', async () => {
    assert.ok(server);
    const script = [
      '\\set tx random(1, 1000000000)',
      'SELECT 40 + 2 AS answer, 1.5 AS half, NULL::int AS nothing \\gset g_',
      '\\set e0 :g_answer * 2',
      '\\set e1 :g_half * 3',
      'INSERT INTO vals VALUES (:tx, 0, :e0), (:tx, 1, :e1), (:tx, 2, :g_nothing);',
      'SELECT 6 + g AS seven, 8 AS eight FROM generate_series(1, 3) g ORDER BY g',
      '\\aset',
      '\\set e3 :seven + :eight',
      '\\if :e3 > 10 AND :g_answer = 42',
      '\\set e4 1',
      '\\elif true',
      '\\set e4 2',
      '\\else',
      '\\set e4 3',
      '\\endif',
      '\\set e5 random_zipfian(1, 100, 1.07) + random_exponential(1, 50, 3) + random_gaussian(1, 10, 2.5)',
      '\\set e6 permute(:e5, 1000, :default_seed) + hash_fnv1a(:e5) % 1000',
      '-- from the pgbench documentation',
      '\\set e7 5 * 2 - 3',
      '\\set e8 (1021 * random(1, 100000 * :scale)) % \\',
      '           (100000 * :scale) + 1',
      '\\set e9 CASE WHEN :e7 > 10 THEN 1 ELSE 0 END',
      '\\set e10 random_gaussian(1, 10, 2.5)',
      '\\set e11 1 + permute(random_zipfian(0, 10, 1.07), 10, :e7)',
      'INSERT INTO vals VALUES (:tx, 3, :e3), (:tx, 4, :e4), (:tx, 5, :e5), (:tx, 6, :e6), (:tx, 7, :e7),',
      '  (:tx, 8, :e8), (:tx, 9, :e9), (:tx, 10, :e10), (:tx, 11, :e11);',
      '\\sleep 1 us',
    ].join('\n');
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query('TRUNCATE vals');
      const r = runPgbench(server.url, script, 4);
      assert.equal(r.status, 0, r.stderr);
      const theirs = await client.query('SELECT k, v FROM vals ORDER BY tx, k');
      await client.query('TRUNCATE vals');
      assert.equal(await runOurs(client, script, 4), '');
      const ours = await client.query('SELECT k, v FROM vals ORDER BY tx, k');
      assert.equal(ours.rows.length, 48);
      assert.deepEqual(ours.rows, theirs.rows);
    } finally {
      await client.end();
    }
  });
});
