import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PgsurgeError } from '../../errors.js';
import { StepKind, type ClientContext, type TxnRunner } from '../types.js';
import { BUILTIN_SCRIPTS } from './builtin-scripts.js';
import { compileScript } from './compile.js';
import { formatDouble } from './values.js';

const CTX: ClientContext = { clientId: 0, scale: 1, defines: {}, randomSeed: 1n };

/** Drive a runner through one transaction; `rows` answers statements that want rows. */
function run(runner: TxnRunner, rows: (stmt: number) => [string[], (string | null)[][]] = () => [[], []]): string[] {
  const trace: string[] = [];
  runner.begin();
  for (let i = 0; i < 1000; i++) {
    const step = runner.next();
    if (step === StepKind.End) return trace;
    if (step === StepKind.Error) return [...trace, `error: ${runner.error}`];
    if (step === StepKind.Sleep) trace.push(`sleep ${runner.sleepUs}`);
    if (step === StepKind.Query) {
      trace.push(`q${runner.stmt} ${JSON.stringify(runner.params, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
      const [cols, data] = rows(runner.stmt);
      runner.onRows(cols, data);
    }
  }
  throw new Error('runaway script');
}

const program = (text: string) => compileScript(text, { name: 'test', file: 't.sql' });

describe('compileScript', () => {
  it('compiles the built-ins into prepared-ready statements', () => {
    const p = compileScript(BUILTIN_SCRIPTS['tpcb-like'], { name: 'tpcb-like' });
    assert.equal(p.statements.length, 7);
    assert.deepEqual(p.statements[1]?.parts, ['UPDATE pgbench_accounts SET abalance = abalance + ', ' WHERE aid = ', ';']);
    assert.equal(p.statements[5]?.line, 10);
    const s = compileScript(BUILTIN_SCRIPTS['select-only'], { name: 'select-only' });
    const r = s.createRunner({ ...CTX, scale: 10 });
    for (let i = 0; i < 200; i++) {
      const [q] = run(r);
      const aid = Number(/\[(\d+)\]/.exec(q ?? '')?.[1]);
      assert.ok(aid >= 1 && aid <= 1_000_000, q);
    }
  });

  it('splits SQL at semicolons outside quotes, comments, dollar quotes and parentheses', () => {
    const p = program(
      "-- leading comment\nSELECT ';' AS a, $x$ ; $x$,\n  \"q;\" -- c ; :nope\nFROM t WHERE v = :v::int;\nCREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\nSELECT 1 \\; SELECT 2;\nSELECT 'x:v' /* :w; */",
    );
    assert.deepEqual(
      p.statements.map((s) => s.line),
      [2, 5, 6, 7],
    );
    assert.deepEqual(p.statements[0]?.parts.length, 2);
    assert.ok(p.statements[0]?.parts[1]?.startsWith('::int;'));
    assert.equal(p.statements[2]?.text, 'SELECT 1 ; SELECT 2;');
    // like pgbench, a :name inside a string literal is a parameter; in a comment it is not
    assert.deepEqual(p.statements[3]?.parts, ["SELECT 'x", "' /* :w; */"]);
  });

  it('reports syntax errors with script, line and column, exit code 2', () => {
    const cases: [string, RegExp][] = [
      ['SELECT 1;\n\\set x 1 +', /^t\.sql:2: syntax error \(unexpected end of expression\) at column 11 in command "set"$/],
      ['\\set x foo(1)', /unexpected function name \(foo\) at column 8/],
      ['\\set x random(1)', /unexpected number of arguments \(random\)/],
      ['\\set x 1 < 2 < 3', /syntax error/],
      ['\\set x 99999999999999999999', /bigint constant overflow/],
      ['\\else', /\\else without matching \\if/],
      ['\\if true\nSELECT 1;', /^t\.sql:1: \\if without matching \\endif/],
      ['\\if 1\n\\else\n\\elif 2\n\\endif', /^t\.sql:3: \\elif after \\else/],
      ['\\sleep 1 xs', /unrecognized time unit, must be us, ms or s \(xs\) at column 10/],
      ['\\sleep abc', /invalid sleep time, must be an integer \(abc\)/],
      ['\\gset', /\\gset must follow an SQL command/],
      ['SELECT 1 \\gset\n\\gset', /^t\.sql:2: \\gset must follow an SQL command/],
      ['\\shell echo hi', /\\shell is not supported by pgsurge/],
      ['\\setshell x echo 1', /\\setshell is not supported/],
      ['\\frobnicate', /invalid command \(\\frobnicate\)/],
      ['\\endif extra', /\\endif without matching|unexpected argument/],
      ['\\set 1x 5', /invalid variable name \(1x\)/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => program(text),
        (e: unknown) => {
          assert.ok(e instanceof PgsurgeError, String(e));
          assert.equal(e.exitCode, 2);
          assert.match(e.message, re);
          return true;
        },
        text,
      );
    }
  });

  it('runs \\if / \\elif / \\else, nested, with pgbench truth rules', () => {
    const p = program(
      '\\set n :v\n\\if :n = 1\nSELECT 1;\n\\elif :n = 2\nSELECT 2;\n\\if NULL\nSELECT 99;\n\\else\nSELECT 22;\n\\endif\n\\elif 0.0\nSELECT 0;\n\\else\nSELECT 3;\n\\endif\nSELECT :n;',
    );
    const stmtsFor = (v: string) => run(p.createRunner({ ...CTX, defines: { v } })).map((q) => q.split(' ')[0]);
    assert.deepEqual(stmtsFor('1'), ['q0', 'q6']);
    assert.deepEqual(stmtsFor('2'), ['q1', 'q3', 'q6']);
    assert.deepEqual(stmtsFor('7'), ['q5', 'q6']);
  });

  it('stores \\gset and \\aset results, with prefixes, and checks the row count', () => {
    const p = program('SELECT 1 AS a, 2 AS b \\gset p_\nSELECT :p_a, :p_b;\nSELECT x FROM t;\n\\aset\nSELECT :x;');
    assert.equal(p.statements[0]?.wantsRows, true);
    assert.equal(p.statements[1]?.wantsRows, false);
    const answers = (stmt: number): [string[], (string | null)[][]] =>
      stmt === 0 ? [['a', 'b'], [['10', null]]] : stmt === 2 ? [['x'], [['1'], ['2']]] : [[], []];
    assert.deepEqual(run(p.createRunner(CTX), answers), ['q0 []', 'q1 ["10",""]', 'q2 []', 'q3 ["2"]']);
    const two = (stmt: number): [string[], (string | null)[][]] =>
      stmt === 0
        ? [
            ['a', 'b'],
            [
              ['1', '2'],
              ['3', '4'],
            ],
          ]
        : [[], []];
    assert.match(run(p.createRunner(CTX), two).at(-1) ?? '', /^error: t\.sql:1:1: expected one row, got 2$/);
  });

  it('sleeps with units, constants and variables', () => {
    const p = program('\\sleep 2\n\\sleep 5ms\n\\sleep 7 us\n\\set d 3\n\\sleep :d ms\n\\sleep :bad');
    const trace = run(p.createRunner({ ...CTX, defines: { bad: 'x' } }));
    assert.deepEqual(trace, ['sleep 2000000', 'sleep 5000', 'sleep 7', 'sleep 3000', 'error: t.sql:6:1: sleep: invalid sleep time "x" for variable "bad"']);
  });

  it('replays the same random values after rewind, and continues the stream after begin', () => {
    const p = program('\\set a random(1, 1000000)\n\\set b random_gaussian(1, 1000, 2.5)\nSELECT :a, :b;');
    const r = p.createRunner(CTX);
    r.begin();
    assert.equal(r.next(), StepKind.Query);
    const first = [...r.params];
    r.rewind();
    assert.equal(r.next(), StepKind.Query);
    assert.deepEqual([...r.params], first);
    assert.equal(r.next(), StepKind.End);
    r.begin();
    r.next();
    assert.notDeepEqual([...r.params], first);
  });

  it('gives each client its own reproducible stream', () => {
    const p = program('\\set a random(1, 1000000000)\nSELECT :a;');
    const values = (clientId: number, seed: bigint) => run(p.createRunner({ ...CTX, clientId, randomSeed: seed }))[0];
    assert.equal(values(3, 9n), values(3, 9n));
    assert.notEqual(values(3, 9n), values(4, 9n));
    assert.notEqual(values(3, 9n), values(3, 10n));
  });

  it('reports an undefined variable in SQL with its position', () => {
    const p = program('SELECT 1,\n  :missing;');
    assert.deepEqual(run(p.createRunner(CTX)), ['error: t.sql:2:3: undefined variable "missing"']);
  });

  it('passes variables as parameters: ints as numbers, doubles and text as strings, big ints as bigint', () => {
    const p = program(
      '\\set i 5 * 3\n\\set d 10 / 4.0\n\\set big 9007199254740993\n\\set b 1 < 2\n\\set n NULL\nSELECT :i, :d, :big, :b, :n, :s, :client_id, :scale;',
    );
    const [q] = run(p.createRunner({ ...CTX, clientId: 4, scale: 7, defines: { s: 'abc' } }));
    assert.equal(q, 'q0 [15,"2.5","9007199254740993n","true",null,"abc",4,7]');
  });

  it('joins meta-command lines ending in a backslash', () => {
    const p = program('\\set x 1 + \\\n  2 * \\\n  3\nSELECT :x;');
    assert.deepEqual(run(p.createRunner(CTX)), ['q0 [7]']);
    assert.equal(p.statements[0]?.line, 4);
  });

  it('runs pipeline commands as sequential statements', () => {
    const p = program('\\startpipeline\nSELECT 1;\nSELECT 2;\n\\syncpipeline\n\\endpipeline');
    assert.deepEqual(run(p.createRunner(CTX)), ['q0 []', 'q1 []']);
  });
});

describe('formatDouble (printf %.15g)', () => {
  it('formats like pgbench', () => {
    const cases: [number, string][] = [
      [2.5, '2.5'],
      [1 / 3, '0.333333333333333'],
      [1e20, '1e+20'],
      [1e-5, '1e-05'],
      [100, '100'],
      [1e15, '1e+15'],
      [1e14, '100000000000000'],
      [0.1 + 0.2, '0.3'],
      [-0.000123456789, '-0.000123456789'],
      [Infinity, 'Infinity'],
      [NaN, 'NaN'],
      [123456789012345680, '1.23456789012346e+17'],
    ];
    for (const [x, s] of cases) assert.equal(formatDouble(x), s, String(x));
  });
});
