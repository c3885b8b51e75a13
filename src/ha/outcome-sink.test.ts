/**
 * The failover outcome sink (outcome-sink.ts) as the failover report relies on it: unknown outcomes
 * for writes whose connection died in flight, outage windows per client, reads told apart from
 * writes, reconnect figures, the 2-bit write ledger, and a snapshot that survives structured clone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CLASSES, FailureIndex } from '../metrics/types.js';
import { HaOutcomeSink, ledgerCode, type HaSinkSnapshot, type LedgerEntry } from './outcome-sink.js';
import { isHaSnapshot, mergeHaSnapshots } from './failover-section.js';
import { Outcome } from './types.js';

/** Type 0 writes, type 1 only reads (the layout's first type is 0 unless typeOffset says otherwise). */
const WRITE = 0;
const READ = 1;
const sink = (clientIds: readonly number[] = [0, 1], typeOffset = 0): HaOutcomeSink => new HaOutcomeSink({ clientIds, typeOffset, readTypes: [false, true] });
const errorsOf = (byClass: Partial<Record<(typeof FAILURE_CLASSES)[number], number>>): number[] => FAILURE_CLASSES.map((c) => byClass[c] ?? 0);
const entry = (snap: HaSinkSnapshot, clientId: number, type: number): LedgerEntry => {
  const e = snap.ledger.find((l) => l.clientId === clientId && l.type === type);
  assert.ok(e !== undefined, `ledger entry ${clientId}:${type}`);
  return e;
};
/** [ok, failed, unknown] of a type in the snapshot's outcome counts. */
const outcomesOf = (snap: HaSinkSnapshot, type: number): [number, number, number] => {
  const row = snap.outcomes.find(([t]) => t === type);
  assert.ok(row !== undefined, `outcomes of type ${type}`);
  return [row[1], row[2], row[3]];
};

test('a write whose connection died in flight is unknown, never failed; a server refusal stays failed', () => {
  const s = sink();
  s.txn(0, WRITE, Outcome.Ok, -1, 0, 100, 0);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 200, 300, 1);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Timeout, 400, 500, 2);
  s.txn(0, WRITE, Outcome.Unknown, -1, 600, 700, 3);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Serialization, 800, 900, 4);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Constraint, 1000, 1100, 5);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.ReadOnly, 1200, 1300, 6);
  const snap = s.snapshot();
  const e = entry(snap, 0, WRITE);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((id) => ledgerCode(e, id)),
    [1, 3, 3, 3, 2, 2, 2],
  );
  assert.deepEqual(outcomesOf(snap, WRITE), [1, 3, 3]);
});

test('outage window: opens on the first failed/unknown write, closes on the first acknowledged write', () => {
  const s = sink();
  s.txn(0, WRITE, Outcome.Ok, -1, 0, 1_000, 0);
  // The previous transaction ended at 1,000 µs; this one was scheduled earlier (it queued): the
  // window cannot start before the client's previous finish.
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 500, 2_000, 1);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 3_000, 4_000, 2);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.ReadOnly, 5_000, 6_000, 3);
  s.txn(0, WRITE, Outcome.Ok, -1, 7_000, 8_000, 4);
  // A second outage of the same client is a new window.
  s.txn(0, WRITE, Outcome.Unknown, -1, 9_000, 9_500, 5);
  s.txn(0, WRITE, Outcome.Ok, -1, 10_000, 11_000, 6);
  const { windows } = s.snapshot();
  assert.deepEqual(windows, [
    { clientId: 0, startUs: 1_000, endUs: 8_000, firstReadUs: -1, errors: errorsOf({ connection: 2, read_only: 1 }) },
    { clientId: 0, startUs: 9_000, endUs: 11_000, firstReadUs: -1, errors: errorsOf({}) },
  ]);
});

