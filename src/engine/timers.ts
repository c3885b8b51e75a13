/**
 * The worker's timers, behind an interface so that the worker core and the executors run on a
 * simulated clock in tests (src/engine/worker-core.test.ts).
 */
export interface Timers {
  set(fn: () => void, delayMs: number): unknown;
  /**
   * Block the thread for `us` microseconds (sub-millisecond precision, no CPU spent). Pending I/O
   * waits too: only for the whole wait when nothing is in flight, else for one short nap.
   */
  block(us: number): void;
  /** Run `fn` once the event loop has polled I/O (without waiting for any). */
  immediate(fn: () => void): void;
  clear(handle: unknown): void;
}

/** A cell nobody ever notifies: Atomics.wait on it is a precise sleep. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export const realTimers: Timers = {
  set: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)),
  block: (us) => {
    if (us > 0) Atomics.wait(sleepCell, 0, 0, us / 1000);
  },
  immediate: (fn) => void setImmediate(fn),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};
