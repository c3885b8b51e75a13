/**
 * Property tests: whatever a script holds (SQL, meta-commands, garbage bytes, deep nesting, 100 KB
 * of text), compiling it either works or throws the project's usage error with a one-line message,
 * and running a compiled pass never throws. Integer arithmetic agrees with a BigInt reference.
 * PGSURGE_LONG=1 runs 50,000 cases per property instead of 1,000.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PgsurgeError } from '../../errors.js';
import { StepKind, type ClientContext } from '../types.js';
import { compileScript } from './compile.js';
import { ExprSyntaxError, parseExpression } from './expr-parser.js';
import { UnterminatedError, splitScript } from './script-parser.js';

const NUM_RUNS = process.env['PGSURGE_LONG'] === '1' ? 50_000 : 1_000;
const CTX: ClientContext = { clientId: 0, scale: 1, defines: { v: '5', t: 'abc' }, randomSeed: 7n };

/** Compile, then run one pass answering every statement with no rows; only a usage error may escape. */
function compileAndRun(text: string): void {
  let program;
  try {
    program = compileScript(text, { name: 'f.sql', file: 'f.sql' });
  } catch (e) {
    if (!(e instanceof PgsurgeError)) throw e;
    assert.equal(e.exitCode, 2, e.message);
    assert.ok(!e.message.includes('\n') && !e.message.includes('\r'), `more than one line: ${JSON.stringify(e.message)}`);
    assert.ok(e.message.startsWith('f.sql'), `does not name the file: ${e.message}`);
    return;
  }
  const runner = program.createRunner(CTX);
  runner.begin();
  for (let i = 0; i < 10_000; i++) {
    const step = runner.next();
    if (step === StepKind.End || step === StepKind.Error) return;
    if (step === StepKind.Query) runner.onRows([], []);
  }
}

const name = fc.constantFrom('x', 'v', 't', 'aid', 'scale', 'client_id', '_1', 'é');
const word = fc.constantFrom(
  '1',
  '-3',
  '2.5',
  ':v',
  ':t',
  ':x',
  'null',
  'true',
  '(',
  ')',
  '+',
  '*',
  '/',
  '%',
  'and',
  'or',
  'not',
  'case',
  'when',
  'then',
  'else',
  'end',
  'is',
  ',',
  '<',
  '>=',
  '<<',
  'random(1, 10)',
  'abs(',
  'least(',
  'hash(',
  'pow(',
  'sqrt(',
  'nosuch(',
  '9223372036854775807',
  '9223372036854775808',
  "'",
);
const expr = fc.array(word, { maxLength: 12 }).map((ws) => ws.join(' '));
const garbage = fc.string({ unit: 'binary', maxLength: 40 });
const deep = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('(', '-', 'abs(', 'not ', '~'))
  .map(([n, open]) => open.repeat(n) + '1' + (open.endsWith('(') ? ')'.repeat(n) : ''));

const shallowLine = fc.oneof(
  fc.constantFrom('select 1;', 'select :v, :x;', "insert into t values (':t');", 'begin;', 'end;', 'select $$ ; $$;', '/* c */', '-- c', ''),
  fc.tuple(name, expr).map(([n, e]) => `\\set ${n} ${e}`),
  fc
    .tuple(fc.constantFrom('', '1', ':v', ':t', '2147483648', '99999999999999999999', '-5', 'x'), fc.constantFrom('', 'ms', 'us', 's', 'h'))
    .map(([n, u]) => `\\sleep ${n} ${u}`),
  expr.map((e) => `\\if ${e}`),
  expr.map((e) => `\\elif ${e}`),
  fc.constantFrom(
    '\\else',
    '\\endif',
    '\\gset',
    '\\aset p_',
    '\\startpipeline',
    '\\syncpipeline',
    '\\endpipeline',
    '\\shell ls',
    '\\setshell x echo 1',
    '\\nosuch',
    '\\',
    '\\set',
  ),
  garbage,
  garbage.map((g) => `\\set x ${g}`),
);
const line = fc.oneof({ arbitrary: shallowLine, weight: 9 }, { arbitrary: deep.map((d) => `\\set x ${d}`), weight: 1 });

