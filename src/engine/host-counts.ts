/**
 * Measured transactions per host ("host:port"): the host of a session is looked up once, when it
 * is attached; on the hot path a transaction only adds to three numbers at that index.
 */
import type { Session } from '../driver/types.js';

export interface HostFigures {
  readonly ok: number;
  readonly failed: number;
  readonly latencySumUs: number;
}

export class HostCounts {
  private readonly keys: string[] = [];
  /** Per host: ok, failed, latency sum µs. */
  private counts = new Float64Array(3 * 4);

  indexOf(s: Session): number {
    const key = `${s.host.host}:${s.host.port}`;
    let i = this.keys.indexOf(key);
    if (i < 0) {
      i = this.keys.push(key) - 1;
      if (this.counts.length < 3 * this.keys.length) {
        const bigger = new Float64Array(this.counts.length * 2);
        bigger.set(this.counts);
        this.counts = bigger;
      }
    }
    return i;
  }

  add(idx: number, ok: boolean, latencyUs: number): void {
    const c = this.counts;
    if (ok) {
      c[3 * idx] = c[3 * idx]! + 1;
      c[3 * idx + 2] = c[3 * idx + 2]! + latencyUs;
    } else c[3 * idx + 1] = c[3 * idx + 1]! + 1;
  }

  figures(): Record<string, HostFigures> {
    const out: Record<string, HostFigures> = {};
    this.keys.forEach((k, i) => {
      out[k] = { ok: this.counts[3 * i]!, failed: this.counts[3 * i + 1]!, latencySumUs: this.counts[3 * i + 2]! };
    });
    return out;
  }
}
