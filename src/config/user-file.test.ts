import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PgsurgeError } from '../errors.js';
import { parseScenario, loadScenarioFile } from './scenario.js';
import { MAX_YAML_FILE_BYTES } from './user-file.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-user-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The one-line usage error `fn` throws. */
function errorOf(fn: () => unknown): PgsurgeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgsurgeError, String(e));
    assert.equal(e.exitCode, 2);
    assert.ok(!e.message.includes('\n'), e.message);
    return e;
  }
  assert.fail('expected a usage error');
}

const BOMB = [
  'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  'scenarios: *f',
].join('\n');

test('an alias bomb is refused at the alias that passes the limit, with its line', () => {
  const e = errorOf(() => parseScenario(BOMB, 'bomb.yaml'));
  assert.match(e.message, /^bomb\.yaml:5:\d+: YAML aliases here would expand to more than 10000 nodes/);
  assert.equal(e.code, 'SCENARIO_SYNTAX');
});

test('a few aliases, as people reuse values, are fine', () => {
  const src = ['common: &c { workload: select-only, duration: 1s }', 'scenarios:', '  a: *c', '  b: *c'].join('\n');
  // The extra top-level key is a schema problem, not a YAML one: the aliases themselves passed.
  const e = errorOf(() => parseScenario(src, 'reuse.yaml'));
  assert.match(e.message, /problem/);
  assert.equal(e.code, 'SCENARIO_INVALID');
});

test('deep nesting of every shape is one line with its line number, never a stack overflow', () => {
  const deep = 20_000;
  const shapes: Record<string, string> = {
    'flow sequences': `${'['.repeat(deep)}${']'.repeat(deep)}`,
    'flow maps': `scenarios: ${'{a: '.repeat(deep)}1${'}'.repeat(deep)}`,
    'block sequences on one line': `${'- '.repeat(deep)}x`,
    'block maps': Array.from({ length: 1200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
    'sequences after a quoted bracket': `x: "[[["\ny: ${'['.repeat(deep)}`,
  };
  for (const [shape, src] of Object.entries(shapes)) {
    if (src.length > MAX_YAML_FILE_BYTES) continue;
    const e = errorOf(() => parseScenario(src, 'deep.yaml'));
    assert.match(e.message, /^deep\.yaml:\d+(:\d+)?: nested (more than 100 levels deep|too deep)/, shape);
  }
});

test('bytes that are not UTF-8 are named with their line; a BOM is fine', () => {
  const f = join(dir, 'latin1.yaml');
  writeFileSync(f, Buffer.concat([Buffer.from('scenarios:\n  a:\n    workload: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  assert.equal(errorOf(() => loadScenarioFile(f)).message, `${f}:3: byte 0xe9 is not UTF-8; save the file as UTF-8`);
  const bom = join(dir, 'bom.yaml');
  writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('scenarios:\n  a: { workload: select-only, duration: 2s }\n')]));
  assert.equal(loadScenarioFile(bom).durationMs, 2000);
});

test('a file over the size limit, a directory and a device are one line each', () => {
  const big = join(dir, 'big.yaml');
  writeFileSync(big, `# ${'x'.repeat(MAX_YAML_FILE_BYTES)}\n`);
  assert.equal(
    errorOf(() => loadScenarioFile(big)).message,
    `${big}: scenario file of ${MAX_YAML_FILE_BYTES + 3} bytes is larger than 1 MiB, the most accepted`,
  );
  assert.equal(errorOf(() => loadScenarioFile(dir)).message, `cannot read scenario file ${dir}: is a directory`);
  assert.equal(errorOf(() => loadScenarioFile('/dev/zero')).message, 'cannot read scenario file /dev/zero: not a regular file');
});

test('duplicate keys name their line', () => {
  const e = errorOf(() => parseScenario('scenarios:\n  a: { workload: select-only }\n  a: { workload: tpcb-like }\n', 'dup.yaml'));
  assert.match(e.message, /^dup\.yaml:3:3: Map keys must be unique/);
});
