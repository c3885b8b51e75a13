/**
 * Micro-benchmark of the recorder hot path: ns per `txnOk` call (3 histogram records + counters),
 * JS vs WebAssembly HDR histograms, plus ns per `stmt` and the cost of one snapshot.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/recorder.js
 *
 * Measured on the 2-core dev machine (Node 20, shared with other builds, so noisy), 3 runs:
 *   txnOk  JS 440–715 ns, WASM 90–177 ns;  stmt  JS 180–215 ns, WASM 27–53 ns;  snapshot 7–16 ms
 *   (when snapshots were compressed base64; see histogramBytes for what they are now).
 * WASM is ~4× cheaper in every run. A bare, monomorphic JS recordValue loop can look as fast as
 * WASM (~25 ns), which is why the choice is made on the Recorder itself. JS would cost ~4 % of the
 * ~12 µs client CPU per transaction, WASM ~1 %. Hence WASM in the Recorder (src/metrics/histogram.ts).
 */
import hdr from 'hdr-histogram-js';
import { Recorder } from '../src/metrics/recorder.js';
import type { MetricsLayout } from '../src/metrics/types.js';

const layout: MetricsLayout = {
  txnTypes: [
    { name: 'tpcb-like', statements: ['BEGIN', 'UPDATE a', 'SELECT a', 'UPDATE t', 'UPDATE b', 'INSERT h', 'END'] },
    { name: 'select-only', statements: ['SELECT a'] },
  ],
};

const CALLS = 2_000_000;
const ROUNDS = 5;

/** Latencies around 0.5–5 ms with a tail, precomputed so the loop measures the recorder only. */
const latUs = new Float64Array(4096);
{
  let x = 12345;
  for (let i = 0; i < latUs.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    latUs[i] = 500 + (x % 4500) + (i % 100 === 0 ? 50_000 : 0);
  }
}

function timeTxnOk(r: Recorder): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    const sched = i * 100;
    r.txnOk(i & 1, sched, sched + 20, sched + latUs[i & 4095]!, 1);
  }
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

function timeStmt(r: Recorder): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) r.stmt(0, i % 7, latUs[i & 4095]!, true);
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

function best(f: () => number): number {
  let min = Infinity;
  for (let k = 0; k < ROUNDS; k++) min = Math.min(min, f());
  return min;
}

async function main(): Promise<void> {
  await hdr.initWebAssembly();
  for (const useWebAssembly of [false, true]) {
    const r = new Recorder(layout, { useWebAssembly });
    timeTxnOk(r); // warm-up: let the JIT settle
    timeStmt(r);
    // Snapshots need WebAssembly histograms (histogramBytes: the JS ones have no plain encoding).
    let snapshot = '';
    if (useWebAssembly) {
      const cold = time(() => r.snapshot(0, 0, false));
      timeTxnOk(r);
      const warm = time(() => r.snapshot(0, 1, false));
      snapshot = `  snapshot ${cold.toFixed(2)} ms cold (the first), ${warm.toFixed(2)} ms warm`;
    }
    const txn = best(() => timeTxnOk(r));
    const stmt = best(() => timeStmt(r));
    console.log(`${useWebAssembly ? 'wasm' : 'js  '}  txnOk ${txn.toFixed(1)} ns/call  stmt ${stmt.toFixed(1)} ns/call${snapshot}`);
  }
}

function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

await main();
