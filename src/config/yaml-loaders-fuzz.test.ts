/**
 * Property tests of the two YAML loaders users hand files to: scenario files (config/scenario.ts)
 * and suite files (cli/suite-file.ts). Whatever a file holds — random text, plausible documents
 * with wrong values, anchors and aliases (bombs included), 100 KB of it, nesting deeper than 10,000
 * levels of every shape — loading it either works or throws the project's usage error (exit 2)
 * whose message is one line naming the file and whose detail lines are one line each, and a
 * password put into any field appears in neither. A sample goes through the CLI: exit 2, one line
 * per problem on stderr, no stack trace.
 * PGSURGE_LONG=1 runs 20,000 cases per property instead of 1,000.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { PgsurgeError } from '../errors.js';
import { parseSuite } from '../cli/suite-file.js';
import { parseScenario } from './scenario.js';

const NUM_RUNS = process.env['PGSURGE_LONG'] === '1' ? 20_000 : 1_000;
const SECRET = 'Pw-s3cret-9f2';
const CLI = fileURLToPath(new URL('../cli/bin.js', import.meta.url));

type Loader = (source: string, file: string) => unknown;
const LOADERS: Readonly<Record<string, { load: Loader; file: string }>> = {
  scenario: { load: parseScenario, file: 'hostile.yaml' },
  suite: { load: parseSuite, file: 'suite.yaml' },
};

/** Load `source`; only a one-line usage error naming the file may escape, and never the secret. */
function loadsOrRefusesInOneLine(load: Loader, file: string, source: string): void {
  try {
    load(source, file);
  } catch (e) {
    if (!(e instanceof PgsurgeError)) throw new Error(`not a PgsurgeError: ${String(e)}`, { cause: e });
    assert.equal(e.exitCode, 2, e.message);
    for (const line of [e.message, ...e.details]) {
      assert.ok(!/[\n\r]/.test(line), `more than one line: ${JSON.stringify(line)}`);
      assert.ok(!line.includes(SECRET), `the password is in: ${line}`);
    }
    assert.ok(e.message.startsWith(file) || e.message.startsWith(`cannot read`), `does not name the file: ${e.message}`);
  }
}

// --- generators -------------------------------------------------------------------------------

const secretUrl = fc.constantFrom(
  `postgres://u:${SECRET}@h/db`,
  `postgresql://u:${SECRET}@h:5432/db?sslmode=require`,
  `mysql://root:${SECRET}@h/db`,
  `host=h password=${SECRET} dbname=x`,
  `password='${SECRET}'`,
);
const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('10s', '0', '-1', '8k', '500/s', '1e999', 'NaN', '30s:1000,1m:0', 'select-only', 'tpcb-like@2', 'x.sql', 'p95<10ms', 'workload.rows_per_s>1'),
  secretUrl,
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const SCENARIO_KEYS = ['workload', 'clients', 'threads', 'rate', 'arrivals', 'stages', 'start', 'duration', 'latencyLimit', 'maxQueue', 'define', 'url'];
const STEP_KEYS = [
  'name',
  'workload',
  'only',
  'clients',
  'jobs',
  'duration',
  'transactions',
  'rate',
  'warmup',
  'latencyLimit',
  'protocol',
  'define',
  'thresholds',
];
const fieldsOf = (keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), value, { maxKeys: 8 });

/** Documents shaped like the real thing, with random (often wrong) values. */
const scenarioDoc = fc.record(
  {
    duration: scalar,
    scenarios: fc.dictionary(fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 8 })), fieldsOf(SCENARIO_KEYS), { maxKeys: 4 }),
  },
  { requiredKeys: [] },
);
const suiteDoc = fc.record({ name: scalar, steps: fc.oneof(fc.array(fieldsOf(STEP_KEYS), { maxLength: 4 }), value) }, { requiredKeys: [] });
const asText = (doc: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.tuple(doc, fc.boolean()).map(([d, json]) => {
    try {
      return json ? (JSON.stringify(d) ?? 'null') : stringify(d);
    } catch {
      return String(d);
    }
  });

/** Pieces of YAML syntax, glued at random: the parser's corners. */
const fragment = fc.oneof(
  fc.constantFrom(
    'scenarios:\n',
    'steps:\n',
    '  a:\n',
    '    workload: select-only\n',
    '  - name: x\n',
    '- ',
    '? ',
    ': ',
    '[',
    ']',
    '{',
    '}',
    ', ',
    '&a ',
    '*a',
    '&b [*a, *a, *a]\n',
    '!!binary ',
    '!tag ',
    '|\n',
    '>-\n',
    '"',
    "'",
    '#',
    '%YAML 1.2\n---\n',
    '---\n',
    '...\n',
    '\t',
    '\u0000',
    '\u0085',
    '\ufeff',
    '\ud800',
    '<<: *a\n',
    'duration: 1s\n',
  ),
  fc.string({ maxLength: 12, unit: 'binary' }),
  secretUrl,
);
const glued = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));

