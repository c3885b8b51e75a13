/**
 * One run the UI shows while it runs: started from the page or the API (src/ui/launch.ts) or by
 * `pgsurge run --ui`. It turns the run's merged intervals and server samples into events (one
 * interval = one event, on the main thread where they are merged already: the workers pay nothing),
 * changes its load (RunControl) and stops it, and renders its view — the HTML report's own view,
 * of the result so far while it runs and of the result at its end.
 */
import { RunControl, type TargetChange } from '../engine/run.js';
import type { IntervalStats } from '../metrics/aggregator.js';
import { FAILURE_CLASSES } from '../metrics/types.js';
import type { LiveOutput } from '../output/types.js';
import { diagnose } from '../observe/diagnosis.js';
import type { ResultV1 } from '../report/result.js';
import type { Finding, ServerSample } from '../report/server-schema.js';
import { reportView } from '../report/html.js';
import type { PageInput } from '../report/html-page.js';
import type { EventLog } from './events.js';
import { CompactLog } from '../util/compact-log.js';

export type RunState = 'starting' | 'running' | 'finished' | 'interrupted' | 'failed';
export type RunSource = 'cli' | 'ui' | 'api';

/** What the list and the API show of a run. */
export interface RunInfo {
  readonly id: string;
  readonly source: RunSource;
  readonly state: RunState;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly workload: string;
  readonly target: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Open loop: the load is a rate (adjust sets arrivals/s); closed: a number of clients. */
  readonly loadKind: 'rate' | 'clients';
  /** Whether its load can be changed while it runs. */
  readonly adjustable: boolean;
  readonly elapsedS: number | null;
  readonly tps: number | null;
  readonly p99Ms: number | null;
  readonly failed: number;
  readonly passed: boolean | null;
  readonly exitCode: number | null;
  readonly error: string | null;
  /** The redacted configuration, as the result will echo it. */
  readonly config: Readonly<Record<string, unknown>>;
}

export interface LiveRunInit {
  readonly id: string;
  readonly source: RunSource;
  readonly workload: string;
  readonly target: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly openLoop: boolean;
  readonly config: Readonly<Record<string, unknown>>;
  readonly events: EventLog;
  /** Ends the run gracefully (immediate: at once, like a second Ctrl-C). */
  readonly stop: (immediate: boolean) => void;
  /** Why this run's load cannot be changed from the page (a coordinator's parts run elsewhere); absent when it can. */
  readonly fixedLoad?: string;
}

/** Rendering the view or diagnosing the run so far waits for this many times its last cost: at most a tenth of the main thread. */
const RENDER_SHARE_INVERSE = 10;

export class LiveRun {
  readonly id: string;
  readonly source: RunSource;
  readonly control = new RunControl();
  readonly createdAt = new Date();
  private state: RunState = 'starting';
  private result: ResultV1 | undefined;
  private exitCode: number | null = null;
  private error: string | null = null;
  private soFar: ((server: readonly ServerSample[]) => ResultV1 | undefined) | undefined;
  /** The server samples so far, kept compactly: a page or the diagnosis reads them now and then, a run may last hours. */
  private readonly samples = new CompactLog<ServerSample>();
  private readonly findingKeys = new Set<string>();
  private lastInterval: IntervalStats | undefined;
  private cached: { key: string; view: PageInput; at: number; costMs: number } | undefined;
  private findingsAt = { at: -Infinity, costMs: 0 };
  private stopRequested = false;
  /** Called when the run ends (finished, interrupted or failed). */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(private readonly init: LiveRunInit) {
    this.id = init.id;
    this.source = init.source;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.emit('run', { state: this.state, info: this.info() });
  }

  /** The live output the run feeds (the engine calls it on the main thread). */
  output(): LiveOutput {
    return {
      name: 'live-page',
      start: () => {
        this.state = 'running';
        this.emit('run', { state: this.state });
      },
      interval: (s) => this.onInterval(s),
      server: (sample) => {
        this.samples.push(sample);
        this.emit('server', sample);
      },
    };
  }

  /** executeRun's `watch`: how to build the result so far. */
  watch(soFar: (server: readonly ServerSample[]) => ResultV1 | undefined): void {
    this.soFar = soFar;
  }

  /** Why the load of this run cannot be changed, or undefined when it can. */
  get fixedLoad(): string | undefined {
    return this.init.fixedLoad;
  }

  /** A new target from now on: arrivals per second (open loop) or active clients (closed). */
  adjust(target: number, group?: string): TargetChange | undefined {
    if (this.state !== 'running') return undefined;
    this.control.adjust(target, group);
    const changes = this.control.soFar()?.targetChanges ?? [];
    const last = changes[changes.length - 1];
    if (last !== undefined) this.emit('stage', last);
    return last;
  }