test('outage window: every "no server for writes" class opens one; the server working does not', () => {
  const opening = [FailureIndex.Connection, FailureIndex.Timeout, FailureIndex.ReadOnly, FailureIndex.Capacity];
  const notOpening = [FailureIndex.Serialization, FailureIndex.Deadlock, FailureIndex.Constraint, FailureIndex.Other];
  for (const f of opening) {
    const s = sink();
    s.txn(0, WRITE, Outcome.Failed, f, 100, 200, -1);
    assert.equal(s.snapshot().windows.length, 1, FAILURE_CLASSES[f]);
  }
  for (const f of notOpening) {
    const s = sink();
    s.txn(0, WRITE, Outcome.Failed, f, 100, 200, -1);
    assert.equal(s.snapshot().windows.length, 0, FAILURE_CLASSES[f]);
  }
  // Inside an open window any class is counted against it.
  const s = sink();
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Capacity, 100, 200, -1);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Serialization, 300, 400, -1);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Other, 500, 600, -1);
  assert.deepEqual(s.snapshot().windows[0]!.errors, errorsOf({ capacity: 1, serialization: 1, other: 1 }));
});

test('a window still open at the end has endUs -1; windows are per client', () => {
  const s = sink();
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 100, 200, 0);
  s.txn(1, WRITE, Outcome.Failed, FailureIndex.Connection, 150, 250, 0);
  // Client 1's acknowledged write closes its own window, not client 0's.
  s.txn(1, WRITE, Outcome.Ok, -1, 300, 400, 1);
  const { windows } = s.snapshot();
  assert.equal(windows.length, 2);
  assert.deepEqual(
    windows.map((w) => [w.clientId, w.startUs, w.endUs]),
    [
      [0, 100, -1],
      [1, 150, 400],
    ],
  );
});

test('reads neither open nor close a window; the first successful read after it is noted', () => {
  const s = sink();
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 1_000, 2_000, 0);
  // A failed read inside the window counts in its errors but opens nothing.
  s.txn(0, READ, Outcome.Failed, FailureIndex.Connection, 2_000, 2_500, -1);
  s.txn(1, READ, Outcome.Failed, FailureIndex.Connection, 2_000, 2_500, -1);
  // A read scheduled before the window opened does not count as "first read after it".
  s.txn(1, READ, Outcome.Ok, -1, 500, 3_000, -1);
  // A successful read by another client of this worker, started after the window opened.
  s.txn(1, READ, Outcome.Ok, -1, 3_500, 4_000, -1);
  s.txn(1, READ, Outcome.Ok, -1, 4_500, 5_000, -1);
  // The same client's successful read does not close its window.
  s.txn(0, READ, Outcome.Ok, -1, 5_000, 5_500, -1);
  const snap = s.snapshot();
  assert.deepEqual(snap.windows, [{ clientId: 0, startUs: 1_000, endUs: -1, firstReadUs: 4_000, errors: errorsOf({ connection: 2 }) }]);
  // Client 1's failed read had no window to count in. Reads have no ledger entries and no outcome row.
  assert.equal(snap.ledger.length, 1);
  assert.deepEqual(
    snap.outcomes.map(([t]) => t),
    [WRITE],
  );
  assert.deepEqual(outcomesOf(snap, WRITE), [0, 0, 1]);
});

test("transactions of other clients or other types than the worker's are ignored", () => {
  const s = sink([4, 5], 10);
  s.txn(3, 10, Outcome.Failed, FailureIndex.Connection, 0, 1, 0);
  s.txn(6, 10, Outcome.Failed, FailureIndex.Connection, 0, 1, 0);
  s.txn(4, 9, Outcome.Failed, FailureIndex.Connection, 0, 1, 0);
  s.txn(4, 12, Outcome.Failed, FailureIndex.Connection, 0, 1, 0);
  s.reconnected(7, 0, 10, 'h:1');
  let snap = s.snapshot();
  assert.deepEqual(snap.windows, []);
  assert.deepEqual(snap.ledger, []);
  assert.deepEqual(snap.reconnects, []);
  assert.deepEqual(snap.reconnectHosts, {});
  assert.deepEqual(snap.outcomes, [[10, 0, 0, 0]]);
  // Layout type numbers are kept in the snapshot (offset added back).
  s.txn(5, 10, Outcome.Ok, -1, 0, 1, 3);
  s.txn(5, 11, Outcome.Ok, -1, 0, 1, -1);
  snap = s.snapshot();
  assert.deepEqual(
    snap.ledger.map((e) => [e.clientId, e.type, e.maxId]),
    [[5, 10, 3]],
  );
  assert.deepEqual(snap.outcomes, [[10, 1, 0, 0]]);
});

