/**
 * --find-limit as a live output: each interval goes to the step controller (search.ts), whose
 * decisions drive the running load through RunControl (a new target, or the end of the run).
 * `section` makes the result's `limit` section from the search and the run's server samples.
 *
 * The run's thresholds judge each step as it ends, the server's included: the observer's sample
 * of an interval comes in shortly after the interval's own figures, so with server thresholds the
 * interval that ends a step waits for its sample — until the sample comes, or at most until the
 * next interval does (the step is then judged on the samples it has). The load holds its target
 * meanwhile, in the next step's first interval, which is never judged. A server figure with no
 * value in a step (not sampled) does not break the step; the end of the run judges it as usual.
 */
import type { RunControl } from '../engine/run.js';
import type { LiveOutput } from '../output/types.js';
import type { LimitSection } from '../report/limit-schema.js';
import type { ServerSample } from '../report/server-schema.js';
import { attributeBound } from './bound.js';
import { formatTarget, limitLine } from './format.js';
import { LimitSearch, type LimitOptions } from './search.js';
import type { IntervalStats } from '../metrics/aggregator.js';
import { evaluateThresholds, type Threshold } from '../metrics/thresholds.js';
import { errorsOf } from '../report/result.js';
import { spanSubject, type SpanInterval } from '../report/span-subject.js';

export interface LimitRun {
  readonly output: LiveOutput;
  /** The result's section, once the run ended. */
  section(samples: readonly ServerSample[]): LimitSection;
}

export function createLimitRun(
  opts: Omit<LimitOptions, 'stepIntervals' | 'stepCheck'> & {
    readonly stepMs: number;
    readonly intervalMs: number;
    readonly clients: number;
    /** The run's --thresholds: they judge each step as it ends. */
    readonly thresholds?: readonly Threshold[];
  },
  control: RunControl,
  onStep?: (line: string) => void,
): LimitRun {
  // The server samples so far, for the steps' server thresholds.
  const samples: ServerSample[] = [];
  const thresholds = opts.thresholds ?? [];
  const waitsForServer = thresholds.some((t) => t.kind === 'server');
  const search = new LimitSearch<IntervalStats>({
    ...opts,
    stepIntervals: Math.round(opts.stepMs / opts.intervalMs),
    ...stepCheckOf(thresholds, samples),
  });
  const kind: LimitSection['kind'] = opts.openLoop ? 'rate' : 'clients';
  let reported = 0;
  /** The interval that ends a step, waiting for its server sample. */
  let waiting: IntervalStats | undefined;
  const sampled = (s: IntervalStats): boolean => (samples.at(-1)?.tS ?? -1) >= s.tS - 1e-9;
  /** Judge what was held back; `steer` false once the run is over (nothing left to drive). */
  const release = (steer = true): void => {
    const s = waiting;
    waiting = undefined;
    if (s !== undefined) feed(s, steer);
  };
  const feed = (s: IntervalStats, steer = true): void => {
    if (search.ended) return;
    const d = search.interval(s);
    const { steps } = search.result();
    for (; reported < steps.length; reported++) {
      const st = steps[reported]!;
      onStep?.(
        `find-limit: ${formatTarget(kind, st.target)}: ${Math.round(st.achievedTps)} tps, p99 ${st.p99Ms?.toFixed(1) ?? 'n/a'} ms: ${st.held ? 'held' : `broke (${st.broke})`}`,
      );
    }
    if (!steer) return;
    if (d.kind === 'set') control.adjust(d.target);
    else if (d.kind === 'end') control.end();
  };
  const output: LiveOutput = {
    name: 'find-limit',
    // The closed loop starts below -c: every client is connected, only `start` of them run.
    start: () => control.adjust(search.current),
    interval: (s) => {
      release();
      if (search.ended) return;
      if (waitsForServer && search.completesStep(s.index) && !sampled(s)) waiting = s;
      else feed(s);
    },
    server: (sample) => {
      samples.push(sample);
      if (waiting !== undefined && sampled(waiting)) release();
    },
    stop: () => {
      release(false);
      return Promise.resolve(undefined);
    },
  };
  return {
    output,
    section(samples) {
      const { steps, outcome } = search.result();
      const broke = outcome.kind === 'found' || outcome.kind === 'first-broke' ? outcome.broke : outcome.kind === 'unfinished' ? outcome.broke : undefined;
      const held = outcome.kind === 'first-broke' ? undefined : outcome.held;
      const bound = broke === undefined ? undefined : attributeBound(broke, samples, opts.intervalMs, kind === 'clients' ? broke.target : opts.clients);
      return {
        kind,
        outcome: outcome.kind,
        stepS: opts.stepMs / 1000,
        steps: [...steps],
        ...(held === undefined ? {} : { held }),
        ...(broke === undefined ? {} : { broke }),
        ...(bound === undefined ? {} : { bound }),
        line: limitLine(kind, outcome, bound),
      };
    },
  };
}

/**
 * The run's thresholds as a step's criterion; none given, the search keeps its own rules. Server
 * thresholds read the samples of the step's judged intervals. A figure a step has no value of (a
 * server figure not sampled; p999 and min, which intervals do not keep) does not break the step:
 * the run's end judges it on the step that held, and says n/a there.
 */
function stepCheckOf(
  thresholds: readonly Threshold[],
  samples: readonly ServerSample[],
): { stepCheck?: (judged: readonly IntervalStats[]) => string | undefined } {
  if (thresholds.length === 0) return {};
  const server = thresholds.some((t) => t.kind === 'server');
  return {
    stepCheck: (judged) => {
      const subject = spanSubject(judged.map(spanInterval), server ? samples : undefined);
      const broken = evaluateThresholds(thresholds, subject).filter((r) => !r.ok && r.actual !== 'n/a');
      return broken.length === 0 ? undefined : broken.map((r) => `${r.expr} (actual ${r.actual})`).join('; ');
    },
  };
}

function spanInterval(s: IntervalStats): SpanInterval {
  return {
    tS: s.tS,
    durationS: s.durationMs / 1000,
    transactions: s.ok,
    failed: s.failed,
    errors: errorsOf(s.errors),
    skipped: s.skipped,
    dropped: s.dropped,
    latencyMs: s.latencyMs,
    lagMs: s.lagMs,
  };
}
