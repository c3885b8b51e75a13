import assert from 'node:assert/strict';
import test from 'node:test';
import { CompactList } from './compact-list.js';

test('a compact list gives back what was pushed, in order, as JSON would, with non-finite numbers intact', () => {
  const list = new CompactList<Record<string, unknown>>();
  const entries = [
    { tS: 0, hosts: [{ host: 'a:5432', ok: true, tables: [{ name: 'pgbench_accounts', liveRows: 1_000_000 }] }], note: 'é ✓' },
    { tS: 1, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: Number.NEGATIVE_INFINITY, nil: null, gone: undefined, list: [1.5, -0, 2 ** 53] },
  ];
  for (const e of entries) list.push(e);
  assert.equal(list.length, 2);
  const back = list.slice();
  assert.deepEqual(back[0], entries[0]);
  const second: Record<string, unknown> = { ...entries[1], list: [1.5, 0, 2 ** 53] };
  delete second['gone'];
  assert.deepEqual(back[1], second);
  assert.ok(!('gone' in back[1]!), 'an undefined property is dropped, as in a result file');
  assert.deepEqual(list.slice(1, 2), [back[1]]);
  assert.deepEqual(list.slice(0, 0), []);
  assert.notEqual(list.slice()[0], back[0], 'every read decodes new objects: a caller cannot change what is kept');
});

test('a compact entry takes a fraction of its JSON', () => {
  const list = new CompactList<unknown>();
  const sample = {
    tables: Array.from({ length: 4 }, (_, i) => ({ name: `pgbench_table_${i}`, tableBytes: 134365184, indexBytes: 22487040, liveRows: 1e6, deadRows: 0 })),
  };
  list.push(sample);
  const stored = (list as unknown as { entries: Buffer[] }).entries[0]!.length;
  assert.ok(stored < JSON.stringify(sample).length / 2, `${stored} bytes for ${JSON.stringify(sample).length} of JSON`);
});
