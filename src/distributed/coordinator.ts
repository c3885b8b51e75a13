/**
 * The coordinator's end of protocol.ts, over any transport that gives each part a process with
 * stdin, stdout and stderr (an SSH session; a local process in tests). It waits for every part's
 * hello (same version), measures each one's clock offset from round trips (NTP's estimate: the
 * peer's clock minus the midpoint of the round trip with the least delay) and refuses a peer whose
 * offset is uncertain beyond `maxSkewMs`, waits until every part has connected, sends each its
 * start instant on its own clock, merges the parts' interval snapshots live through the engine's
 * aggregator (one part, one worker) and collects their results.
 *
 * Faults are named by peer: one that cannot be reached, answers in another version or fails
 * before the start ends everything before the load starts (every other part is stopped); one that
 * ends during the run without its result is lost: the others go on and the merge says what is
 * missing.
 */
import { performance } from 'node:perf_hooks';
import { PgsurgeError } from '../errors.js';
import { Aggregator, type IntervalStats, type Totals } from '../metrics/aggregator.js';
import type { MetricsLayout } from '../metrics/types.js';
import { decodeLine, encodeMessage, lineReader, shardMessageSchema, type CoordinatorMessage, type ShardMessage } from './protocol.js';
import { fromWire } from './snapshots.js';

