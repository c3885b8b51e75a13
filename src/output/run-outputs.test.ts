import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntervalStats } from '../metrics/aggregator.js';
import { openRunOutputs } from './run-outputs.js';
import { createProgressOutput } from './progress.js';
import type { LiveOutput, RunContext } from './types.js';

const ctx = {} as RunContext;

/** An output that logs its hooks; `failOpen` makes open() throw. */
function recording(name: string, log: string[], opts: { failOpen?: boolean; findings?: boolean } = {}): LiveOutput {
  return {
    name,
    open: async () => {
      if (opts.failOpen === true) throw new Error(`${name} cannot open`);
      log.push(`${name} open`);
    },
    start: (us) => log.push(`${name} start ${us}`),
    interval: (s) => log.push(`${name} interval ${s.index}`),
    stop: async (end) => {
      log.push(`${name} stop ${end.intervals.length}`);
      return opts.findings === true ? { findings: [{ rule: name, severity: 'info', message: 'seen' }] } : undefined;
    },
  };
}

const stats = (index: number): IntervalStats => ({ index }) as IntervalStats;

test("outputs are opened in order, fed in order, stopped once with the run's intervals, and their sections collected", async () => {
  const log: string[] = [];
  const outputs = await openRunOutputs([recording('a', log), recording('b', log, { findings: true })], ctx);
  outputs.start(5);
  outputs.interval(stats(0));
  const sections = await outputs.stop({ intervals: [stats(0)] });
  await outputs.abort();
  assert.deepEqual(log, ['a open', 'b open', 'a start 5', 'b start 5', 'a interval 0', 'b interval 0', 'a stop 1', 'b stop 1']);
  assert.deepEqual(sections, { findings: [{ rule: 'b', severity: 'info', message: 'seen' }] });
});

test('an output that fails to open: those already open are stopped, the error goes on', async () => {
  const log: string[] = [];
  await assert.rejects(openRunOutputs([recording('a', log), recording('b', log, { failOpen: true }), recording('c', log)], ctx), /b cannot open/);
  assert.deepEqual(log, ['a open', 'a stop 0']);
});

test('abort stops what is still open (a failed run)', async () => {
  const log: string[] = [];
  const outputs = await openRunOutputs([recording('a', log)], ctx);
  await outputs.abort();
  await outputs.abort();
  assert.deepEqual(log, ['a open', 'a stop 0']);
});

test('the progress output prints every N intervals (-P rounded to intervals), with the elapsed time at the interval end', () => {
  const lines: string[] = [];
  const p = createProgressOutput({ everyMs: 2000, intervalMs: 1000, openLoop: false, write: (l) => lines.push(l) });
  const s = (index: number): IntervalStats =>
    ({
      index,
      tps: 10,
      failed: 0,
      errors: [],
      skipped: 0,
      dropped: 0,
      retried: 0,
      latencyMs: { p50: 1, p99: 2, max: 3 },
      lagMs: { p50: null, p99: null, max: null },
    }) as unknown as IntervalStats;
  for (let i = 0; i < 5; i++) p.interval?.(s(i));
  assert.deepEqual(
    lines.map((l) => l.split(',')[0]),
    ['progress: 2.0 s', 'progress: 4.0 s'],
  );
  const none = createProgressOutput({ everyMs: undefined, intervalMs: 1000, openLoop: false, write: (l) => lines.push(l) });
  none.interval?.(s(0));
  assert.equal(lines.length, 2);
});

test('a server sample one output hands over reaches every output, also one sent while it stops; a failing receiver does not stop the rest', async () => {
  const got: string[] = [];
  let shared: RunContext | undefined;
  const sample = (tS: number) => ({ tS, durationS: 1, hosts: [], client: { cpuPct: null, memoryBytes: null, processes: 1 } });
  const observer: LiveOutput = {
    name: 'observer',
    open: async (c) => {
      shared = c;
    },
    stop: async () => {
      shared!.serverSample!(sample(1));
      return undefined;
    },
  };
  const failing: LiveOutput = {
    name: 'failing',
    server: () => {
      throw new Error('no');
    },
  };
  const limit: LiveOutput = { name: 'limit', server: (s) => got.push(`limit ${s.tS}`), stop: async () => (got.push('limit stop'), undefined) };
  const outputs = await openRunOutputs([observer, failing, limit], ctx);
  shared!.serverSample!(sample(0));
  await outputs.stop({ intervals: [] });
  assert.deepEqual(got, ['limit 0', 'limit 1', 'limit stop']);
});
