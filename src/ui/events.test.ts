import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventLog } from './events.js';

test('events: ids increase by one; since(id) is exactly what came after, for every run or one', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 60 }), fc.nat(70), (runs, after) => {
      const log = new EventLog();
      const got: number[] = [];
      const off = log.subscribe((e) => got.push(e.id));
      runs.forEach((r, i) => log.append('interval', r, { i }));
      off();
      log.append('log', 'a', {});
      assert.deepEqual(
        got,
        runs.map((_r, i) => i + 1),
      );
      assert.deepEqual(
        log.since(after).map((e) => e.id),
        Array.from({ length: Math.max(0, runs.length + 1 - after) }, (_x, k) => after + 1 + k),
      );
      assert.ok(log.since(after, 'b').every((e) => e.run === 'b' && e.id > after));
      assert.equal(log.lastId, runs.length + 1);
    }),
  );
});

test('events: a listener that throws does not keep the event from the others', () => {
  const log = new EventLog();
  const seen: string[] = [];
  log.subscribe(() => {
    throw new Error('broken page');
  });
  log.subscribe((e) => seen.push(e.type));
  log.append('end', 'r', {});
  assert.deepEqual(seen, ['end']);
});
