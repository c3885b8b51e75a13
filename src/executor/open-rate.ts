/**
 * Open loop (pgbench -R, k6's constant-arrival-rate and ramping-arrival-rate): arrivals come on a
 * schedule at a constant rate or along rate stages, uniform or Poisson (rate-profile.ts), whatever
 * the server does. An arrival waits in a bounded queue for a free client (its latency keeps
 * counting), is dropped when the queue is full, skipped (-L) when it is already later than the
 * limit when a client could start it, and unfinished when the run ends first.
 *
 * A retarget sets the rate from then on; the schedule goes on from the arrivals due so far, so the
 * arrival count has no jump.
 */
import type { Stage } from '../config/units.js';
import { ArrivalQueue } from './arrival-queue.js';
import { ArrivalSchedule, RateProfile } from './rate-profile.js';
import type { ExecClient, Executor, ExecutorDef, ExecutorHost } from './types.js';

export interface OpenRateConfig {
  readonly kind: 'open';
  readonly durationMs: number;
  /** Constant rate, or the starting rate of the stages. */
  readonly rateHz: number;
  readonly arrivals: 'uniform' | 'poisson';
  /** Arrivals that may wait for a free client, per worker; more are dropped. */
  readonly maxQueue: number;
  /** pgbench -L: an arrival later than this when a client could start it is skipped. */
  readonly latencyLimitMs: number | undefined;
  readonly stages: readonly Stage[] | undefined;
  /**
   * Part of a sharded run (uniform arrivals): this part takes arrivals n ≡ index (mod count) of
   * the whole schedule. Absent: the whole schedule.
   */
  readonly arrivalShare?: { readonly index: number; readonly count: number };
}

/**
 * Timers wait at least 1 ms and often fire a millisecond late, so the loop sleeps on a timer only
 * until BLOCK_BELOW_US before the next arrival. The rest is waited precisely: with nothing in
 * flight the thread blocks for exactly the remaining time (no I/O can be kept waiting); otherwise
 * it naps (NAP_US) with an I/O poll between naps, and every response that comes meanwhile pumps
 * the schedule too. Measurements behind both values: bench/RESULTS.md, "Design measurements".
 */
const BLOCK_BELOW_US = 2000;
/** Longest nap while I/O is in flight: an arrival starts, and a response is read, at most this late. */
const NAP_US = 100;

class OpenRateExecutor implements Executor {
  private readonly queue: ArrivalQueue;
  private readonly limitUs: number;
  private readonly free: ExecClient[] = [];
  private schedule: ArrivalSchedule | null = null;
  private nextDueUs = Infinity;
  private arrivalTimer: unknown = null;
  private stopped = false;
  private pumping = false;
  private repump = false;
  private napPending = false;
  /** A retarget before the load began: the rate to start with. */
  private startHz: number | undefined;

  constructor(
    private readonly config: OpenRateConfig,
    private readonly host: ExecutorHost,
  ) {
    this.queue = new ArrivalQueue(config.maxQueue);
    this.limitUs = config.latencyLimitMs === undefined ? Infinity : config.latencyLimitMs * 1000;
  }

  begin(nowUs: number): void {
    const c = this.config;
    const host = this.host;
    const profile =
      this.startHz !== undefined
        ? RateProfile.constant(this.startHz)
        : c.stages === undefined
          ? RateProfile.constant(c.rateHz)
          : RateProfile.stages(c.rateHz, c.stages);
    const share = c.arrivalShare ?? { index: 0, count: 1 };
    const random = host.random;
    this.schedule = new ArrivalSchedule(profile, {
      workers: host.workers * share.count,
      worker: share.index + share.count * host.worker,
      poisson: c.arrivals === 'poisson',
      random: () => random.next(),
    });
    this.nextDueUs = host.loadStartUs + this.schedule.next();
    for (const cl of host.clients) this.free.push(cl);
    this.pump(nowUs);
  }

  clientFree(c: ExecClient, nowUs: number): void {
    this.free.push(c);
    this.pump(nowUs);
  }

  sweep(): void {}

  adjust(target: number, nowUs: number): void {
    const rateHz = Math.max(0, target);
    const schedule = this.schedule;
    if (schedule === null) {
      this.startHz = rateHz;
      return;
    }
    const host = this.host;
    const tUs = Math.max(0, nowUs - host.loadStartUs);
    this.nextDueUs = host.loadStartUs + schedule.retarget(schedule.profile.retargeted(tUs, rateHz));
    if (this.arrivalTimer !== null) host.timers.clear(this.arrivalTimer);
    this.arrivalTimer = null;
    this.pump(nowUs);
  }

