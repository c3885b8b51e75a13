/**
 * The coordinator against in-process parts speaking the protocol: the order in which a part's
 * messages come does not matter (ready may come before its clock pings are answered), a part in
 * another version is refused by name, and the merged intervals are every part's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { coordinate, type PeerProcess } from './coordinator.js';
import { coordinatorMessageSchema, decodeLine, encodeMessage, lineReader, type ShardMessage } from './protocol.js';
import { emptySnapshot, toWire } from './snapshots.js';
import type { IntervalStats } from '../metrics/aggregator.js';

const layout = { txnTypes: [{ name: 't', statements: ['SELECT 1'] }] };

/** A part that answers as a real one would; `readyFirst` sends ready before any ping comes. */
function fakePart(k: number, opts: { version?: string; readyFirst?: boolean; intervals?: number } = {}): PeerProcess {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let resolveExit: (e: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExit = r));
  const send = (m: ShardMessage): boolean => stdout.write(encodeMessage(m));
  send({ t: 'hello', version: opts.version ?? '1.0.0', k, n: 2 });
  if (opts.readyFirst === true) send({ t: 'ready', layout, intervalMs: 1000 });
  stdin.on(
    'data',
    lineReader((line) => {
      const d = decodeLine(coordinatorMessageSchema, line);
      assert.ok(d.ok);
      const m = d.message;
      if (m.t === 'ping') {
        send({ t: 'pong', id: m.id, nowMs: Date.now() });
        if (m.id === 4 && opts.readyFirst !== true) send({ t: 'ready', layout, intervalMs: 1000 });
      } else if (m.t === 'go') {
        for (let i = 0; i < (opts.intervals ?? 2); i++) {
          const s = emptySnapshot(i, [1], 8);
          send({ t: 'interval', s: toWire({ ...s, arrivals: k, types: [{ ...s.types[0]!, ok: k }] }) });
        }
        send({ t: 'result', result: { part: k } });
        stdout.end();
        resolveExit({ code: 0, signal: null });
      } else if (m.t === 'stop') {
        stdout.end();
        resolveExit({ code: 1, signal: null });
      }
    }),
  );
  return { name: `host${k}`, k, stdin, stdout, stderr, kill: () => resolveExit({ code: null, signal: 'SIGTERM' }), exited };
}

test('two parts, one ready before its clock pings: both start, every interval merged, both results', async () => {
  const seen: IntervalStats[] = [];
  const out = await coordinate([fakePart(1, { readyFirst: true }), fakePart(2)], {
    version: '1.0.0',
    n: 2,
    log: () => undefined,
    startDelayMs: 10,
    onInterval: (s) => seen.push(s),
  });
  assert.deepEqual(
    out.map((o) => o.result),
    [{ part: 1 }, { part: 2 }],
  );
  assert.deepEqual(
    seen.map((s) => [s.index, s.ok, s.arrivals]),
    [
      [0, 3, 3],
      [1, 3, 3],
    ],
  );
});

test('a part in another version is refused by name before the start', async () => {
  await assert.rejects(
    coordinate([fakePart(1), fakePart(2, { version: '0.9.0' })], { version: '1.0.0', n: 2, log: () => undefined }),
    /host2 runs pgsurge 0\.9\.0, this is 1\.0\.0: run the same version everywhere/,
  );
});