test('reconnects: count, longest and durations per client; hosts they landed on', () => {
  const s = sink([0, 1, 2]);
  s.reconnected(0, 1_000, 51_000, 'a:5432');
  s.reconnected(0, 2_000, 12_000, 'b:5432');
  s.reconnected(1, 0, 300_000, 'b:5432');
  const snap = s.snapshot();
  assert.deepEqual(snap.reconnects, [
    { clientId: 0, count: 2, maxUs: 50_000, durationsUs: [50_000, 10_000] },
    { clientId: 1, count: 1, maxUs: 300_000, durationsUs: [300_000] },
  ]);
  assert.deepEqual(snap.reconnectHosts, { 'a:5432': 1, 'b:5432': 2 });
});

test('reconnects: durations kept up to a bound, count and max stay exact beyond it', () => {
  const s = sink([0]);
  for (let i = 0; i < 600; i++) s.reconnected(0, 0, i === 599 ? 9_999 : 10, 'h:1');
  const [r] = s.snapshot().reconnects;
  assert.ok(r !== undefined);
  assert.equal(r.count, 600);
  assert.equal(r.maxUs, 9_999);
  assert.equal(r.durationsUs.length, 512);
});

test('ledger: 2 bits per write id round-trip through ledgerCode, over growth and out of order', () => {
  const s = sink([0]);
  const codeOf = new Map<number, number>();
  // Ids far apart force the byte array to grow several times; ids are reported out of order.
  const ids = [0, 1, 2, 3, 4, 7, 255, 256, 257, 1_000, 4_095, 4_096, 10_001, 9, 5];
  ids.forEach((id, i) => {
    const kind = i % 3;
    if (kind === 0) s.txn(0, WRITE, Outcome.Ok, -1, 0, 1, id);
    else if (kind === 1) s.txn(0, WRITE, Outcome.Failed, FailureIndex.Constraint, 0, 1, id);
    else s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 0, 1, id);
    codeOf.set(id, kind + 1);
  });
  const e = entry(s.snapshot(), 0, WRITE);
  assert.equal(e.maxId, 10_001);
  // The snapshot trims the array to the highest id.
  assert.equal(e.bits.length, (10_001 >> 2) + 1);
  for (let id = 0; id <= 10_100; id++) assert.equal(ledgerCode(e, id), codeOf.get(id) ?? 0, `id ${id}`);
  // A later report of the same id replaces its code (a retried write acknowledged in the end).
  s.txn(0, WRITE, Outcome.Ok, -1, 0, 1, 1);
  assert.equal(ledgerCode(entry(s.snapshot(), 0, WRITE), 1), 1);
  // Writes without an id count in the outcomes but not in the ledger.
  const t = sink([0]);
  t.txn(0, WRITE, Outcome.Ok, -1, 0, 1, -1);
  const snap = t.snapshot();
  assert.deepEqual(snap.ledger, []);
  assert.deepEqual(outcomesOf(snap, WRITE), [1, 0, 0]);
});

test('ledgerCode decodes the documented layout: id i at byte i>>2, bits (i&3)*2', () => {
  // ids 0..3: ok, failed, unknown, none; id 4: unknown.
  const e = { bits: Uint8Array.of(0b00_11_10_01, 0b11) };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 8, 100].map((id) => ledgerCode(e, id)),
    [1, 2, 3, 0, 3, 0, 0, 0],
  );
});

test('snapshot is structured-clone data and is recognised as an HA snapshot after the trip', () => {
  const s = sink([0, 1]);
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 100, 200, 0);
  s.txn(1, READ, Outcome.Ok, -1, 300, 400, -1);
  s.txn(0, WRITE, Outcome.Ok, -1, 500, 600, 1);
  s.reconnected(0, 200, 450, 'h:5432');
  const snap = s.snapshot();
  const copy = structuredClone(snap);
  assert.deepEqual(copy, snap);
  assert.equal(copy.kind, 'pgsurge.ha/v1');
  assert.ok(isHaSnapshot(copy));
  assert.ok(copy.ledger[0]!.bits instanceof Uint8Array);
  assert.equal(ledgerCode(copy.ledger[0]!, 0), 3);
  assert.equal(ledgerCode(copy.ledger[0]!, 1), 1);
  // Apart from the ledger's bytes, everything in it is plain JSON data.
  const viaJson = JSON.parse(JSON.stringify({ ...snap, ledger: [] })) as unknown;
  assert.deepEqual(viaJson, { ...snap, ledger: [] });
});

