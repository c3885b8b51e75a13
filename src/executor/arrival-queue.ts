/**
 * Open loop: arrivals waiting for a free client, oldest first, as due times (µs) in a fixed ring
 * buffer — bounded, so a run that cannot keep up drops arrivals instead of growing without limit.
 */
export class ArrivalQueue {
  private readonly due: Float64Array;
  private head = 0;
  private len = 0;

  constructor(capacity: number) {
    this.due = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.len;
  }

  /** Add an arrival; false (and nothing added) when the queue is full. */
  push(dueUs: number): boolean {
    if (this.len === this.due.length) return false;
    this.due[(this.head + this.len) % this.due.length] = dueUs;
    this.len++;
    return true;
  }

  /** The oldest arrival's due time; only when length > 0. */
  shift(): number {
    const d = this.due[this.head]!;
    this.head = (this.head + 1) % this.due.length;
    this.len--;
    return d;
  }

  /** Empty the queue, passing each arrival due at or after `fromUs` to `each` (oldest first); return how many. */
  clear(fromUs: number, each: (dueUs: number) => void): number {
    let n = 0;
    for (let i = 0; i < this.len; i++) {
      const due = this.due[(this.head + i) % this.due.length]!;
      if (due >= fromUs) {
        each(due);
        n++;
      }
    }
    this.len = 0;
    return n;
  }
}
