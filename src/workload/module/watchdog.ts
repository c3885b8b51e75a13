/**
 * A workload module's code that runs on the main thread — its top level, setup(), teardown(),
 * reset(), report(), weights() — can block the event loop for good (`for (;;) {}`): then no timer,
 * no deadline and no SIGINT handler of the main thread ever runs again. A watchdog thread
 * (watchdog-thread.ts) keeps running while the main thread is blocked: the main thread arms it
 * around each call into such code and, while armed, bumps a heartbeat in shared memory from a
 * timer. Only a blocked event loop stops the heartbeat: a setup() that awaits a slow query leaves
 * the loop free, so it never trips. Blocked past the limit, the watchdog prints one line naming
 * the function and the module, and ends the process (see watchdog-thread.ts for how).
 *
 * Cost: one worker thread (a few MB, ~20 ms to start) from the first call into a user module on
 * the main thread to the end of the process, and a 4 Hz timer while armed. Nothing on the hot path:
 * transactions run in the run's worker threads, which run.ts watches with deadlines of its own.
 * Built-in workloads are pgsurge's own code and are not watched.
 */
import { isMainThread, Worker } from 'node:worker_threads';
import inspector from 'node:inspector';
import { envSecondsMs } from '../../config/env-seconds.js';
import { userCodeMarks } from './user-code.js';

/** Environment variable: seconds a module function may block the main thread (default 30). */
export const USER_CODE_LIMIT_ENV = 'PGSURGE_USER_CODE_LIMIT_S';
const DEFAULT_LIMIT_S = 30;
/**
 * The exit code when the watchdog ends the process: 2, as for a module that throws at its top
 * level: the module cannot be used as written (and nothing was measured, or only a teardown is left).
 */
export const BLOCKED_EXIT_CODE = 2;
/** How often the main thread bumps the heartbeat while armed. */
const HEARTBEAT_MS = 250;

/** Messages to the watchdog thread. */
export type ToWatchdog = { readonly type: 'arm'; readonly id: number; readonly label: string } | { readonly type: 'disarm'; readonly id: number };

/** What the watchdog thread starts with. */
export interface WatchdogData {
  /** Int32 [HEARTBEAT]: bumped by the main thread while armed; [FIRED]: 1 once the watchdog fired. */
  readonly shared: SharedArrayBuffer;
  readonly limitMs: number;
  readonly limitEnv: string;
}

export const HEARTBEAT = 0;
export const FIRED = 1;

/** The limit in ms, from PGSURGE_USER_CODE_LIMIT_S (a usage error naming it when it is not a positive number). */
export function userCodeLimitMs(env: NodeJS.ProcessEnv = process.env): number {
  return envSecondsMs({ name: USER_CODE_LIMIT_ENV, defaultS: DEFAULT_LIMIT_S, what: "how long a workload module's code may block pgsurge" }, env);
}

interface Watchdog {
  readonly worker: Worker;
  readonly beat: Int32Array;
  timer: NodeJS.Timeout | undefined;
  armed: number;
}

/** undefined: not started yet; null: not watching (a worker thread, or a debugger attached). */
let watchdog: Watchdog | null | undefined;
let nextId = 1;

function start(): Watchdog | null {
  // A debugger paused at a breakpoint in the module would look like a blocked loop.
  if (!isMainThread || inspector.url() !== undefined) return null;
  const data: WatchdogData = { shared: new SharedArrayBuffer(8), limitMs: userCodeLimitMs(), limitEnv: USER_CODE_LIMIT_ENV };
  const shared = new Int32Array(data.shared);
  const worker = new Worker(new URL('./watchdog-thread.js', import.meta.url), { workerData: data });
  // The watchdog has printed its line and cut the blocked code short: leave now, with the 'exit'
  // handlers (they stop throwaway servers) but nothing else. If the loop empties first, the exit
  // code is set on the way out.
  worker.on('message', () => process.exit(BLOCKED_EXIT_CODE));
  process.on('exit', () => {
    if (Atomics.load(shared, FIRED) === 1) process.exitCode = BLOCKED_EXIT_CODE;
  });
  worker.on('error', () => undefined);
  // The thread must never keep pgsurge alive (after the listeners: adding one refs it again).
  worker.unref();
  return { worker, beat: shared, timer: undefined, armed: 0 };
}

function arm(label: string): number {
  if (watchdog === undefined) watchdog = start();
  if (watchdog === null) return 0;
  const w = watchdog;
  const id = nextId++;
  w.worker.postMessage({ type: 'arm', id, label } satisfies ToWatchdog);
  if (w.armed++ === 0) {
    w.timer = setInterval(() => Atomics.add(w.beat, HEARTBEAT, 1), HEARTBEAT_MS);
    w.timer.unref();
  }
  return id;
}

function disarm(id: number): void {
  const w = watchdog;
  if (id === 0 || w === undefined || w === null) return;
  w.worker.postMessage({ type: 'disarm', id } satisfies ToWatchdog);
  if (--w.armed === 0) clearInterval(w.timer);
}

/** Ids in userCodeMarks of the functions a worker thread runs through watchUserCall, by name. */
const markIds = new Map<string, number>();

/**
 * Call user code under the watchdog: `what` names it as the user finds it ("setup() of wl.ts").
 * A promise it returns keeps the watchdog armed until it settles (awaiting leaves the event loop
 * free, so only a loop that blocks it trips the watchdog). In a run's worker thread, which the
 * main thread watches instead, the call is marked in userCodeMarks (the top level and weights()
 * run there too, before the worker reports ready: run.ts gives them the same limit).
 */
export function watchUserCall<T>(what: string, fn: () => T): T {
  if (!isMainThread) return markedCall(what, fn);
  const id = arm(what);
  let out: T;
  try {
    out = fn();
  } catch (e) {
    disarm(id);
    throw e;
  }
  if (out instanceof Promise) {
    return out.finally(() => disarm(id)) as T;
  }
  disarm(id);
  return out;
}

function markedCall<T>(what: string, fn: () => T): T {
  let id = markIds.get(what);
  if (id === undefined) {
    id = userCodeMarks.register(what);
    markIds.set(what, id);
  }
  userCodeMarks.enter(id);
  let out: T;
  try {
    out = fn();
  } catch (e) {
    userCodeMarks.leave();
    throw e;
  }
  if (out instanceof Promise) {
    // Awaiting: the heartbeat shows run.ts that the loop is free (a top-level await is not stuck).
    const beat = setInterval(() => userCodeMarks.beat(), HEARTBEAT_MS);
    return out.finally(() => {
      clearInterval(beat);
      userCodeMarks.leave();
    }) as T;
  }
  userCodeMarks.leave();
  return out;
}
