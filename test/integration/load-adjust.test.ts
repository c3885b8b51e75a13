/**
 * Changing the load of a running test (what a live page or the API will do through RunControl):
 * the new target takes effect from that moment, in the workers, and is recorded in the result as a
 * stage on the timeline. Assertions rest on the arrival schedule (which pgsurge controls), not on
 * how fast this machine serves the transactions.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';
import { runInProcess } from '../helpers/run-in-process.js';
import { RunControl } from '../../src/engine/run.js';
import { formatSummary } from '../../src/report/summary.js';
import type { LiveOutput } from '../../src/output/types.js';

const server = await startTestServer();
after(() => server.stop());

/** An output that changes the target `afterMs` into the measured phase. */
function adjustAt(control: RunControl, afterMs: number, target: number): LiveOutput {
  return { name: 'adjust', start: () => void setTimeout(() => control.adjust(target), afterMs) };
}

test('an open-loop rate raised mid-run: arrivals follow the new rate from then on, and the change is in the result', async () => {
  const control = new RunControl();
  const { result } = await runInProcess(
    server,
    { builtin: ['select-only'], rate: '100', arrivals: 'uniform', client: '4', jobs: '2', time: '4', observe: false },
    [adjustAt(control, 2000, 400)],
    control,
  );
  const changes = result.loadChanges ?? [];
  assert.equal(changes.length, 1, JSON.stringify(changes));
  assert.equal(changes[0]!.target, 400);
  assert.equal(changes[0]!.kind, 'rate');
  assert.ok(Math.abs(changes[0]!.atS - 2) < 0.5, `changed at ${changes[0]!.atS} s`);
  // 100/s until the change, 400/s after it: the schedule's arrival count, whatever the server's speed.
  const expected = 100 * changes[0]!.atS + 400 * (4 - changes[0]!.atS);
  assert.ok(Math.abs(result.summary.arrivals - expected) <= expected * 0.03 + 4, `arrivals ${result.summary.arrivals}, expected ≈ ${expected}`);
  const s = result.summary;
  assert.equal(s.arrivals, s.transactions + s.failed + s.skipped + s.dropped + s.unfinished, 'the counting rule holds across the change');
  assert.match(formatSummary(result), /load changed while running:\n {2}at \d\.\d s: 400\/s\n/);
});

test('a closed loop lowered from 6 to 2 active clients mid-run: the parked clients stop starting transactions', async () => {
  const control = new RunControl();
  const { result } = await runInProcess(
    server,
    { builtin: ['select-only'], client: '6', time: '4', thinkTime: '100ms', observe: false },
    [adjustAt(control, 2000, 2)],
    control,
  );
  const changes = result.loadChanges ?? [];
  assert.deepEqual(
    changes.map((c) => [c.target, c.kind]),
    [[2, 'clients']],
  );
  // Each client does at most one transaction per 100 ms of thinking: at most 60/s with 6 clients,
  // at most 20/s with 2. The first full second and the last one tell the two apart on any machine.
  const first = result.intervals[0]!.transactions;
  const last = result.intervals[3]!.transactions;
  assert.ok(last <= 22, `last second: ${last} transactions with 2 clients`);
  assert.ok(first > last, `first second ${first} > last second ${last}`);
});
