/**
 * The step controller of `pgsurge run --find-limit`: it sees the run's intervals one by one and
 * decides the next load target (arrivals per second for an open loop, active clients for a closed
 * one) or the end of the search. Pure: no clock, no I/O; the run wires it to RunControl.
 *
 * Search: start at `start`, double until a step breaks (or `max` is reached), then bisect between
 * the highest step that held and the lowest that broke until they are within `precision` (5 %;
 * one client for a closed loop). Each step lasts `stepIntervals` intervals; its first interval is
 * the step's warm-up and is not judged (the load is still changing), so a step is judged on its
 * own later intervals only.
 *
 * A step breaks on: any failed transaction; open loop, completions more than 2 % short of the
 * arrivals the schedule made; closed loop, throughput no more than 5 % above the best held step
 * with fewer clients; either, a p99 past 5× that of the first step that held. With the run's
 * thresholds (stepCheck), those replace the failure and p99 rules.
 */

/** What one step is judged on: its intervals after the warm-up, summed. */
export interface StepFigures {
  /** Successful transactions per second over the judged intervals. */
  readonly achievedTps: number;
  /** Highest interval p99 of the judged intervals, ms (null: nothing completed). */
  readonly p99Ms: number | null;
  readonly failed: number;
  /** Arrivals dropped or skipped (open loop: the clients could not keep up). */
  readonly dropped: number;
  /** Arrivals the schedule made in the judged intervals. */
  readonly arrivals: number;
}

export interface LimitStep extends StepFigures {
  readonly target: number;
  /** Interval indexes of the step, first and last (the first is the step's warm-up). */
  readonly firstInterval: number;
  readonly lastInterval: number;
  readonly held: boolean;
  /** Why it broke, in words (absent when it held). */
  readonly broke?: string;
}

/** The one interval fields the controller reads (IntervalStats has them). */
export interface IntervalFigures {
  readonly index: number;
  readonly durationMs: number;
  /** Arrivals the schedule made in the interval (open loop; Poisson arrivals vary around the rate). */
  readonly arrivals: number;
  readonly ok: number;
  readonly failed: number;
  readonly dropped: number;
  readonly skipped: number;
  readonly latencyMs: { readonly p99: number | null };
}

export interface LimitOptions<I extends IntervalFigures = IntervalFigures> {
  readonly openLoop: boolean;
  /** First target (>= 1). */
  readonly start: number;
  /** Highest target (closed loop: -c); undefined: no bound but the run's duration. */
  readonly max?: number | undefined;
  /** Intervals per step, >= 2 (the first is not judged). */
  readonly stepIntervals: number;
  /** A step breaks when achieved < asked × (1 − this) (open loop). Default 0.02. */
  readonly rateShortfall?: number;
  /** A step breaks when its p99 exceeds the first held step's p99 by this factor. Default 5. */
  readonly p99Factor?: number;
  /** Closed loop: a step with more clients breaks when its throughput gains less than this over the best held step. Default 0.05. */
  readonly flatGain?: number;
  /** Bisection stops when broke − held <= held × this (open loop). Default 0.05. */
  readonly precision?: number;
  /**
   * The run's thresholds as the step's criterion: what the judged intervals break, in words, or
   * undefined. Given, it replaces the "any failure" and "p99 past 5×" rules; the rate and
   * flat-throughput rules stay (they say whether the load was carried at all).
   */
  readonly stepCheck?: (judged: readonly I[]) => string | undefined;
}

export type LimitDecision = { readonly kind: 'hold' } | { readonly kind: 'set'; readonly target: number } | { readonly kind: 'end' };

/** How the search ended: a limit between `held` and `broke`, nothing broke, or the first step broke. */
export type LimitOutcome =
  | { readonly kind: 'found'; readonly held: LimitStep; readonly broke: LimitStep }
  | { readonly kind: 'no-break'; readonly held: LimitStep | undefined }
  | { readonly kind: 'first-broke'; readonly broke: LimitStep }
  | { readonly kind: 'unfinished'; readonly held: LimitStep | undefined; readonly broke: LimitStep | undefined };

export class LimitSearch<I extends IntervalFigures = IntervalFigures> {
  private readonly steps: LimitStep[] = [];
  private target: number;
  private firstInterval = 0;
  private readonly judged: I[] = [];
  private bestHeld: LimitStep | undefined;
  private lowestBroke: LimitStep | undefined;
  private baseP99Ms: number | null = null;
  private done = false;

  constructor(private readonly opts: LimitOptions<I>) {
    this.target = opts.max === undefined ? opts.start : Math.min(opts.start, opts.max);
  }

