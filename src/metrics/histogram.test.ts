import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compressedBytes, decodeBytes, decodeInto, encodeHistogram, histogramBytes, newHistogram } from './histogram.js';

/** Values as workers record them: µs from 0 to an hour, with repeats, in one 32-bit WebAssembly histogram. */
const values = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 3_600_000_000 }), fc.integer({ min: 0, max: 5000 }), fc.constantFrom(0, 1, 2047, 2048, 3_600_000_000)),
  {
    minLength: 1,
    maxLength: 300,
  },
);

function workerBytes(vs: readonly number[]): Uint8Array {
  const h = newHistogram('interval', true);
  try {
    for (const v of vs) h.recordValue(v);
    return histogramBytes(h)!;
  } finally {
    h.destroy();
  }
}

test('decodeInto gives the same histogram as decodeBytes, reusing one target for any sequence of snapshots', () => {
  const scratch = newHistogram('total');
  fc.assert(
    fc.property(fc.array(values, { minLength: 1, maxLength: 4 }), (snapshots) => {
      for (const vs of snapshots) {
        const bytes = workerBytes(vs);
        const fresh = decodeBytes(bytes);
        const reused = decodeInto(scratch, bytes);
        assert.equal(reused, scratch);
        assert.equal(reused.totalCount, vs.length);
        assert.equal(encodeHistogram(reused), encodeHistogram(fresh));
        assert.equal(reused.minNonZeroValue, fresh.minNonZeroValue);
        assert.equal(reused.maxValue, fresh.maxValue);
        assert.equal(reused.mean, fresh.mean);
        for (const p of [0, 50, 90, 99, 99.9, 100]) assert.equal(reused.getValueAtPercentile(p), fresh.getValueAtPercentile(p));
      }
    }),
    { numRuns: 150 },
  );
});

test('decodeInto reads the compressed encoding of result files too', () => {
  const h = newHistogram('total');
  for (const v of [0, 5, 5, 1234, 99_000_000]) h.recordValue(v);
  const out = decodeInto(newHistogram('total'), compressedBytes(h)!);
  assert.equal(encodeHistogram(out), encodeHistogram(h));
  assert.equal(out.totalCount, 5);
});