test('a flapping server: windows beyond 10,000 per worker are counted, not kept', () => {
  const s = sink([0]);
  for (let i = 0; i < 10_005; i++) {
    s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, i * 10, i * 10 + 1, -1);
    s.txn(0, WRITE, Outcome.Ok, -1, i * 10 + 2, i * 10 + 3, -1);
  }
  const snap = s.snapshot();
  assert.equal(snap.windows.length, 10_000);
  assert.equal(snap.windowsDropped, 5);
  assert.deepEqual(outcomesOf(snap, WRITE), [10_005, 0, 10_005]);
});

test('live snapshots: sent only when an outage or a reconnect changed, never with the ledger; merged, an open outage runs to now', () => {
  const s = sink();
  s.txn(0, WRITE, Outcome.Ok, -1, 0, 100, 0);
  s.txn(1, WRITE, Outcome.Ok, -1, 0, 100, 0);
  assert.equal(s.liveSnapshot(), undefined, 'acknowledged writes alone change nothing live');
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 1_000_000, 1_000_100, 1);
  const first = structuredClone(s.liveSnapshot());
  assert.ok(first !== undefined && isHaSnapshot(first));
  assert.deepEqual(first.ledger, []);
  assert.deepEqual(first.outcomes, []);
  assert.deepEqual(
    first.windows.map((w) => [w.clientId, w.startUs, w.endUs]),
    [[0, 1_000_000, -1]],
  );
  assert.equal(s.liveSnapshot(), undefined, 'nothing new since');
  let live = mergeHaSnapshots([first], { measureStartUs: 0, runEndUs: 3_000_000, typeNames: [] }).section;
  assert.deepEqual(
    live.outages.map((o) => [o.startS, o.endS, o.open]),
    [[1, 3, true]],
  );
  s.txn(0, WRITE, Outcome.Failed, FailureIndex.Connection, 2_000_000, 2_000_100, 2);
  assert.ok(s.liveSnapshot() !== undefined, 'another error inside the window');
  s.reconnected(0, 2_000_100, 2_400_000, '127.0.0.1:5433');
  s.txn(0, WRITE, Outcome.Ok, -1, 2_500_000, 2_600_000, 3);
  const second = s.liveSnapshot();
  assert.ok(second !== undefined);
  live = mergeHaSnapshots([second], { measureStartUs: 0, runEndUs: 5_000_000, typeNames: [] }).section;
  assert.deepEqual(
    live.outages.map((o) => [o.startS, o.endS, o.open, o.errors]),
    [[1, 2.6, false, { connection: 2 }]],
  );
  assert.equal(live.reconnects.count, 1);
  // The end's snapshot still has everything.
  assert.equal(entry(s.snapshot(), 0, WRITE).maxId, 3);
});

test('a stall is a hang after writes were acknowledged: slow first writes of the run are none', () => {
  const s = sink([0, 1]);
  // Both clients' first writes take 300 ms: nothing was acknowledged before, nothing was lost.
  s.txn(0, WRITE, Outcome.Ok, -1, 0, 300_000, 0);
  s.txn(1, WRITE, Outcome.Ok, -1, 0, 310_000, 1);
  assert.deepEqual(s.snapshot().stalls, []);
  // Later both hang 400 ms with none acknowledged: a stall from the last acknowledgement.
  s.txn(0, WRITE, Outcome.Ok, -1, 320_000, 720_000, 2);
  s.txn(1, WRITE, Outcome.Ok, -1, 330_000, 730_000, 3);
  assert.deepEqual(s.snapshot().stalls, [{ startUs: 320_000, endUs: 720_000 }]);
});
