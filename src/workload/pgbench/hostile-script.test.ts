/**
 * Scripts a user should not write but may: each is refused with one line naming file:line (exit 2)
 * or runs; none crashes the parser, the compiler or a client.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PgsurgeError } from '../../errors.js';
import { StepKind, type ClientContext, type TxnRunner } from '../types.js';
import { compileScript } from './compile.js';
import { MAX_EXPR_DEPTH } from './expr-parser.js';
import { printable } from './printable.js';

/** Characters a message must not show raw. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/;

const CTX: ClientContext = { clientId: 0, scale: 1, defines: {}, randomSeed: 1n };

const program = (text: string) => compileScript(text, { name: 't.sql', file: 'dir/t.sql' });

/** The usage error compiling `text` throws (exit 2, one line). */
function refusal(text: string): PgsurgeError {
  try {
    program(text);
  } catch (e) {
    assert.ok(e instanceof PgsurgeError, `not a PgsurgeError: ${String(e)}`);
    assert.equal(e.exitCode, 2);
    assert.ok(!e.message.includes('\n'), `more than one line: ${JSON.stringify(e.message)}`);
    return e;
  }
  assert.fail(`compiled: ${JSON.stringify(text.slice(0, 80))}`);
}

/** One pass of the script: its steps, the error if any, the variable `name` at the end. */
function pass(runner: TxnRunner): string[] {
  const trace: string[] = [];
  runner.begin();
  for (let i = 0; i < 100; i++) {
    const step = runner.next();
    if (step === StepKind.End) return trace;
    if (step === StepKind.Error) return [...trace, `error: ${runner.error}`];
    if (step === StepKind.Sleep) trace.push(`sleep ${runner.sleepUs}`);
    if (step === StepKind.Query) {
      trace.push(`q${runner.stmt}`);
      runner.onRows([], []);
    }
  }
  throw new Error('runaway script');
}

/** The value `\set x EXPR` gives x (as text), or the runtime error. */
function evalSet(expr: string): string {
  const p = program(`\\set x ${expr}\nselect :x;\n`);
  const r = p.createRunner(CTX);
  r.begin();
  const step = r.next();
  if (step === StepKind.Error) return `error: ${r.error}`;
  assert.equal(step, StepKind.Query);
  return String(r.params[0]);
}

describe('scripts with no statement', () => {
  it('an empty script, blanks only or -- comments only is refused, as pgbench does', () => {
    for (const text of ['', '\n\n  \t\n', '-- only a comment\n-- and another\n']) {
      assert.match(refusal(text).message, /^dir\/t\.sql: empty script/);
    }
  });

  it('a /* */ comment alone is an (empty) SQL command, as in pgbench', () => {
    assert.equal(program('/* nothing */\n').statements.length, 1);
  });

  it('a script of meta-commands only runs; each pass ends with a zero sleep, so no transaction starts inside another', () => {
    const r = program('\\set i 1\n\\set j :i + 1\n').createRunner(CTX);
    for (let i = 0; i < 3; i++) assert.deepEqual(pass(r), ['sleep 0']);
  });

  it('so does a pass whose SQL is in a false \\if branch; a pass that ran SQL has no extra sleep', () => {
    const r = program('\\set i random(0, 1)\n\\if :i = 1\nselect 1;\n\\endif\n').createRunner(CTX);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(JSON.stringify(pass(r)));
    assert.deepEqual([...seen].sort(), ['["q0"]', '["sleep 0"]']);
  });

  it('a script whose last step is a sleep ends right after it', () => {
    assert.deepEqual(pass(program('\\sleep 5 ms\n').createRunner(CTX)), ['sleep 5000']);
  });
});

describe('deep and long expressions', () => {
  it('4,000 nested parentheses are refused at file:line, not a stack overflow', () => {
    const e = refusal(`select 1;\n\\set x ${'('.repeat(4000)}1${')'.repeat(4000)}\n`);
    assert.match(e.message, /^dir\/t\.sql:2: expression too deeply nested \(more than 1000 levels\)/);
  });

  it('nesting up to the limit works', () => {
    const depth = MAX_EXPR_DEPTH - 1;
    assert.equal(evalSet(`${'('.repeat(depth)}7${')'.repeat(depth)}`), '7');
  });

  it('deep unary operators, NOT, function calls, CASE and AND chains are refused the same way', () => {
    for (const expr of [
      `${'-'.repeat(5000)}1`,
      `${'not '.repeat(3000)}true`,
      `${'abs('.repeat(3000)}1${')'.repeat(3000)}`,
      `${'case when true then '.repeat(2000)}1${' end'.repeat(2000)}`,
      Array(3000).fill('true').join(' and '),
    ]) {
      assert.match(refusal(`\\set x ${expr}\n`).message, /^dir\/t\.sql:1: expression too deeply nested/);
    }
  });

  it('a 3,000-term sum is evaluated (in a loop), with the result a reference computes', () => {
    const terms = Array.from({ length: 3000 }, (_, i) => i * 7 - 5000);
    const ops = terms.map((_, i) => (i % 3 === 2 ? '-' : '+'));
    let text = String(terms[0]);
    let ref = BigInt(terms[0]!);
    for (let i = 1; i < terms.length; i++) {
      text += ` ${ops[i]} ${terms[i]}`;
      ref = ops[i] === '+' ? ref + BigInt(terms[i]!) : ref - BigInt(terms[i]!);
    }
    assert.equal(evalSet(text), String(ref));
  });

  it('a long chain keeps the nested evaluation: overflow is an error, NULL propagates, doubles win', () => {
    const chain = (first: string, n: number) => `${first}${' + 1'.repeat(n)}`;
    assert.match(evalSet(chain('9223372036854775800', 40)), /^error: dir\/t\.sql:1:1: bigint add out of range$/);
    assert.equal(evalSet(chain('9223372036854775800', 7)), '9223372036854775807');
    assert.equal(evalSet(`${chain('1', 30)} + null is null`), 'true');
    assert.equal(evalSet(chain('0.5', 30)), '30.5');
    assert.equal(evalSet(`${Array(40).fill('2').join(' * ')} / 1099511627776`), '1');
  });
});

