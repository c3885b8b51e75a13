/**
 * The failover section (failover-section.ts): per-client windows of all workers merged into
 * outages, an outage still open at the end of the run, reconnect and write-outcome figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_CLASSES, FailureIndex } from '../metrics/types.js';
import { mergeHaSnapshots, mergeWindows } from './failover-section.js';
import { HaOutcomeSink, type HaSinkSnapshot, type WindowRecord } from './outcome-sink.js';
import { Outcome } from './types.js';

const START_US = 1_000_000;
const errorsOf = (byClass: Partial<Record<(typeof FAILURE_CLASSES)[number], number>>): number[] => FAILURE_CLASSES.map((c) => byClass[c] ?? 0);
/** A window with times in seconds from the start of the measured phase (-1: still open). */
const win = (clientId: number, startS: number, endS: number, firstReadS = -1, errors: number[] = errorsOf({ connection: 1 })): WindowRecord => ({
  clientId,
  startUs: START_US + startS * 1e6,
  endUs: endS < 0 ? -1 : START_US + endS * 1e6,
  firstReadUs: firstReadS < 0 ? -1 : START_US + firstReadS * 1e6,
  errors,
});

test('mergeWindows: overlapping windows form one outage that ends at the first acknowledged write of an affected client', () => {
  const outages = mergeWindows(
    [
      // Given out of order, as they come from several workers.
      win(6, 2.2, 3.0, -1, errorsOf({ timeout: 2 })),
      win(0, 2.0, 2.5, 2.4, errorsOf({ connection: 1 })),
      win(5, 2.1, 2.3, 2.35, errorsOf({ connection: 1, read_only: 3 })),
      // Starts after the outage above ended (2.3 s), though client 0's window was still open: a new outage.
      win(7, 2.4, 2.6),
    ],
    START_US,
    START_US + 10e6,
  );
  assert.deepEqual(outages, [
    {
      startS: 2,
      endS: 2.3,
      durationS: 0.3,
      open: false,
      clients: 3,
      clientWindowS: { p50: 0.5, max: 0.8 },
      timeToFirstReadS: 0.35,
      errors: { connection: 2, timeout: 2, read_only: 3 },
    },
    {
      startS: 2.4,
      endS: 2.6,
      durationS: 0.2,
      open: false,
      clients: 1,
      clientWindowS: { p50: 0.2, max: 0.2 },
      timeToFirstReadS: null,
      errors: { connection: 1 },
    },
  ]);
});

test('mergeWindows: a window open at the end of the run lasts until the run ends and is marked open', () => {
  const runEndUs = START_US + 8e6;
  const [outage] = mergeWindows([win(1, 5, -1), win(2, 5.5, -1)], START_US, runEndUs);
  assert.deepEqual(outage, {
    startS: 5,
    endS: 8,
    durationS: 3,
    open: true,
    clients: 2,
    clientWindowS: { p50: 2.5, max: 3 },
    timeToFirstReadS: null,
    errors: { connection: 2 },
  });
  // One affected client wrote again: the outage ended then, and is not open.
  const [closed] = mergeWindows([win(1, 5, -1), win(2, 5.5, 6)], START_US, runEndUs);
  assert.equal(closed!.open, false);
  assert.equal(closed!.endS, 6);
  assert.equal(closed!.durationS, 1);
  assert.deepEqual(mergeWindows([], START_US, runEndUs), []);
});

test('mergeHaSnapshots: windows merged across workers, reconnects, write outcomes and the ledger', () => {
  const worker = (clientIds: number[]): HaOutcomeSink => new HaOutcomeSink({ clientIds, typeOffset: 0, readTypes: [false, true] });
  const a = worker([0, 1]);
  a.txn(0, 0, Outcome.Failed, FailureIndex.Connection, 1_100_000, 1_200_000, 0);
  a.reconnected(0, 1_200_000, 1_400_000, 'b:5432');
  a.txn(0, 0, Outcome.Ok, -1, 1_500_000, 1_600_000, 1);
  const b = worker([2, 3]);
  b.reconnected(3, 1_000_000, 1_050_000, 'a:5432');
  b.txn(2, 0, Outcome.Failed, FailureIndex.ReadOnly, 1_150_000, 1_160_000, 0);
  b.reconnected(2, 1_160_000, 1_260_000, 'b:5432');
  b.txn(3, 1, Outcome.Ok, -1, 1_300_000, 1_310_000, -1);
  b.txn(2, 0, Outcome.Ok, -1, 1_700_000, 1_800_000, 1);
  // Snapshots arrive from worker threads by structured clone, among other messages.
  const raw = [structuredClone(a.snapshot()), { kind: 'something else' }, null, structuredClone(b.snapshot())];
  const merged = mergeHaSnapshots(raw, { measureStartUs: START_US, runEndUs: START_US + 3e6, typeNames: ['ha-writes.insert', 'reads'] });
  assert.deepEqual(merged.section, {
    outages: [
      {
        startS: 0.1,
        endS: 0.6,
        durationS: 0.5,
        open: false,
        clients: 2,
        clientWindowS: { p50: 0.5, max: 0.65 },
        timeToFirstReadS: 0.21,
        errors: { connection: 1, read_only: 1 },
      },
    ],
    rtoS: 0.5,
    reconnects: {
      count: 3,
      clients: 3,
      p50Ms: 100,
      maxMs: 200,
      perClient: { '0': { count: 1, p50Ms: 200, maxMs: 200 }, '2': { count: 1, p50Ms: 100, maxMs: 100 }, '3': { count: 1, p50Ms: 50, maxMs: 50 } },
      hosts: { 'b:5432': 2, 'a:5432': 1 },
    },
    // The read-only refusal is a failed write; the write cut off by the connection is unknown.
    writes: { 'ha-writes.insert': { ok: 2, failed: 1, unknown: 1 } },
  });
  assert.deepEqual([...merged.ledger.keys()].sort(), ['0:0', '2:0']);
  assert.deepEqual([...merged.outcomes], [[0, [2, 1, 1]]]);
});

