/**
 * Worker thread entry: compiles the scripts, opens the sessions, runs a WorkerCore on real time,
 * and talks to the main thread only through the messages in messages.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSession } from '../driver/session.js';
import { openTargetSession } from '../driver/hosts.js';
import { classifyError } from '../driver/classify.js';
import { Recorder } from '../metrics/recorder.js';
import { buildPrograms } from '../workload/sources.js';
import { systemClock } from './clock.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { WorkerCore } from './worker-core.js';
import { realTimers } from './timers.js';
import { sessionStatements } from './statements.js';
import { HaOutcomeSink } from '../ha/outcome-sink.js';
import { unreachable } from '../errors.js';
import { primeOnSockets, type PrimeOverrides } from './prime/prime.js';
import { userCodeMarks } from '../workload/module/user-code.js';
import { TxnLog } from './txn-log.js';
import { isOpenLoop } from '../executor/registry.js';
import { startLoopMonitor, type LoopMonitor } from './loop-monitor.js';

function post(msg: FromWorker): void {
  parentPort!.postMessage(msg);
}

async function main(init: WorkerInit): Promise<void> {
  const programs = await buildPrograms(init.scripts);
  const statements = sessionStatements(programs);
  const multiHost = init.conn.hosts.length > 1 || init.conn.targetSessionAttrs !== 'any';
  // One factory for the priming's cores and the real one: the same option object shapes, so the
  // code V8 compiles while priming is the code the run needs (prime/prime.ts).
  const makeCore = (o: PrimeOverrides): WorkerCore =>
    new WorkerCore({
      ...init,
      programs,
      clock: systemClock,
      timers: realTimers,
      classify: classifyError,
      // Named one by one, not spread: the object's shape must not depend on the callers' key order.
      clientIds: o.clientIds,
      load: o.load,
      startOffsetMs: o.startOffsetMs,
      gridDurationMs: o.gridDurationMs,
      seed: o.seed,
      recorder: o.recorder,
      connect: o.connect,
      connectRead: o.connectRead,
      outcomes: o.outcomes,
      txnLog: o.txnLog,
      rehomeOnReadOnly: o.rehomeOnReadOnly,
      onSnapshot: o.onSnapshot,
      onDone: o.onDone,
    });
  if (init.scripts.every((s) => s.kind === 'pgbench')) {
    await primeOnSockets({
      load: init.load,
      clientIds: init.clientIds,
      seed: init.seed,
      protocol: init.protocol,
      statements,
      layout: init.layout,
      readRouting: init.replicaConn !== undefined,
      makeCore,
    });
  }
  const recorder = new Recorder(init.layout);
  const outcomes = init.ha
    ? new HaOutcomeSink({ clientIds: init.clientIds, typeOffset: init.typeOffset, readTypes: programs.map((p) => p.read === true) })
    : null;
  const txnLog = init.txnLogFile === undefined ? null : new TxnLog(init.txnLogFile, isOpenLoop(init.load), systemClock.nowUs());
  /** Watches this thread's loop from the start of the load. */
  let loop: LoopMonitor | undefined;
  const core: WorkerCore = makeCore({
    clientIds: init.clientIds,
    load: init.load,
    startOffsetMs: init.startOffsetMs,
    gridDurationMs: init.gridDurationMs,
    seed: init.seed,
    recorder,
    outcomes,
    txnLog,
    // Several hosts (or target_session_attrs): every (re)connect chooses the host again, so after a
    // failover clients find the new primary. One host: straight to it.
    connect: () =>
      multiHost
        ? openTargetSession(init.conn, { protocol: init.protocol, statements })
        : openSession(init.conn, init.host, { protocol: init.protocol, statements }),
    rehomeOnReadOnly: multiHost,
    connectRead: init.replicaConn === undefined ? undefined : () => openTargetSession(init.replicaConn!, { protocol: init.protocol, statements }),
    onSnapshot: (snapshot) => {
      // The log's lines of the interval reach the file before its snapshot reaches the main thread.
      txnLog?.flush();
      const ha = outcomes?.liveSnapshot();
      post(ha === undefined ? { type: 'snapshot', snapshot } : { type: 'snapshot', snapshot, ha });
    },
    onDone: (info) => {
      txnLog?.close();
      post({ type: 'done', info: loop === undefined ? info : { ...info, loop: loop.stop() } });
      void core.closeAll().finally(() => parentPort!.close());
    },
  });
  const connectFromUs = systemClock.nowUs();
  try {
    await core.connectAll(init.connectIntervalUs ?? 0);
  } catch (e) {
    const info = (e as { info?: { code: string } }).info;
    post({ type: 'connect-failed', code: info?.code ?? 'UNKNOWN', message: e instanceof Error ? e.message : String(e) });
    await core.closeAll();
    parentPort!.close();
    return;
  }
  parentPort!.on('message', (msg: ToWorker) => {
    switch (msg.type) {
      case 'go': {
        // Timers may fire up to a millisecond early on this clock: wait until the start has really come,
        // or the first transactions would be scheduled before the measured phase and not counted.
        const begin = (): void => {
          const leftUs = msg.startUs - systemClock.nowUs();
          if (leftUs > 0) setTimeout(begin, Math.ceil(leftUs / 1000));
          else {
            loop = startLoopMonitor();
            core.start(msg.startUs, msg.warmupMs);
          }
        };
        begin();
        break;
      }
      case 'stop':
        core.stop(msg.reason);
        break;
      case 'adjust':
        core.adjust(msg.target);
        break;
      default:
        unreachable(msg);
    }
  });
  post({ type: 'ready', fromUs: connectFromUs, atUs: systemClock.nowUs() });
}

// Before the programs are built: their module functions register in the buffer the main thread
// watches, to name the one a worker that misses its deadline is stuck in (run.ts).
const data = workerData as WorkerInit & { readonly userCode?: SharedArrayBuffer };
if (data.userCode !== undefined) userCodeMarks.attach(data.userCode);

main(data).catch((e: unknown) => {
  post({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
  parentPort!.close();
});
