/**
 * The one clock: integer microseconds on a monotonic time line shared by all threads.
 * `performance.now()` has a per-thread origin, so we add `performance.timeOrigin` (epoch ms of the
 * thread's start) to put every thread on the same line; a double holds ~1.7e15 µs to well under 1 µs.
 */
export function nowUs(): number {
  return Math.round((ORIGIN_MS + now()) * 1000);
}

// Read once per thread: the getter validates its receiver on every call (~15 % of a clock read).
const ORIGIN_MS = performance.timeOrigin;
const now = performance.now.bind(performance);

/** A clock that tests can drive by hand. */
export interface Clock {
  nowUs(): number;
}

export const systemClock: Clock = { nowUs };

export class FakeClock implements Clock {
  constructor(private currentUs = 0) {}
  nowUs(): number {
    return this.currentUs;
  }
  advance(us: number): void {
    this.currentUs += us;
  }
  set(us: number): void {
    this.currentUs = us;
  }
}
