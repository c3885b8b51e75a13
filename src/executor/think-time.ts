/**
 * Closed loop with think time (Locust's wait_time, a k6 script's sleep): each client waits a think
 * time after a transaction ends before it starts the next, holding its connection meanwhile (like
 * a Locust user). The think time is fixed, or exponential with that mean (the waits of a
 * population of independent users: a Poisson-like stream per client).
 *
 * A transaction is due when its client's think time is over (previous end + think time): latency
 * and lag count from there, so a slow server or a late timer is not hidden. A client's first
 * transaction is due when the load begins. Duration (-T) or transactions per client (-t) as in the
 * plain closed loop; a retarget sets the active clients from then on.
 *
 * One timer for the whole worker, armed for the earliest due client: nothing is allocated per
 * transaction, and thinking clients cost nothing but a slot in `dueUs`.
 */
import { FastRandom } from './random.js';
import type { ExecClient, Executor, ExecutorDef, ExecutorHost } from './types.js';
import { ActiveClients } from './active-clients.js';

export const THINK_DISTS = ['fixed', 'exponential'] as const;
export type ThinkDist = (typeof THINK_DISTS)[number];

export interface ThinkTimeConfig {
  readonly kind: 'think-time';
  /** Measured duration; undefined with -t. */
  readonly durationMs: number | undefined;
  readonly transactionsPerClient: number | undefined;
  /** The think time (fixed), or its mean (exponential). */
  readonly thinkMs: number;
  readonly dist: ThinkDist;
}

class ThinkTimeExecutor implements Executor {
  private readonly perClient: number;
  private readonly thinkUs: number;
  private readonly exponential: boolean;
  private readonly random: FastRandom;
  /** Per client index: when its thinking ends (µs); Infinity while it runs, parks or is done. */
  private readonly dueUs: Float64Array;
  private readonly gate: ActiveClients;
  private timer: unknown = null;
  /** When the armed timer fires (µs), Infinity when none is armed. */
  private timerAtUs = Infinity;
  private stopped = false;

  constructor(
    config: ThinkTimeConfig,
    private readonly host: ExecutorHost,
  ) {
    this.perClient = config.transactionsPerClient ?? Infinity;
    this.thinkUs = config.thinkMs * 1000;
    this.exponential = config.dist === 'exponential';
    this.random = new FastRandom(host.seed, 2000 + host.worker);
    this.dueUs = new Float64Array(host.clients.length).fill(Infinity);
    this.gate = new ActiveClients(host);
  }

  begin(nowUs: number): void {
    for (const c of this.host.clients) {
      if (this.gate.admit(c)) this.run(c, nowUs, nowUs);
    }
  }

  clientFree(c: ExecClient, nowUs: number): void {
    const host = this.host;
    if (c.finished >= this.perClient) {
      host.clientDone(c);
      return;
    }
    if (nowUs < host.loadStartUs) return; // a scenario that starts later: begin starts its clients
    if (!this.gate.admit(c)) return;
    // Connected (or reconnected) before its first transaction: no think time before it.
    if (c.finished === 0) {
      this.run(c, nowUs, nowUs);
      return;
    }
    const dueUs = nowUs + (this.exponential ? this.thinkUs * this.random.exponential() : this.thinkUs);
    this.dueUs[c.index] = dueUs;
    if (dueUs < this.timerAtUs) this.arm(dueUs, nowUs);
  }

  sweep(): void {
    this.gate.sweep();
  }

  adjust(target: number): void {
    this.gate.adjust(target);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.host.timers.clear(this.timer);
    this.timer = null;
    this.timerAtUs = Infinity;
    this.dueUs.fill(Infinity);
  }

  private run(c: ExecClient, scheduledUs: number, nowUs: number): void {
    if (scheduledUs >= this.host.endUs) return; // due past the end, before its timer has run
    if (scheduledUs >= this.host.measureStartUs) this.host.recorder.arrival();
    c.start(this.host.pickType(), scheduledUs, nowUs);
  }

  private arm(atUs: number, nowUs: number): void {
    if (this.timer !== null) this.host.timers.clear(this.timer);
    this.timerAtUs = atUs;
    this.timer = this.host.timers.set(this.onTimer, (atUs - nowUs) / 1000);
  }

  /** Start every client whose thinking is over; re-arm for the next one. */
  private readonly onTimer = (): void => {
    this.timer = null;
    this.timerAtUs = Infinity;
    if (this.stopped) return;
    const host = this.host;
    const due = this.dueUs;
    const nowUs = host.clock.nowUs();
    let nextUs = Infinity;
    for (const c of host.clients) {
      const d = due[c.index]!;
      if (d <= nowUs) {
        due[c.index] = Infinity;
        if (this.gate.admit(c)) this.run(c, d, nowUs);
        if (this.stopped) return;
      }
    }
    // Clients started above may have ended at once and be thinking again: look at them all.
    for (let i = 0; i < due.length; i++) if (due[i]! < nextUs) nextUs = due[i]!;
    if (nextUs !== Infinity && nextUs < this.timerAtUs) this.arm(nextUs, nowUs);
  };
}

export const thinkTime: ExecutorDef<ThinkTimeConfig> = {
  kind: 'think-time',
  openLoop: false,
  targetKind: 'clients',
  validate: (c) => {
    const problems: string[] = [];
    if (!(c.thinkMs > 0)) problems.push('--think-time: must be more than 0');
    if (!(THINK_DISTS as readonly string[]).includes(c.dist)) problems.push(`--think-time-dist: expected ${THINK_DISTS.join(' or ')}, got "${c.dist}"`);
    if ((c.durationMs === undefined) === (c.transactionsPerClient === undefined))
      problems.push('think time: needs a duration (-T) or a transaction count (-t), not both');
    return problems;
  },
  describe: (c, clients) => `${clients} client${clients === 1 ? '' : 's'} thinking ${c.thinkMs} ms${c.dist === 'fixed' ? '' : ` (${c.dist})`}`,
  forPass: (c, passMs) => ({ ...c, durationMs: passMs, transactionsPerClient: undefined }),
  // Clients, their ids and the seed (so the think-time draws) are split by share.ts.
  share: (c) => c,
  create: (c, host) => new ThinkTimeExecutor(c, host),
};
