/**
 * --find-limit as a live output: each interval goes to the step controller (search.ts), whose
 * decisions drive the running load through RunControl (a new target, or the end of the run).
 * `section` makes the result's `limit` section from the search and the run's server samples.
 */
import type { RunControl } from '../engine/run.js';
import type { LiveOutput } from '../output/types.js';
import type { LimitSection } from '../report/limit-schema.js';
import type { ServerSample } from '../report/server-schema.js';
import { attributeBound } from './bound.js';
import { limitLine } from './format.js';
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
    /** The run's --thresholds: the client ones judge each step as it ends (the server's are sampled too late for that). */
    readonly thresholds?: readonly Threshold[];
  },
  control: RunControl,
  onStep?: (line: string) => void,
): LimitRun {
  const search = new LimitSearch<IntervalStats>({
    ...opts,
    stepIntervals: Math.round(opts.stepMs / opts.intervalMs),
    ...stepCheckOf(opts.thresholds ?? []),
  });
  const kind: LimitSection['kind'] = opts.openLoop ? 'rate' : 'clients';
  let reported = 0;
  const output: LiveOutput = {
    name: 'find-limit',
    // The closed loop starts below -c: every client is connected, only `start` of them run.
    start: () => control.adjust(search.current),
    interval: (s) => {
      if (search.ended) return;
      const d = search.interval(s);
      const { steps } = search.result();
      for (; reported < steps.length; reported++) {
        const st = steps[reported]!;
        onStep?.(
          `find-limit: ${kind === 'rate' ? `-R ${st.target}` : `${st.target} clients`}: ${Math.round(st.achievedTps)} tps, p99 ${st.p99Ms?.toFixed(1) ?? 'n/a'} ms: ${st.held ? 'held' : `broke (${st.broke})`}`,
        );
      }
      if (d.kind === 'set') control.adjust(d.target);
      else if (d.kind === 'end') control.end();
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

/** The client thresholds as a step's criterion; none given, the search keeps its own rules. */
function stepCheckOf(thresholds: readonly Threshold[]): { stepCheck?: (judged: readonly IntervalStats[]) => string | undefined } {
  const client = thresholds.filter((t) => t.kind === 'summary');
  if (client.length === 0) return {};
  return {
    stepCheck: (judged) => {
      const broken = evaluateThresholds(client, spanSubject(judged.map(spanInterval))).filter((r) => !r.ok);
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
