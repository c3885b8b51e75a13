/**
 * Closed loop (pgbench without -R, k6's constant-vus / per-vu-iterations): a fixed number of
 * clients, each starting its next transaction the moment the previous one ends, for a duration
 * (-T) or a number of transactions per client (-t). An arrival is a transaction start; its
 * scheduled time is when its client became free.
 *
 * A retarget sets how many clients are active from then on: the clients beyond it park when they
 * are next free and start again (on the sweep) when a later target reaches them.
 */
import type { ExecClient, Executor, ExecutorDef, ExecutorHost } from './types.js';
import { ActiveClients } from './active-clients.js';

export interface ClosedConfig {
  readonly kind: 'closed';
  /** Measured duration; undefined with -t. */
  readonly durationMs: number | undefined;
  readonly transactionsPerClient: number | undefined;
}

class ClosedExecutor implements Executor {
  private readonly perClient: number;
  private readonly gate: ActiveClients;

  constructor(
    config: ClosedConfig,
    private readonly host: ExecutorHost,
  ) {
    this.perClient = config.transactionsPerClient ?? Infinity;
    this.gate = new ActiveClients(host);
  }

  begin(nowUs: number): void {
    for (const c of this.host.clients) this.clientFree(c, nowUs);
  }

  clientFree(c: ExecClient, nowUs: number): void {
    const host = this.host;
    if (c.finished >= this.perClient) {
      host.clientDone(c);
      return;
    }
    if (nowUs < host.loadStartUs) return; // a scenario that starts later: begin starts its clients
    // Past the end, before the end's timer has run (a busy loop fires it late): start nothing more.
    if (nowUs >= host.endUs) return;
    if (!this.gate.admit(c)) return;
    if (nowUs >= host.measureStartUs) host.recorder.arrival();
    c.start(host.pickType(), nowUs, nowUs);
  }

  sweep(): void {
    this.gate.sweep();
  }

  adjust(target: number): void {
    this.gate.adjust(target);
  }

  stop(): void {}
}

export const closed: ExecutorDef<ClosedConfig> = {
  kind: 'closed',
  openLoop: false,
  targetKind: 'clients',
  validate: (c) => {
    const problems: string[] = [];
    if (c.durationMs !== undefined && c.transactionsPerClient !== undefined) problems.push('closed loop: a duration or a transaction count, not both');
    if (c.durationMs === undefined && c.transactionsPerClient === undefined) problems.push('closed loop: needs a duration or a transaction count');
    return problems;
  },
  describe: (_c, clients) => `${clients} client${clients === 1 ? '' : 's'}`,
  forPass: (c, passMs) => ({ ...c, durationMs: passMs, transactionsPerClient: undefined }),
  // Clients and their ids are split by share.ts; each client keeps its own -t.
  share: (c) => c,
  create: (c, host) => new ClosedExecutor(c, host),
};