describe('pgbench scripts (property)', () => {
  it('random scripts compile or are refused with one line; a compiled pass never throws', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => compileAndRun(lines.join('\n'))),
      { numRuns: NUM_RUNS },
    );
  });

  it('large inputs (up to 100 KB) are handled like small ones', () => {
    // mostly up to a few KB, about one case in a hundred up to 100 KB (a case costs about 2 ms per 1 KB)
    const copies = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 50 }), weight: 99 }, { arbitrary: fc.integer({ min: 1_000, max: 5_000 }), weight: 1 });
    fc.assert(
      fc.property(fc.array(shallowLine, { minLength: 1, maxLength: 5 }), copies, (lines, times) => {
        const text = Array<string>(times).fill(lines.join('\n')).join('\n').slice(0, 100_000);
        compileAndRun(text);
        // the splitter alone: every command it finds comes from the text, in order
        let line = 0;
        try {
          for (const cmd of splitScript(text)) {
            assert.ok(cmd.line >= line);
            line = cmd.line;
          }
        } catch (e) {
          if (!(e instanceof UnterminatedError)) throw e;
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('pgbench expressions (property)', () => {
  it('any text parses or fails with a syntax error (never a stack overflow or another exception)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          expr,
          garbage,
          deep,
          fc.tuple(deep, expr).map(([d, e]) => `${d} ${e}`),
        ),
        (text) => {
          try {
            parseExpression(text);
          } catch (e) {
            if (!(e instanceof ExprSyntaxError)) throw e;
            assert.ok(!e.message.includes('\n'));
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  /** A random integer expression over + - * and parentheses, with its int64 value (or overflow). */
  type Term = { text: string; value: bigint | 'overflow' };
  const INT64 = (v: bigint): bigint | 'overflow' => (v >= -(2n ** 63n) && v < 2n ** 63n ? v : 'overflow');
  const leaf = fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map((v): Term => ({ text: v < 0n ? `(${v})` : String(v), value: v }));
  const combine = (l: Term, op: string, r: Term): Term => {
    const value =
      l.value === 'overflow' || r.value === 'overflow'
        ? 'overflow'
        : INT64(op === '+' ? l.value + r.value : op === '-' ? l.value - r.value : l.value * r.value);
    return { text: `(${l.text} ${op} ${r.text})`, value };
  };
  const { tree } = fc.letrec<{ tree: Term }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('tree'), fc.constantFrom('+', '-', '*'), tie('tree')).map(([l, op, r]) => combine(l, op, r)),
    ),
  }));
  /** The value `\set x TEXT` gives, as text ("overflow" for pgbench's out-of-range error). */
  const evaluate = (text: string): string => {
    const r = compileScript(`\\set x ${text}\nselect :x;`, { name: 'e.sql' }).createRunner(CTX);
    r.begin();
    const step = r.next();
    if (step === StepKind.Error) {
      assert.match(r.error, /out of range/);
      return 'overflow';
    }
    return String(r.params[0]);
  };

  it('integer + - * agree with BigInt arithmetic checked against int64', () => {
    fc.assert(
      fc.property(tree, (t) => assert.equal(evaluate(t.text), String(t.value))),
      { numRuns: NUM_RUNS },
    );
  });

  it('long left-to-right chains (evaluated in a loop) agree with the reference', () => {
    // terms come from a small generator seeded by fast-check (generating 3,000 arbitraries per case is slow)
    const chain = fc.record({
      length: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 200 }), weight: 9 }, { arbitrary: fc.integer({ min: 200, max: 3000 }), weight: 1 }),
      seed: fc.integer(),
      ops: fc.constantFrom('+-', '*', '+-*'),
    });
    fc.assert(
      fc.property(chain, ({ length, seed, ops }) => {
        let state = seed >>> 0;
        const nextInt = (): bigint => {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          return BigInt(state % 2_000_001) - 1_000_000n;
        };
        const term = (v: bigint): Term => ({ text: v < 0n ? `(${v})` : String(v), value: v });
        let acc: Term = term(nextInt());
        let text = acc.text;
        for (let i = 1; i < length; i++) {
          const op = ops.charAt(Number(nextInt() & 0xffn) % ops.length);
          const t = term(nextInt());
          acc = combine(acc, op, t);
          text += ` ${op} ${t.text}`;
        }
        // * binds tighter than + and -: the left-to-right reference holds for a chain of one kind
        if (ops !== '+-*') assert.equal(evaluate(text), String(acc.value));
        else evaluate(text);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