test('mergeHaSnapshots: the longest outage is the RTO; dropped windows and unnamed types are said', () => {
  const snap = (windows: WindowRecord[], windowsDropped: number, outcomes: [number, number, number, number][]): HaSinkSnapshot => ({
    kind: 'pgsurge.ha/v1',
    windows,
    windowsDropped,
    reconnects: [],
    reconnectHosts: {},
    ledger: [],
    outcomes,
  });
  const merged = mergeHaSnapshots([snap([win(0, 1, 1.2), win(0, 4, 6)], 2, [[5, 1, 0, 0]]), snap([win(1, 4.5, 7)], 1, [[5, 2, 1, 3]])], {
    measureStartUs: START_US,
    runEndUs: START_US + 10e6,
    typeNames: ['a'],
  });
  assert.deepEqual(
    merged.section.outages.map((o) => [o.startS, o.endS, o.clients]),
    [
      [1, 1.2, 1],
      [4, 6, 2],
    ],
  );
  assert.equal(merged.section.rtoS, 2);
  assert.equal(merged.section.windowsDropped, 3);
  assert.deepEqual(merged.section.writes, { 'type 5': { ok: 3, failed: 1, unknown: 3 } });
});

test('mergeHaSnapshots: nothing happened — no outage, RTO 0, no reconnect figures', () => {
  const merged = mergeHaSnapshots([], { measureStartUs: 0, runEndUs: 1e6, typeNames: [] });
  assert.deepEqual(merged.section, {
    outages: [],
    rtoS: 0,
    reconnects: { count: 0, clients: 0, p50Ms: null, maxMs: null, perClient: {}, hosts: {} },
    writes: {},
  });
  assert.equal('windowsDropped' in merged.section, false);
});

/** A worker's clients writing: [clientId, startS, endS] acknowledged writes, in the order they end. */
function writer(clientIds: number[], writes: [number, number, number][]): HaSinkSnapshot {
  const s = new HaOutcomeSink({ clientIds, typeOffset: 0, readTypes: [false] });
  for (const [c, startS, endS] of writes) s.txn(c, 0, Outcome.Ok, -1, START_US + startS * 1e6, START_US + endS * 1e6, -1);
  return structuredClone(s.snapshot());
}

test('a stall: writes hung and none was acknowledged anywhere; an outage with no errors, its clients those that hung', () => {
  // Worker A: clients 0 and 1 both wait from 2.0 s (a pooler holding them) until 3.2 / 3.25 s.
  const a = writer(
    [0, 1],
    [
      [0, 1.9, 1.95],
      [1, 1.95, 2.0],
      [0, 2.0, 3.2],
      [1, 2.0, 3.25],
      [0, 3.2, 3.21],
    ],
  );
  // Worker B: client 2 hangs from 2.1 s to 3.3 s.
  const b = writer(
    [2],
    [
      [2, 2.05, 2.1],
      [2, 2.1, 3.3],
    ],
  );
  const { section } = mergeHaSnapshots([a, b], { measureStartUs: START_US, runEndUs: START_US + 5e6, typeNames: ['w'] });
  assert.deepEqual(
    section.outages.map((o) => [o.startS, o.endS, o.durationS, o.clients, o.clientWindowS.max, o.errors, o.stall]),
    [[2.1, 3.2, 1.1, 3, 1.25, {}, true]],
    'from when both workers had writes hanging to the first acknowledgement',
  );
  assert.equal(section.rtoS, 1.1);

  // Worker C kept acknowledging writes all along: no stall of the run.
  const c = writer(
    [3],
    [
      [3, 2.0, 2.2],
      [3, 2.2, 2.4],
      [3, 2.4, 2.6],
      [3, 2.6, 2.8],
      [3, 2.8, 3.0],
      [3, 3.0, 3.2],
    ],
  );
  assert.deepEqual(mergeHaSnapshots([a, b, c], { measureStartUs: START_US, runEndUs: START_US + 5e6, typeNames: ['w'] }).section.outages, []);
});

test('a stall that runs into failures widens the outage, which keeps its errors', () => {
  const s = new HaOutcomeSink({ clientIds: [0, 1], typeOffset: 0, readTypes: [false] });
  const at = (x: number): number => START_US + x * 1e6;
  s.txn(0, 0, Outcome.Ok, -1, at(0.9), at(1.0), -1);
  // Client 1's write hangs from 1.0 s to 2.5 s; client 0's fails at 2.0 s and succeeds at 2.6 s.
  s.txn(0, 0, Outcome.Failed, FailureIndex.Connection, at(1.0), at(2.0), -1);
  s.txn(1, 0, Outcome.Ok, -1, at(1.0), at(2.5), -1);
  s.txn(0, 0, Outcome.Ok, -1, at(2.55), at(2.6), -1);
  const { section } = mergeHaSnapshots([structuredClone(s.snapshot())], { measureStartUs: START_US, runEndUs: at(5), typeNames: ['w'] });
  assert.deepEqual(
    section.outages.map((o) => [o.startS, o.endS, o.errors, o.stall]),
    [[1, 2.6, { connection: 1 }, undefined]],
  );
});