  stop(): void {
    // Arrivals already due (the end's timer may run before the arrival's) are made before the stop:
    // they belong to the schedule, and what cannot start now is counted unfinished below.
    if (!this.stopped) this.pump(this.host.clock.nowUs());
    this.stopped = true;
    if (this.arrivalTimer !== null) this.host.timers.clear(this.arrivalTimer);
    this.arrivalTimer = null;
    // Queued arrivals of the measured phase will never start: unfinished, having waited until now
    // (a closure per stop, not per transaction).
    const host = this.host;
    const stopUs = host.clock.nowUs();
    this.queue.clear(host.measureStartUs, (dueUs) => host.recorder.unfinished(dueUs, stopUs));
  }

  /**
   * Move due arrivals into the queue, hand queued arrivals to free clients, re-arm. Not
   * re-entrant: a transaction that ends at once (a script without SQL) frees its client inside
   * pump, and a short block is followed by another round; both repeat the loop here instead of
   * recursing, so the stack stays flat however long the run. `now`: the clock for the first round
   * (a caller that just read it); later rounds read it again.
   */
  private pump(now: number): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    try {
      this.repump = false;
      this.pumpOnce(now);
      while (this.repump) {
        this.repump = false;
        this.pumpOnce(this.host.clock.nowUs());
      }
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(now: number): void {
    const schedule = this.schedule;
    if (this.stopped || schedule === null) return;
    const host = this.host;
    const endUs = host.endUs;
    const measureStartUs = host.measureStartUs;
    while (this.nextDueUs <= now && this.nextDueUs < endUs) {
      const due = this.nextDueUs;
      const measured = due >= measureStartUs;
      if (measured) host.recorder.arrival();
      if (!this.queue.push(due) && measured) host.recorder.dropped();
      this.nextDueUs = host.loadStartUs + schedule.next();
    }
    while (this.queue.length > 0 && this.free.length > 0) {
      const due = this.queue.shift();
      const type = host.pickType();
      if (now - due > this.limitUs) {
        if (due >= measureStartUs) host.recorder.skipped(host.typeOffset + type);
        continue;
      }
      this.free.pop()!.start(type, due, now);
    }
    if (this.nextDueUs >= endUs) return;
    const waitUs = this.nextDueUs - now;
    if (waitUs <= BLOCK_BELOW_US && this.free.length > 0) {
      if (this.arrivalTimer !== null) host.timers.clear(this.arrivalTimer);
      this.arrivalTimer = null;
      if (this.free.length === host.clients.length) {
        host.timers.block(waitUs);
        this.repump = true;
      } else if (!this.napPending) {
        this.napPending = true;
        host.timers.immediate(this.onNap);
      }
      return;
    }
    if (this.arrivalTimer === null) {
      this.arrivalTimer = host.timers.set(this.onArrivalTimer, (waitUs > BLOCK_BELOW_US ? waitUs - BLOCK_BELOW_US : waitUs) / 1000);
    }
  }

  private readonly onNap = (): void => {
    this.napPending = false;
    // The responses polled since the nap was asked for may have started the arrival, or taken every
    // free client: then there is nothing to nap for.
    const waitUs = this.nextDueUs - this.host.clock.nowUs();
    if (waitUs > 0 && waitUs <= BLOCK_BELOW_US && this.free.length > 0) this.host.timers.block(Math.min(waitUs, NAP_US));
    this.pump(this.host.clock.nowUs());
  };

  private readonly onArrivalTimer = (): void => {
    this.arrivalTimer = null;
    this.pump(this.host.clock.nowUs());
  };
}

const scaled = (stages: readonly Stage[] | undefined, by: number): Stage[] | undefined =>
  stages?.map((s) => ({ durationMs: s.durationMs, target: s.target * by }));

export const openRate: ExecutorDef<OpenRateConfig> = {
  kind: 'open',
  openLoop: true,
  targetKind: 'rate',
  validate: (c) => {
    const problems: string[] = [];
    if (!(c.durationMs > 0)) problems.push('open loop: needs a duration (-T or --stages)');
    if (!(c.rateHz >= 0)) problems.push('open loop: the rate must be 0 or more');
    if (!(c.maxQueue >= 1)) problems.push('open loop: --max-queue must be at least 1');
    return problems;
  },
  describe: (c, clients) => `${c.stages === undefined ? `${c.rateHz}/s` : 'ramping rate'} (${c.arrivals}) with up to ${clients} clients`,
  forPass: (c, passMs) => ({ ...c, durationMs: passMs }),
  share: (c, { k, n }) => {
    // Each part's workers hold its share of the queue bound.
    const maxQueue = Math.max(1, Math.ceil(c.maxQueue / n));
    // Uniform: interleaved, so the parts' arrivals together are exactly the whole schedule's.
    if (c.arrivals === 'uniform') {
      const outer = c.arrivalShare ?? { index: 0, count: 1 };
      return { ...c, maxQueue, arrivalShare: { index: outer.index + outer.count * (k - 1), count: outer.count * n } };
    }
    // Poisson: independent processes at 1/N of the rate add up to the whole (superposition).
    const stages = scaled(c.stages, 1 / n);
    return { ...c, maxQueue, rateHz: c.rateHz / n, stages };
  },
  create: (c, host) => new OpenRateExecutor(c, host),
};