describe('\\sleep', () => {
  it('refuses a sleep a timer cannot hold (2^31 ms or more), naming file:line', () => {
    for (const text of ['\\sleep 2147483648 ms', '\\sleep 2147484 s', '\\sleep 99999999999999999999999', '\\sleep 2147483648000us']) {
      assert.match(refusal(`${text}\n`).message, /^dir\/t\.sql:1: sleep time .* is too long, the longest is 2147483647 ms/);
    }
  });

  it('the longest sleep is kept exact', () => {
    assert.deepEqual(pass(program('\\sleep 2147483647 ms\n').createRunner(CTX)), ['sleep 2147483647000']);
  });

  it('a :variable sleep that is too long fails the transaction with a message, not a 1 ms sleep', () => {
    const p = compileScript('\\sleep :t s\n', { name: 't.sql', file: 'dir/t.sql' });
    const r = p.createRunner({ ...CTX, defines: { t: '3000000' } });
    assert.match(pass(r).join(), /error: dir\/t\.sql:1:1: sleep: sleep time too long/);
  });
});

describe('statements that cannot run', () => {
  it('a quote, dollar quote, quoted identifier or block comment left open is refused at file:line:col', () => {
    const cases: [string, RegExp][] = [
      ["select 1;\nselect 'abc;\n", /^dir\/t\.sql:2:8: unterminated quoted string/],
      ['select 1 /* open\n', /^dir\/t\.sql:1:10: unterminated comment/],
      ['select $x$ abc;\n', /^dir\/t\.sql:1:8: unterminated dollar-quoted string \(\$x\$ without its closing \$x\$\)/],
      ['select "a;\n', /^dir\/t\.sql:1:8: unterminated quoted identifier/],
      ["select E'a\\';\n", /^dir\/t\.sql:1:9: unterminated quoted string/],
    ];
    for (const [text, re] of cases) assert.match(refusal(text).message, re);
  });

  it('closed ones are fine', () => {
    assert.equal(program('select \'it\'\'s\', $x$ ; $x$, "a""b" /* c */;\n').statements.length, 1);
  });

  it('\\gset inside a pipeline is refused where the script is read', () => {
    assert.match(refusal('\\startpipeline\nselect 1 \\gset\n\\endpipeline\n').message, /^dir\/t\.sql:2: \\gset inside a pipeline \(opened at line 1\)/);
    assert.equal(program('\\startpipeline\nselect 1;\n\\endpipeline\nselect 1 \\gset\n').statements.length, 2);
  });
});

describe('bytes that are not text', () => {
  it('a NUL byte is refused with file:line:column, shown escaped', () => {
    const e = refusal('select 1;\nselect\u0000 2;\n');
    assert.equal(e.message, 'dir/t.sql:2:7: NUL byte (\\x00) in the script; is it a text file?');
  });

  it('garbage in a meta-command is shown escaped and shortened', () => {
    const e = refusal(`\\set x 1 \u0001\u001b[31m${'\ufffd'.repeat(500)}\n`);
    assert.match(e.message, /^dir\/t\.sql:1: unexpected character \(\\x01\)/);
    for (const line of [e.message, ...e.details]) {
      assert.ok(!RAW_CONTROL.test(line), JSON.stringify(line));
      assert.ok(line.length < 1200, `${line.length} characters`);
    }
  });

  it('an invalid command name made of garbage is escaped', () => {
    const e = refusal('\\set\u0007 x 1\n\\\u0001\n');
    assert.ok(!RAW_CONTROL.test(e.message), JSON.stringify(e.message));
  });

  it('a -D value with control characters is shown escaped when a script cannot use it', () => {
    const r = program('\\set x :v + 1\nselect :x;\n').createRunner({ ...CTX, defines: { v: `a\u0001b${'z'.repeat(500)}` } });
    const [error] = pass(r);
    assert.match(error ?? '', /^error: dir\/t\.sql:1:1: malformed variable "v" value: "a\\x01bz+…"$/);
  });

  it('printable escapes control characters and cuts long text', () => {
    assert.equal(printable('a\u0000b\nc\u007f\ufffd'), 'a\\x00b\\x0ac\\x7f\\u{fffd}');
    assert.equal(printable('x'.repeat(100), 10), `${'x'.repeat(10)}…`);
    assert.equal(printable('tab\tand é'), 'tab\tand é');
  });
});
