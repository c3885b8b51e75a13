import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkloadSpec, resolveBuiltin, splitWeight } from './workload-spec.js';

test('built-in names and their unambiguous prefixes (pgbench -b se)', () => {
  assert.equal(resolveBuiltin('tpcb-like'), 'tpcb-like');
  assert.equal(resolveBuiltin('se'), 'select-only');
  assert.equal(resolveBuiltin('si'), 'simple-update');
  assert.equal(resolveBuiltin('s'), undefined, 'ambiguous');
  assert.equal(resolveBuiltin('x'), undefined);
});

test('@WEIGHT', () => {
  assert.deepEqual(splitWeight('select-only@3', '-b'), { name: 'select-only', weight: 3 });
  assert.deepEqual(splitWeight('x.sql', '-f'), { name: 'x.sql', weight: 1 });
  assert.deepEqual(splitWeight('@x', '-f'), { name: '@x', weight: 1 }, 'a leading @ is part of the name');
  assert.throws(() => splitWeight('x.sql@two', '-f'), /-f: invalid weight "two" in "x.sql@two"/);
});

test('a spec is a built-in script, a script file or a workload module', () => {
  assert.deepEqual(parseWorkloadSpec('select-only@2', 'WORKLOAD'), { kind: 'builtin', name: 'select-only', weight: 2 });
  assert.deepEqual(parseWorkloadSpec('tp', 'WORKLOAD'), { kind: 'builtin', name: 'tpcb-like', weight: 1 });
  assert.deepEqual(parseWorkloadSpec('bench.sql', 'WORKLOAD'), { kind: 'file', name: 'bench.sql', weight: 1 });
  assert.deepEqual(parseWorkloadSpec('dir/script', 'WORKLOAD'), { kind: 'file', name: 'dir/script', weight: 1 });
  assert.deepEqual(parseWorkloadSpec('./mine.ts@4', 'WORKLOAD'), { kind: 'module', name: './mine.ts', weight: 4 });
  assert.deepEqual(parseWorkloadSpec('purchases', 'WORKLOAD'), { kind: 'module', name: 'purchases', weight: 1 });
  assert.throws(() => parseWorkloadSpec('no-such', 'WORKLOAD'), { message: /^unknown workload "no-such" \(built-ins: tpcb-like/ });
  assert.throws(() => parseWorkloadSpec('no-such', 'workload'), { message: /^workload: unknown workload "no-such"/ });
});
