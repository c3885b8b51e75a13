/**
 * How many of an executor's clients may run, for the load models whose target is a client count
 * (closed loop, closed loop with think time). A retarget sets the count; a client beyond it is
 * parked when it is next free and started again by the sweep once a later target reaches it.
 * Clients are ranked by `id - clientIdBase`, so a share of a run parks the same clients the whole
 * run would.
 */
import type { ExecClient, ExecutorHost } from './types.js';

export class ActiveClients {
  /** Clients with `id - clientIdBase` below this run; the others park. */
  private active = Infinity;
  /** Per client index: parked, waiting for the sweep. */
  private readonly parked: Uint8Array;

  constructor(private readonly host: ExecutorHost) {
    this.parked = new Uint8Array(host.clients.length);
  }

  /** May `c` start a transaction now? If not, it is parked until a sweep lets it. */
  admit(c: ExecClient): boolean {
    if (c.id - this.host.clientIdBase < this.active) return true;
    this.parked[c.index] = 1;
    return false;
  }

  /** Wake the parked clients the current target reaches. */
  sweep(): void {
    const host = this.host;
    for (const c of host.clients) {
      if (this.parked[c.index] === 1 && c.id - host.clientIdBase < this.active) {
        this.parked[c.index] = 0;
        host.wake(c);
      }
    }
  }

  adjust(target: number): void {
    this.active = Math.max(0, Math.round(target));
  }
}
