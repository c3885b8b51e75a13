/** The bloat estimate on figures worked out by hand (the SQL that feeds it runs in server-figures.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexBloatBytes, parseTableBloat, tableBloatBytes } from './bloat.js';

const base = { blockBytes: 8192, maxAlign: 8, nullable: false, noStats: false } as const;

test('a table whose pages hold just its rows has no bloat; twice the pages, half is bloat', () => {
  // Row: 4 (line pointer) + 24 (23-byte header padded) + 16 (data) = 44 bytes → 185.6 rows per page.
  const rows = 185_600; // exactly 1000 pages at fill factor 100
  assert.equal(tableBloatBytes({ ...base, bytes: 1000 * 8192, tuples: rows, fillfactor: 100, width: 16, columns: 2 }), 0);
  assert.equal(tableBloatBytes({ ...base, bytes: 2000 * 8192, tuples: rows, fillfactor: 100, width: 16, columns: 2 }), 1000 * 8192);
  // Fill factor 50: the same rows need twice the pages, so none of them is bloat.
  assert.equal(tableBloatBytes({ ...base, bytes: 2000 * 8192, tuples: rows, fillfactor: 50, width: 16, columns: 2 }), 0);
});

test('an index: entries of 16 bytes + line pointer, fill factor 90; no statistics → no estimate', () => {
  // (8192 − 40) · 0.9 / 20 = 366 entries per leaf page; 366,000 entries → 1000 leaves + the metapage.
  const idx = { ...base, tuples: 366_000, fillfactor: 90, width: 4 };
  assert.equal(indexBloatBytes({ ...idx, bytes: 1001 * 8192 }), 0);
  assert.equal(indexBloatBytes({ ...idx, bytes: 3003 * 8192 }), 2002 * 8192);
  assert.equal(indexBloatBytes({ ...idx, bytes: 3003 * 8192, noStats: true }), null);
});

test('a row of the query → dead ratio and bloat ratio', () => {
  const t = parseTableBloat({
    name: 't',
    bytes: '16384000',
    live: '185600',
    dead: '185600',
    tuples: 185600,
    ff: 100,
    bs: 8192,
    ma: 8,
    cols: '2',
    nullable: false,
    width: 16,
    na: false,
  });
  assert.deepEqual(t, { name: 't', bytes: 16384000, liveRows: 185600, deadRows: 185600, deadRatio: 0.5, bloatBytes: 8192000, bloatRatio: 0.5 });
});