/** One part's process: its name (the host, "vm1 (part 2/3)"), its pipes and its end. */
export interface PeerProcess {
  readonly name: string;
  readonly k: number;
  readonly stdin: NodeJS.WritableStream;
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface CoordinatorOptions {
  readonly version: string;
  readonly n: number;
  /** Each merged interval, as the parts report it. */
  readonly onInterval?: (stats: IntervalStats) => void;
  /** Lines for the user (stderr). */
  readonly log: (line: string) => void;
  readonly helloTimeoutMs?: number;
  readonly readyTimeoutMs?: number;
  /** Refuse a peer whose clock offset is known less precisely than this (half its best round trip). */
  readonly maxSkewMs?: number;
  /** How long after the last part is ready the load starts. */
  readonly startDelayMs?: number;
  readonly signal?: AbortSignal;
  /** A second abort: the parts' processes are killed. */
  readonly stopNow?: AbortSignal;
  /** The load is about to start: how to read the merged figures so far (the aggregator's own, on this thread). */
  readonly onMeasuring?: (soFar: () => CoordinatedSoFar) => void;
}

/** The merged figures of the parts so far. */
export interface CoordinatedSoFar {
  readonly totals: Totals;
  readonly intervals: readonly IntervalStats[];
  readonly startedAt: Date;
  /** Seconds of the measured phase the merged intervals cover. */
  readonly durationS: number;
}

export interface PartOutcome {
  readonly peer: PeerProcess;
  /** Its result as sent (validated by the merge), or why there is none. */
  readonly result?: Record<string, unknown>;
  readonly lost?: string;
}

const PINGS = 5;

interface PeerState {
  readonly peer: PeerProcess;
  readonly queue: ShardMessage[];
  waiting: { readonly t: ShardMessage['t']; readonly take: (m: ShardMessage | null) => void } | null;
  ended: boolean;
  lastErr: string;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  result?: Record<string, unknown>;
  error?: string;
}

export async function coordinate(peers: readonly PeerProcess[], opts: CoordinatorOptions): Promise<PartOutcome[]> {
  const states: PeerState[] = peers.map((peer) => ({ peer, queue: [], waiting: null, ended: false, lastErr: '', exit: null }));
  let aggregator: Aggregator | null = null;
  const deliver = (st: PeerState, m: ShardMessage | null): void => {
    if (m !== null && m.t === 'interval' && aggregator !== null) {
      for (const s of aggregator.add(fromWire(m.s, st.peer.k - 1, false))) opts.onInterval?.(s);
      return;
    }
    if (m !== null && m.t === 'result') {
      st.result = m.result;
      return;
    }
    if (m !== null && m.t === 'error') {
      st.error = m.message;
      return;
    }
    // A waiter takes the message it waits for (or the end); anything else waits its turn: a part
    // may report ready while its clock pings are still going on.
    const w = st.waiting;
    if (w !== null && (m === null || m.t === w.t)) {
      st.waiting = null;
      w.take(m);
    } else if (m !== null) st.queue.push(m);
  };
  for (const st of states) {
    st.peer.stdout.on(
      'data',
      lineReader((line) => {
        const d = decodeLine(shardMessageSchema, line);
        if (!d.ok) {
          st.error ??= d.reason;
          return;
        }
        try {
          deliver(st, d.message);
        } catch (e) {
          // A snapshot that does not fit the run (another layout): that part is not to be trusted.
          st.error ??= `sent a snapshot that does not fit the run: ${e instanceof Error ? e.message : String(e)}`;
          st.peer.kill('SIGTERM');
        }
      }),
    );
    st.peer.stderr.on(
      'data',
      lineReader((line) => {
        st.lastErr = line.replace(/^pgsurge: /, '');
        opts.log(`[${st.peer.name}] ${line}`);
      }),
    );
    void st.peer.exited.then((e) => {
      st.exit = e;
      st.ended = true;
      if (aggregator !== null && st.result === undefined) {
        for (const s of aggregator.workerLost(st.peer.k - 1)) opts.onInterval?.(s);
      }
      deliver(st, null);
    });
  }
  const send = (st: PeerState, m: CoordinatorMessage): void => {
    if (!st.ended) st.peer.stdin.write(encodeMessage(m));
  };
  const why = (st: PeerState): string =>
    st.error ?? (st.lastErr !== '' ? st.lastErr : st.exit === null ? 'no answer' : `ended with ${st.exit.signal ?? `exit code ${st.exit.code}`}`);
  /** The next message of `t` from a peer, or a failure naming it. */
  const next = <T extends ShardMessage['t']>(st: PeerState, t: T, timeoutMs: number, what: string): Promise<Extract<ShardMessage, { t: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        st.waiting = null;
        reject(
          new PgsurgeError('FLEET_PEER', `${st.peer.name}: no ${what} within ${timeoutMs / 1000} s${st.lastErr === '' ? '' : ` (last said: ${st.lastErr})`}`),
        );
      }, timeoutMs);
      const take = (m: ShardMessage | null): void => {
        clearTimeout(timer);
        if (m === null) reject(new PgsurgeError('FLEET_PEER', `${st.peer.name}: ${why(st)}`));
        else resolve(m as Extract<ShardMessage, { t: T }>);
      };
      const at = st.queue.findIndex((m) => m.t === t);
      if (at >= 0) take(st.queue.splice(at, 1)[0]!);
      else if (st.ended) take(null);
      else st.waiting = { t, take };
    });
  const stopAll = (): void => {
    for (const st of states) send(st, { t: 'stop' });
  };
  const killAll = (): void => {
    for (const st of states) if (!st.ended) st.peer.kill('SIGTERM');
  };
  let started = false;
  // Before the start nothing was measured: the parts are stopped and let go at once (one that has
  // not even connected yet must not be waited for); after it they end gracefully and report.
  const onAbort = (): void => {
    stopAll();
    if (!started) killAll();
  };
  const onStopNow = (): void => killAll();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  opts.stopNow?.addEventListener('abort', onStopNow, { once: true });

  try {
    // Before the start: any fault ends everything, named.
    try {
      const hellos = await Promise.all(states.map((st) => next(st, 'hello', opts.helloTimeoutMs ?? 60_000, 'answer (pgsurge did not start there?)')));
      hellos.forEach((h, i) => {
        const st = states[i]!;
        if (h.version !== opts.version)
          throw new PgsurgeError('FLEET_VERSION', `${st.peer.name} runs pgsurge ${h.version}, this is ${opts.version}: run the same version everywhere`);
        if (h.k !== st.peer.k || h.n !== opts.n)
          throw new PgsurgeError('FLEET_PEER', `${st.peer.name}: started as part ${h.k}/${h.n}, not ${st.peer.k}/${opts.n}`);
      });
      const offsets = await Promise.all(states.map((st) => clockOffset(st, send, next)));
      const maxSkewMs = opts.maxSkewMs ?? 50;
      offsets.forEach((o, i) => {
        if (o.uncertaintyMs > maxSkewMs)
          throw new PgsurgeError(
            'FLEET_SKEW',
            `${states[i]!.peer.name}: its clock is known only to ±${o.uncertaintyMs.toFixed(1)} ms (best round trip ${(2 * o.uncertaintyMs).toFixed(1)} ms), more than ${maxSkewMs} ms: the parts could not start together`,
          );
      });
      opts.log(
        `pgsurge: clocks: ${states.map((st, i) => `${st.peer.name} ${offsets[i]!.offsetMs >= 0 ? '+' : ''}${offsets[i]!.offsetMs.toFixed(1)} ms (±${offsets[i]!.uncertaintyMs.toFixed(1)})`).join(', ')}`,
      );
      const readies = await Promise.all(states.map((st) => next(st, 'ready', opts.readyTimeoutMs ?? 300_000, 'ready (connecting its clients)')));
      const layout: MetricsLayout = readies[0]!.layout;
      readies.forEach((r, i) => {
        if (JSON.stringify(r.layout) !== JSON.stringify(layout) || r.intervalMs !== readies[0]!.intervalMs)
          throw new PgsurgeError('FLEET_PEER', `${states[i]!.peer.name} runs other transactions than ${states[0]!.peer.name} (its scripts differ?)`);
      });
      if (opts.signal?.aborted === true) throw new PgsurgeError('INTERRUPTED', 'interrupted before the load started');
      const merging = new Aggregator(layout, { workers: opts.n, intervalMs: readies[0]!.intervalMs });
      aggregator = merging;
      const startAtMs = Date.now() + (opts.startDelayMs ?? 1000);
      opts.onMeasuring?.(() => {
        const intervals = merging.intervals();
        const last = intervals[intervals.length - 1];
        return {
          totals: merging.totals(),
          intervals,
          startedAt: new Date(startAtMs),
          durationS: last === undefined ? 0 : last.tS + last.durationMs / 1000,
        };
      });
      started = true;
      states.forEach((st, i) => send(st, { t: 'go', startAtMs: startAtMs + offsets[i]!.offsetMs }));
      opts.log(`pgsurge: every part is ready; the load starts at ${new Date(startAtMs).toISOString()}`);
    } catch (e) {
      stopAll();
      killAll();
      if (opts.signal?.aborted === true) throw new PgsurgeError('INTERRUPTED', 'interrupted before the load started');
      throw e;
    }
    await Promise.all(states.map((st) => st.peer.exited));
    aggregator.finish();
    return states.map((st) =>
      st.result !== undefined ? { peer: st.peer, result: st.result } : { peer: st.peer, lost: `${st.peer.name} (part ${st.peer.k}/${opts.n}): ${why(st)}` },
    );
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    opts.stopNow?.removeEventListener('abort', onStopNow);
  }
}

/** NTP's estimate over the session: the round trip with the least delay gives the offset. */
async function clockOffset(
  st: PeerState,
  send: (st: PeerState, m: CoordinatorMessage) => void,
  next: (st: PeerState, t: 'pong', timeoutMs: number, what: string) => Promise<Extract<ShardMessage, { t: 'pong' }>>,
): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  let best = { offsetMs: 0, uncertaintyMs: Infinity };
  for (let id = 0; id < PINGS; id++) {
    const sentAt = performance.now();
    const sentWall = Date.now();
    send(st, { t: 'ping', id });
    const pong = await next(st, 'pong', 10_000, 'answer to a clock ping');
    const rttMs = performance.now() - sentAt;
    const midWall = sentWall + rttMs / 2;
    if (rttMs / 2 < best.uncertaintyMs) best = { offsetMs: pong.nowMs - midWall, uncertaintyMs: rttMs / 2 };
  }
  return best;
}