  stop(immediate: boolean): boolean {
    if (this.isOver()) return false;
    if (this.stopRequested && !immediate) return true;
    this.stopRequested = true;
    this.emit('log', { line: immediate ? 'stopping at once (requested)' : 'stopping (requested): in-flight transactions finish, the results are kept' });
    this.init.stop(immediate);
    return true;
  }

  /** The run ended with a result (interrupted when a stop ended it early). */
  finish(result: ResultV1, exitCode: number): void {
    this.result = result;
    this.exitCode = exitCode;
    this.state = result.stop?.reason === 'interrupted' ? 'interrupted' : 'finished';
    this.cached = undefined;
    this.emit('end', { state: this.state, exitCode, verdict: result.verdict ?? null, view: this.view() });
    this.resolveEnded();
  }

  /** The run ended without a result (it could not start, or failed): the reason, one line. */
  fail(message: string): void {
    this.state = 'failed';
    this.error = message;
    this.emit('end', { state: this.state, error: message });
    this.resolveEnded();
  }

  isOver(): boolean {
    return this.state === 'finished' || this.state === 'interrupted' || this.state === 'failed';
  }

  get currentState(): RunState {
    return this.state;
  }

  /** The final result, or the result so far while it runs (undefined before the measured phase). */
  currentResult(): ResultV1 | undefined {
    if (this.result !== undefined) return this.result;
    const samples = this.samples.toArray();
    const r = this.soFar?.(samples);
    if (r === undefined) return undefined;
    const findings = this.findingsOf(r, samples);
    return findings.length > 0 ? { ...r, findings } : r;
  }

  /**
   * The report's view of the result so far or at its end: one render per interval however many
   * pages ask, and while the run goes on at most a tenth of the main thread's time (an hour of
   * intervals takes ~0.4 s to render: bench/live-view.ts), so a newer interval may get the last view.
   */
  view(): PageInput | undefined {
    const key = `${this.state}:${this.lastInterval?.index ?? -1}:${this.samples.length}`;
    const c = this.cached;
    if (c !== undefined && (c.key === key || (!this.isOver() && performance.now() - c.at < RENDER_SHARE_INVERSE * c.costMs))) return c.view;
    const t0 = performance.now();
    const r = this.currentResult();
    if (r === undefined) return undefined;
    const view = reportView(r, { running: !this.isOver() });
    const at = performance.now();
    this.cached = { key, view, at, costMs: at - t0 };
    return view;
  }

  info(): RunInfo {
    const r = this.result;
    const last = this.lastInterval;
    return {
      id: this.id,
      source: this.source,
      state: this.state,
      createdAt: this.createdAt.toISOString(),
      startedAt: r?.startedAt ?? null,
      workload: this.init.workload,
      target: this.init.target,
      tags: this.init.tags,
      loadKind: this.init.openLoop ? 'rate' : 'clients',
      adjustable: this.init.fixedLoad === undefined,
      elapsedS: r?.durationS ?? (last === undefined ? null : last.tS),
      tps: r?.summary.tps ?? last?.tps ?? null,
      p99Ms: r?.summary.latencyMs.p99 ?? last?.latencyMs.p99 ?? null,
      failed: r?.summary.failed ?? 0,
      passed: r?.verdict?.passed ?? null,
      exitCode: this.exitCode,
      error: this.error,
      config: this.init.config,
    };
  }

  private onInterval(s: IntervalStats): void {
    this.lastInterval = s;
    const errors: Record<string, number> = {};
    s.errors.forEach((n, i) => {
      if (n > 0) errors[FAILURE_CLASSES[i]!] = n;
    });
    this.emit('interval', {
      index: s.index,
      tS: s.tS,
      tps: s.tps,
      transactions: s.ok,
      failed: s.failed,
      errors,
      arrivals: s.arrivals,
      latencyMs: s.latencyMs,
      lagMs: s.lagMs,
      types: s.types.map((t) => ({ name: t.name, tps: t.tps, failed: t.failed, latencyMs: t.latencyMs })),
    });
    // Diagnosis reads the whole run so far: as the run grows it runs less often, within the same share.
    const now = performance.now();
    if (now - this.findingsAt.at >= RENDER_SHARE_INVERSE * this.findingsAt.costMs) {
      const samples = this.samples.toArray();
      const r = this.soFar?.(samples);
      if (r !== undefined) this.findingsOf(r, samples);
      this.findingsAt = { at: now, costMs: performance.now() - now };
    }
  }

  /** Diagnosis of the run so far; each finding not seen before is an event. */
  private findingsOf(r: ResultV1, samples: readonly ServerSample[]): Finding[] {
    const findings = diagnose({ intervals: r.intervals, server: samples, facts: { start: { hosts: [] } } });
    for (const f of findings) {
      const key = f.rule;
      if (this.findingKeys.has(key)) continue;
      this.findingKeys.add(key);
      this.emit('finding', f);
    }
    return findings;
  }

  private emit(type: Parameters<EventLog['append']>[0], data: unknown): void {
    this.init.events.append(type, this.id, data);
  }
}
