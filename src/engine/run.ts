/**
 * The run lifecycle on the main thread: start the worker threads, wait until every connection is
 * open, start them all on one instant, merge their interval snapshots, stop gracefully (end of
 * duration, -t reached, or an abort such as Ctrl-C), and hand back what was measured.
 */
import { Worker } from 'node:worker_threads';
import { PgsurgeError } from '../errors.js';
import type { ConnInfo, HostSpec, Protocol } from '../driver/types.js';
import { Aggregator, type IntervalStats } from '../metrics/aggregator.js';
import type { MetricsLayout } from '../metrics/types.js';
import { nowUs } from './clock.js';
import type { FromWorker, LoadModel, ToWorker, WorkerInit } from './messages.js';
import type { WorkloadSource } from '../workload/sources.js';
import type { WorkerDoneInfo } from './worker-core.js';

export interface RunPlan {
  readonly conn: ConnInfo;
  readonly host: HostSpec;
  readonly protocol: Protocol;
  readonly scripts: readonly WorkloadSource[];
  readonly layout: MetricsLayout;
  readonly clients: number;
  readonly threads: number;
  readonly load: LoadModel;
  readonly warmupMs: number;
  readonly scale: number;
  readonly defines: Readonly<Record<string, string>>;
  readonly maxTries: number;
  readonly queryTimeoutMs: number;
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly seed: number;
}

export interface RunHooks {
  /** Called once, when the start of the measured phase is fixed (µs on the shared clock). */
  readonly onMeasureStart?: (measureStartUs: number) => void;
  /** Called for every completed interval, in order. */
  readonly onInterval?: (stats: IntervalStats) => void;
  /** Aborting stops the run gracefully: in-flight transactions finish, results are kept. */
  readonly signal?: AbortSignal;
}

export interface RunOutcome {
  readonly aggregator: Aggregator;
  readonly intervals: readonly IntervalStats[];
  readonly startedAt: Date;
  /** Length of the measured phase in seconds. */
  readonly durationS: number;
  readonly firstErrors: Partial<Record<string, string>>;
  /** "duration", "transactions" or the abort reason. */
  readonly stopReason: string;
  readonly interrupted: boolean;
}

/** Worker w runs clients w, w+J, w+2J, … so that ramps and -j keep the same meaning. */
function clientIdsOf(worker: number, workers: number, clients: number): number[] {
  const ids: number[] = [];
  for (let id = worker; id < clients; id += workers) ids.push(id);
  return ids;
}

export async function runLoad(plan: RunPlan, hooks: RunHooks = {}): Promise<RunOutcome> {
  const workers = Math.max(1, Math.min(plan.threads, plan.clients));
  const aggregator = new Aggregator(plan.layout, { workers, intervalMs: plan.intervalMs });
  const intervals: IntervalStats[] = [];
  const threads: Worker[] = [];
  const firstErrors: Record<string, string> = {};
  let doneCount = 0;
  let stopReason = 'duration';
  let stopAtUs: number | undefined;
  let measureStartUs = 0;
  let startedAt = new Date();

  const send = (w: Worker, msg: ToWorker): void => w.postMessage(msg);

  return await new Promise<RunOutcome>((resolve, reject) => {
    let readyCount = 0;
    let failed = false;
    const fail = (err: PgsurgeError): void => {
      if (failed) return;
      failed = true;
      for (const t of threads) void t.terminate();
      hooks.signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onAbort = (): void => {
      stopReason = 'interrupted';
      stopAtUs ??= nowUs();
      for (const t of threads) send(t, { type: 'stop', reason: 'interrupted' });
      if (readyCount < workers) fail(new PgsurgeError('INTERRUPTED', 'interrupted while connecting'));
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    const finishAll = (): void => {
      hooks.signal?.removeEventListener('abort', onAbort);
      for (const s of aggregator.finish()) {
        intervals.push(s);
        hooks.onInterval?.(s);
      }
      const endUs = Math.min(stopAtUs ?? nowUs(), plan.load.durationMs === undefined ? Infinity : measureStartUs + plan.load.durationMs * 1000);
      resolve({
        aggregator,
        intervals,
        startedAt,
        durationS: Math.max(0, (endUs - measureStartUs) / 1e6),
        firstErrors,
        stopReason,
        interrupted: stopReason === 'interrupted',
      });
    };

    for (let w = 0; w < workers; w++) {
      const init: WorkerInit = {
        worker: w,
        workers,
        clientIds: clientIdsOf(w, workers, plan.clients),
        scripts: plan.scripts,
        layout: plan.layout,
        load: plan.load,
        scale: plan.scale,
        defines: plan.defines,
        maxTries: plan.maxTries,
        queryTimeoutMs: plan.queryTimeoutMs,
        graceMs: plan.graceMs,
        intervalMs: plan.intervalMs,
        seed: plan.seed,
        conn: plan.conn,
        host: plan.host,
        protocol: plan.protocol,
      };
      const t = new Worker(new URL('./worker-main.js', import.meta.url), { workerData: init });
      threads.push(t);
      t.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            readyCount++;
            if (readyCount === workers && !failed) {
              // Every connection is open: start all workers on the same instant, shortly ahead.
              const startUs = nowUs() + 20_000;
              measureStartUs = startUs + plan.warmupMs * 1000;
              startedAt = new Date(Date.now() + 20 + plan.warmupMs);
              for (const x of threads) send(x, { type: 'go', startUs, warmupMs: plan.warmupMs });
              hooks.onMeasureStart?.(measureStartUs);
              if (stopAtUs !== undefined) for (const x of threads) send(x, { type: 'stop', reason: 'interrupted' });
            }
            break;
          case 'connect-failed':
            fail(connectError(msg.code, msg.message, plan.clients));
            break;
          case 'snapshot':
            for (const s of aggregator.add(msg.snapshot)) {
              intervals.push(s);
              hooks.onInterval?.(s);
            }
            break;
          case 'done':
            mergeDone(firstErrors, msg.info);
            if (msg.info.reason !== 'duration' && stopReason === 'duration') stopReason = msg.info.reason;
            if (msg.info.reason === 'transactions') stopAtUs = Math.max(stopAtUs ?? 0, nowUs());
            doneCount++;
            if (doneCount === workers) finishAll();
            break;
          case 'fatal':
            fail(new PgsurgeError('WORKER_FAILED', `worker ${w} failed: ${msg.message}`));
            break;
        }
      });
      t.on('error', (e) => fail(new PgsurgeError('WORKER_FAILED', `worker ${w} crashed: ${e.message}`, { cause: e })));
    }
  });
}

function mergeDone(into: Record<string, string>, info: WorkerDoneInfo): void {
  for (const [cls, msg] of Object.entries(info.firstErrors)) {
    if (into[cls] === undefined && msg !== undefined) into[cls] = msg;
  }
}

function connectError(code: string, message: string, clients: number): PgsurgeError {
  if (code === '53300' || code.startsWith('53')) {
    return new PgsurgeError('TOO_MANY_CLIENTS', `could not open ${clients} connections: ${message} (lower -c or raise max_connections)`);
  }
  return new PgsurgeError('CONNECT_FAILED', message);
}
