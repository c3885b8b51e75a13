import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Option } from 'commander';
import { main } from './main.js';
import { RUN_OPTIONS, optionKey, type RunOptionSpec } from '../config/run-options.js';
import { textSink } from '../../test/helpers/text-sink.js';

const options: readonly RunOptionSpec[] = RUN_OPTIONS;

const sink = textSink;

test("the table's keys are commander's attribute names (RunOptionValues is what commander hands over)", () => {
  for (const o of options) assert.equal(new Option(`--${o.long}`).attributeName(), optionKey(o.long), `--${o.long}`);
});

test('run --help lists every option of the table, with its letter, placeholder, help and shown default; hidden ones not', async () => {
  const stdout = sink();
  const code = await main(['run', '--help'], { stdout, stderr: sink(), env: {} });
  assert.equal(code, 0);
  const help = stdout.text.replace(/\s+/g, ' ');
  for (const o of options) {
    if (o.hidden === true) {
      assert.ok(!help.includes(`--${o.long}`), `--${o.long} is for pgsurge processes, not in run --help`);
      continue;
    }
    const flags = `${o.short === undefined ? '' : `-${o.short}, `}--${o.long}`;
    const value = o.kind === 'value' || o.kind === 'list' ? ` <${o.placeholder}>` : o.kind === 'optional-value' ? ` [${o.placeholder}]` : '';
    const shown = o.kind === 'value' && o.showDefault === true ? ` (default: "${o.default ?? ''}")` : '';
    assert.ok(help.includes(`${flags}${value} ${o.help}${shown}`.replace(/\s+/g, ' ')), `--${o.long} in run --help`);
    if (o.kind === 'optional-value' && o.negatedHelp !== undefined)
      assert.ok(help.includes(`--no-${o.long} ${o.negatedHelp}`.replace(/\s+/g, ' ')), `--no-${o.long} in run --help`);
  }
});
