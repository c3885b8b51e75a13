import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from './main.js';
import { BUILTIN_MODULES, BUILTIN_WORKLOADS } from '../workload/builtin/registry.js';
import { BUILTIN_SCRIPTS } from '../workload/pgbench/builtin-scripts.js';
import { textSink } from '../../test/helpers/text-sink.js';

const sink = textSink;

test('run --help lists every built-in workload (pgbench scripts and modules) with its line', async () => {
  const stdout = sink();
  const code = await main(['run', '--help'], { stdout, stderr: sink(), env: {} });
  assert.equal(code, 0);
  // The names come from what `run` actually resolves, not from the list the help is made from.
  const names = [...Object.keys(BUILTIN_SCRIPTS), ...Object.keys(BUILTIN_MODULES)];
  assert.deepEqual(BUILTIN_WORKLOADS.map((w) => w.name).sort(), [...names].sort(), 'the registry lists every built-in once');
  const lines = stdout.text.split('\n');
  for (const name of names) {
    const line = lines.find((l) => new RegExp(`^\\s+${name}\\s{2,}\\S`).test(l));
    assert.ok(line !== undefined, `${name} has a line in run --help:\n${stdout.text}`);
    const info = BUILTIN_WORKLOADS.find((w) => w.name === name);
    assert.ok(info !== undefined && line.includes(info.description), `${name}: its description`);
    assert.ok(line.length <= 160, `${name}: one short line`);
  }
});