/** Anchors that alias the one before, `width` times each, `levels` deep: a bomb when both are large. */
const aliasChain = fc
  .record({ width: fc.integer({ min: 1, max: 12 }), levels: fc.integer({ min: 1, max: 12 }), root: fc.constantFrom('scenarios', 'steps', 'x') })
  .map(({ width, levels, root }) => {
    const lines = ['a0: &a0 [lol, lol]'];
    for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
    lines.push(`${root}: *a${levels}`);
    return lines.join('\n');
  });

/** Nesting deeper than 10,000 levels, of one shape or mixed. */
const OPENERS = ['[', '{a: ', '- ', '[{b: ', '{? ', '- [', '{"k": '];
const deep = fc
  .record({
    depth: fc.integer({ min: 10_001, max: 20_000 }),
    shape: fc.constantFrom(...OPENERS),
    prefix: fc.constantFrom('', 'scenarios: ', 'steps: ', 'x: "[[["\ny: '),
  })
  .map(({ depth, shape, prefix }) => `${prefix}${shape.repeat(depth)}`);
/** Deep block maps: one more space of indentation per level (as deep as 100 KB allows). */
const deepBlock = fc.integer({ min: 200, max: 440 }).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'));

/** About 100 KB: a fragment or a plausible document repeated. */
const big = fc
  .tuple(
    fc.oneof(glued, asText(scenarioDoc), asText(suiteDoc), fc.constant('  - name: s\n    workload: select-only\n')),
    fc.integer({ min: 90_000, max: 110_000 }),
  )
  .map(([piece, size]) => {
    const p = piece === '' ? 'x' : piece;
    return p.repeat(Math.ceil(size / p.length)).slice(0, size);
  });

/** Every kind of input, small ones most often. */
const anyInput = fc.oneof(
  { arbitrary: glued, weight: 12 },
  { arbitrary: asText(scenarioDoc), weight: 8 },
  { arbitrary: asText(suiteDoc), weight: 8 },
  { arbitrary: aliasChain, weight: 4 },
  { arbitrary: deep, weight: 2 },
  { arbitrary: deepBlock, weight: 1 },
  { arbitrary: big, weight: 1 },
);

// --- properties -------------------------------------------------------------------------------

for (const [kind, { load, file }] of Object.entries(LOADERS)) {
  describe(`${kind} file loader`, () => {
    it('never crashes: loads, or refuses with one line per problem, never showing a password', () => {
      fc.assert(
        fc.property(anyInput, (text) => loadsOrRefusesInOneLine(load, file, text)),
        { numRuns: NUM_RUNS },
      );
    });

    it('nesting deeper than 10,000 levels, of every shape, is refused with its line', () => {
      fc.assert(
        fc.property(deep, (text) => {
          assert.throws(
            () => load(text, file),
            (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && new RegExp(`^${file}:\\d+(:\\d+)?: `).test(e.message) && !e.message.includes('\n'),
          );
        }),
        { numRuns: Math.max(50, NUM_RUNS / 20) },
      );
    });

    it('alias chains load while small and are refused at an alias line when they would explode', () => {
      fc.assert(
        fc.property(aliasChain, (text) => {
          try {
            load(text, file);
          } catch (e) {
            assert.ok(e instanceof PgsurgeError && e.exitCode === 2, String(e));
            assert.ok(!e.message.includes('\n'));
            if (/aliases/.test(e.message)) assert.match(e.message, new RegExp(`^${file}:\\d+:\\d+: YAML aliases here would expand`));
          }
        }),
        { numRuns: Math.max(100, NUM_RUNS / 10) },
      );
    });
  });
}

describe('through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-yaml-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** `pgsurge ARGS` in `dir`; resolves with its exit code and stderr. The timeout only catches a hang. */
  function cli(args: readonly string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
    return new Promise((resolve, reject) => {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`pgsurge ${args.join(' ')} hung\n${stderr}`));
      }, 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr, stdout });
      });
    });
  }

  it('a sample of refused files: exit 2, every stderr line about the file, no stack, no password', async () => {
    // Inputs the loaders refuse (checked first), so the CLI never gets as far as starting a server.
    const refused = (load: Loader, file: string) => (t: string) => {
      try {
        load(t, file);
        return false;
      } catch {
        return true;
      }
    };
    const samples = [
      ...fc
        .sample(anyInput.filter(refused(parseScenario, 'hostile.yaml')), { numRuns: 6, seed: 42 })
        .map((t) => ({ t, args: ['run', 'hostile.yaml'], file: 'hostile.yaml' })),
      ...fc
        .sample(anyInput.filter(refused(parseSuite, 'suite.yaml')), { numRuns: 4, seed: 7 })
        .map((t) => ({ t, args: ['suite', 'suite.yaml'], file: 'suite.yaml' })),
    ];
    for (const s of samples) {
      writeFileSync(join(dir, s.file), s.t);
      const r = await cli(s.args);
      const shown = `input ${JSON.stringify(s.t.slice(0, 200))}\nstderr: ${r.stderr}`;
      assert.equal(r.code, 2, shown);
      assert.equal(r.stdout, '', shown);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0]!, new RegExp(`^pgsurge: (${s.file}|cannot read|\\d+ problems with the options:$)`), shown);
      for (const l of lines.slice(1)) assert.match(l, new RegExp(`^  - ${s.file}: `), shown);
      assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, shown);
      assert.ok(!r.stderr.includes(SECRET), shown);
    }
  });
});