  /** The target of the step that runs now. */
  get current(): number {
    return this.target;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Whether interval `index` is the last of the step that runs now (feeding it judges the step). */
  completesStep(index: number): boolean {
    return !this.done && index - this.firstInterval + 1 >= this.opts.stepIntervals;
  }

  /** Feed the run's next interval (in order); the answer says what to do from now on. */
  interval(s: I): LimitDecision {
    if (this.done) return { kind: 'end' };
    if (s.index > this.firstInterval) this.judged.push(s);
    if (s.index - this.firstInterval + 1 < this.opts.stepIntervals) return { kind: 'hold' };
    const step = this.judge(s.index);
    this.steps.push(step);
    const next = this.next(step);
    this.firstInterval = s.index + 1;
    this.judged.length = 0;
    if (next === undefined) {
      this.done = true;
      return { kind: 'end' };
    }
    this.target = next;
    return { kind: 'set', target: next };
  }

  private judge(lastInterval: number): LimitStep {
    let ok = 0;
    let failed = 0;
    let dropped = 0;
    let arrivals = 0;
    let ms = 0;
    let p99: number | null = null;
    for (const i of this.judged) {
      ok += i.ok;
      failed += i.failed;
      dropped += i.dropped + i.skipped;
      arrivals += i.arrivals;
      ms += i.durationMs;
      if (i.latencyMs.p99 !== null) p99 = Math.max(p99 ?? 0, i.latencyMs.p99);
    }
    const achievedTps = ms > 0 ? (ok * 1000) / ms : 0;
    const figures: StepFigures = { achievedTps, p99Ms: p99, failed, dropped, arrivals };
    const broke = this.brokeWhy(figures, ok);
    return {
      target: this.target,
      firstInterval: this.firstInterval,
      lastInterval,
      ...figures,
      held: broke === undefined,
      ...(broke === undefined ? {} : { broke }),
    };
  }

  private brokeWhy(f: StepFigures, ok: number): string | undefined {
    const check = this.opts.stepCheck;
    if (check === undefined && f.failed > 0) return `${f.failed} failed`;
    if (this.opts.openLoop) {
      // Against the arrivals the schedule made, not the nominal rate: Poisson arrivals over a few
      // seconds vary by several per cent around it, which is the schedule's noise, not a miss.
      const shortBy = f.arrivals > 0 ? 1 - ok / f.arrivals : 1 - f.achievedTps / this.target;
      if (shortBy > (this.opts.rateShortfall ?? 0.02)) return `rate missed ${(shortBy * 100).toFixed(1)} %`;
    } else {
      if (f.achievedTps === 0) return 'nothing completed';
      // Closed loop: more clients that bring no more throughput only queue (the server is saturated).
      const best = this.bestHeld;
      if (best !== undefined && this.target > best.target && f.achievedTps < best.achievedTps * (1 + (this.opts.flatGain ?? 0.05))) {
        return `throughput flat: ${Math.round(f.achievedTps)} tps vs ${Math.round(best.achievedTps)} at ${best.target} clients`;
      }
    }
    if (check !== undefined) return check(this.judged);
    const factor = this.opts.p99Factor ?? 5;
    if (this.baseP99Ms !== null && f.p99Ms !== null && f.p99Ms > this.baseP99Ms * factor) {
      return `p99 ${f.p99Ms.toFixed(1)} ms > ${factor}× low-load ${this.baseP99Ms.toFixed(1)} ms`;
    }
    return undefined;
  }

  /** The next target, or undefined when the search is over. */
  private next(step: LimitStep): number | undefined {
    if (step.held) {
      if (this.baseP99Ms === null) this.baseP99Ms = step.p99Ms;
      if (this.bestHeld === undefined || step.target > this.bestHeld.target) this.bestHeld = step;
    } else if (this.lowestBroke === undefined || step.target < this.lowestBroke.target) this.lowestBroke = step;
    const held = this.bestHeld;
    const broke = this.lowestBroke;
    if (broke === undefined) {
      const max = this.opts.max;
      if (max !== undefined && step.target >= max) return undefined;
      const doubled = step.target * 2;
      return max === undefined ? doubled : Math.min(doubled, max);
    }
    if (held === undefined) return undefined;
    const gap = broke.target - held.target;
    const done = this.opts.openLoop ? gap <= held.target * (this.opts.precision ?? 0.05) : gap <= 1;
    if (done) return undefined;
    const mid = (held.target + broke.target) / 2;
    return this.opts.openLoop ? Math.round(mid) : Math.floor(mid);
  }

  /** Every judged step so far, in order. */
  result(): { readonly steps: readonly LimitStep[]; readonly outcome: LimitOutcome } {
    const held = this.bestHeld;
    const broke = this.lowestBroke;
    const steps = [...this.steps];
    if (!this.done) return { steps, outcome: { kind: 'unfinished', held, broke } };
    if (broke === undefined) return { steps, outcome: { kind: 'no-break', held } };
    if (held === undefined) return { steps, outcome: { kind: 'first-broke', broke } };
    return { steps, outcome: { kind: 'found', held, broke } };
  }
}
