/**
 * How late a worker thread's own event loop ran, and how long V8's garbage collector paused it,
 * over the run: the client's share of schedule lag. A transaction is due at its scheduled time; a
 * loop busy elsewhere (other clients' callbacks, a GC pause, a CPU taken by the server) starts it
 * late, and that lateness is the lag the result reports. When the lag's p99 is near the loop's own
 * delay, the lag comes from pgsurge's thread, not from the server.
 *
 * perf_hooks' event-loop delay histogram samples a timer every RESOLUTION_MS (a wake-up that costs
 * far less than one transaction) and records how late it fired; the GC observer sees every pause.
 */
import { monitorEventLoopDelay, PerformanceObserver, type EntryType } from 'node:perf_hooks';

/** The timer's period; delays are measured in nanoseconds whatever it is. */
const RESOLUTION_MS = 10;

export interface LoopFigures {
  /** How late the loop's timer fired, ms (p50, p99, max) over the run. */
  readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Garbage-collector pauses of this thread: how many, their total and the longest, ms. */
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
}

export interface LoopMonitor {
  /** Stop watching and return the figures since start. */
  stop(): LoopFigures;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export function startLoopMonitor(): LoopMonitor {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let count = 0;
  let totalMs = 0;
  let maxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      count++;
      totalMs += e.duration;
      if (e.duration > maxMs) maxMs = e.duration;
    }
  });
  gc.observe({ entryTypes: ['gc' as EntryType] });
  return {
    stop(): LoopFigures {
      delay.disable();
      gc.disconnect();
      // The histogram holds the time between the timer's wake-ups in nanoseconds, its period
      // included (10.26 ms at p50 on an idle loop here): lateness is what exceeds the period.
      const ms = (ns: number): number => round3(Number.isFinite(ns) && ns > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0);
      return {
        delayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
        gc: { count, totalMs: round3(totalMs), maxMs: round3(maxMs) },
      };
    },
  };
}
