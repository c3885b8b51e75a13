import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompactLog } from './compact-log.js';

/** Values a timeline holds: plain objects and arrays of numbers (NaN, ±Infinity, -0), strings, booleans, null, undefined. */
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

test('compact log: every item comes back equal and in order, whatever the chunk size and however many were pushed', () => {
  fc.assert(
    fc.property(fc.array(plain, { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (items, chunkSize) => {
      const log = new CompactLog<unknown>(chunkSize);
      items.forEach((item, i) => {
        log.push(item);
        assert.equal(log.length, i + 1);
      });
      assert.deepStrictEqual(log.toArray(), items);
      // Reading does not consume: a second read is the same.
      assert.deepStrictEqual(log.toArray(), items);
    }),
  );
});

test('compact log: a timeline of an hour takes a small part of its size as objects', () => {
  // A server sample's shape: nested objects of numbers that change from one interval to the next.
  const sample = (k: number) => ({
    tS: k,
    durationS: 1,
    hosts: [
      {
        host: '127.0.0.1:5432',
        ok: true,
        activity: { active: (k * 7) % 16, idle: 16 - ((k * 7) % 16), idleInTransaction: 0, waiting: { Lock: 0, LWLock: k % 3, IO: 0 } },
        database: { commits: 20_000 + (k % 97), rollbacks: 0, blksHit: 80_000 + k, blksRead: k % 5, tempBytes: 0, deadlocks: 0 },
        process: { cpuPct: 61.5 + (k % 10), memoryBytes: 250_000_000 + k * 4096, processes: 24 },
        machine: { cpuPct: 97.1, loadAvg1: 4.2 + (k % 7) / 10, memAvailableBytes: 20e9 - k },
      },
    ],
    client: { cpuPct: 55 + (k % 13), memoryBytes: 120e6 + k, processes: 1, cores: 2 },
  });
  const log = new CompactLog<ReturnType<typeof sample>>();
  const n = 3600;
  for (let k = 0; k < n; k++) log.push(sample(k));
  const chunkedBytes = (log as unknown as { chunks: Buffer[] }).chunks.reduce((s, c) => s + c.length, 0);
  const jsonBytes = JSON.stringify(Array.from({ length: n }, (_x, k) => sample(k))).length;
  assert.ok(chunkedBytes * 5 < jsonBytes, `chunked ${chunkedBytes} B against ${jsonBytes} B of JSON`);
  assert.deepStrictEqual(log.toArray()[1234], sample(1234));
  assert.equal(log.length, n);
});

test('compact log: a chunk size that is not a whole number ≥ 1 is refused', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new CompactLog(bad), /chunkSize/);
});
