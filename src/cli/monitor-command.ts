/**
 * `pgsurge monitor [URL]`: a run's server sampling with no load, for watching a server while
 * something else drives it. The same observer (src/observe/server-observer.ts) on the same interval
 * grid, the same findings, live `/metrics` and node_exporter figures, and a result file of the same
 * schema with `kind: "monitor"` and no client intervals (so no --csv: its rows are client intervals).
 *
 * Options are run's own entries of the option table (MONITOR_OPTION_NAMES in run-options.ts),
 * resolved by run's resolveRunConfig, so they parse and fail with run's words; only what a monitor
 * means differently is decided here: without -T it samples until a signal, it never starts a
 * throwaway server (nothing would drive it), and it never touches the workload's tables.
 *
 * Exit codes as run's: 0 done; 1 could not connect at the start, interrupted, no sample of any host
 * succeeded, or an output could not be written; 2 bad usage.
 */
import { resolveRunConfig, redactRunConfig, type RunConfig } from '../config/run-config.js';
import type { MonitorOptionValues } from '../config/run-options.js';
import { checkTargetScheme, hasEnvironmentTarget } from '../driver/conninfo.js';
import { samplingDeadline } from '../driver/admin-client.js';
import { nowUs } from '../engine/clock.js';
import { unreachable, usageError } from '../errors.js';
import { Aggregator, type IntervalStats } from '../metrics/aggregator.js';
import { createServerObserver } from '../observe/server-observer.js';
import { progressEveryMs } from '../output/progress.js';
import { startPrometheus } from '../output/prometheus.js';
import { openRunOutputs } from '../output/run-outputs.js';
import type { LiveOutput, RunContext } from '../output/types.js';
import { buildResult, type ResultV1, type RunStop, type ServerSample } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { runOutputRequests, writeArtifacts } from './artifacts.js';
import { stopOutputsWithin } from './executed-run.js';
import { checkOutputPaths, formatOutputFailure } from './output-paths.js';
import { printErr, printOut, type CliIO } from './output.js';
import { observeServers, readTargets } from './run-command.js';
import { connectFirstHost, urlTarget } from './target.js';
import { TOOL } from './tool.js';

/** What the outputs may take beyond the observer's own bound (one sampling deadline) to stop; as run's. */
const OUTPUTS_STOP_SLACK_MS = 5_000;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** The config fields a monitor uses, echoed (redacted, as a run's) into its result. */
const MONITOR_CONFIG_FIELDS = [
  'url',
  'durationMs',
  'intervalMs',
  'progressMs',
  'replicas',
  'observeServers',
  'serverMetrics',
  'prometheus',
  'json',
  'html',
] as const;

/** An interval of the grid with no client figures: what the observer is handed for each one sampled. */
function emptyInterval(index: number, intervalMs: number): IntervalStats {
  return {
    index,
    tS: (index * intervalMs) / 1000,
    durationMs: intervalMs,
    reports: 0,
    arrivals: 0,
    ok: 0,
    failed: 0,
    errors: [],
    retried: 0,
    retries: 0,
    skipped: 0,
    dropped: 0,
    unfinished: 0,
    missingWorkers: 0,
    tps: 0,
    latencyMs: { mean: null, p50: null, p90: null, p95: null, p99: null, max: null },
    lagMs: { p50: null, p99: null, max: null },
    types: [],
  };
}

/** Intervals of the grid that the sampled span covers (the last one may be partial); at least one. */
export function intervalsCovered(elapsedMs: number, intervalMs: number): number {
  // A boundary reached within a millisecond is not a new interval (timers fire a little late).
  return Math.max(1, Math.ceil((elapsedMs - 1) / intervalMs));
}

/** One progress line per sample: each host's commits/s, connections and cache hit ratio, or why it has no sample. */
export function formatMonitorProgress(s: ServerSample): string {
  const hosts = s.hosts.map((h) => {
    if (!h.ok) return `${h.host} no sample (${h.error ?? 'failed'})`;
    const parts = [
      `${h.commitsPerS === null ? '-' : h.commitsPerS.toFixed(1)} commits/s`,
      h.connections === null ? undefined : `${h.connections.total} connections (${h.connections.active} active)`,
      h.cacheHitRatio === null ? undefined : `cache hit ${(h.cacheHitRatio * 100).toFixed(2)} %`,
    ];
    return `${h.host} ${parts.filter((p) => p !== undefined).join(', ')}`;
  });
  return `monitor: ${(s.tS + s.durationS).toFixed(1)} s, ${hosts.join('; ')}`;
}

function monitorConfig(cfg: RunConfig, durationMs: number | undefined): Record<string, unknown> {
  const full = redactRunConfig(cfg);
  const out: Record<string, unknown> = {};
  for (const k of MONITOR_CONFIG_FIELDS) if (full[k] !== undefined) out[k] = full[k];
  // Without -T a monitor samples until a signal (run's default of 10 s does not apply).
  out['durationMs'] = durationMs ?? null;
  return out;
}

/** Resolve the options with run's rules; the URL may be given as the argument or with --url (not both). */
function resolveMonitorConfig(url: string | undefined, values: MonitorOptionValues, env: NodeJS.ProcessEnv): RunConfig {
  if (url !== undefined) {
    if (values.url !== undefined) throw usageError('BAD_OPTIONS', 'monitor: give the server once, as the URL argument or with --url, not both');
    checkTargetScheme(url, 'monitor URL');
  }
  const cfg = resolveRunConfig({ ...values, ...(url === undefined ? {} : { url }) });
  if (cfg.url === undefined && !hasEnvironmentTarget(env)) {
    throw usageError(
      'NO_TARGET',
      'monitor needs a server to watch: give its URL (pgsurge monitor postgres://user@host/db), --url, or the PG* environment; it starts no throwaway server, as nothing would drive one',
    );
  }
  return cfg;
}

export async function monitorCommand(url: string | undefined, values: MonitorOptionValues, io: CliIO): Promise<number> {
  const cfg = resolveMonitorConfig(url, values, io.env);
  const durationMs = values.time === undefined ? undefined : cfg.durationMs;
  // Every output path is checked before anything starts (exit 2), as a run's.
  checkOutputPaths(runOutputRequests({ json: cfg.json, csv: undefined, html: cfg.html, out: undefined }));
  const target = urlTarget(cfg.url, io.env);
  const replicaConn = readTargets(cfg, target.conn, io.env);

  // Phases for signals, as a run's: before sampling starts nothing was measured (exit 1 at once);
  // while it samples the first signal ends it and a second cuts the wait for the last samples;
  // while the files are written a signal must not cut that short.
  const interrupt = new AbortController();
  const stopNow = new AbortController();
  let phase: 'setup' | 'running' | 'writing' = 'setup';
  const onSignal = (sig: StopSignal): void => {
    if (sig === 'SIGHUP') {
      // The terminal is gone: a failed write to it must not end the process before the files are written.
      io.stdout.on('error', () => undefined);
      io.stderr.on('error', () => undefined);
    }
    switch (phase) {
      case 'running':
        if (!interrupt.signal.aborted) {
          printErr(io, `\npgsurge: interrupted by ${sig}: stopping, what was sampled will be reported (send it again to stop at once)`);
          interrupt.abort(sig);
        } else if (!stopNow.signal.aborted) {
          printErr(io, `\npgsurge: ${sig} again: stopping at once; writing what was sampled so far`);
          stopNow.abort(sig);
        }
        return;
      case 'writing':
        printErr(io, `\npgsurge: ${sig}: the results are being written; stopping after that`);
        return;
      case 'setup':
        printErr(io, `\npgsurge: interrupted by ${sig} before monitoring started`);
        process.exit(1);
        return;
      default:
        unreachable(phase);
    }
  };
  const handlers = STOP_SIGNALS.map((sig) => [sig, (): void => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  try {
    // A server that is down at the start is one line and exit 1, as for a run (CONNECT_FAILED).
    const { client, host } = await connectFirstHost(target.conn);
    let serverVersion: string | null = null;
    try {
      const rows = (await client.query('show server_version')).rows as { server_version?: string }[];
      serverVersion = rows[0]?.server_version ?? null;
    } finally {
      await client.end().catch(() => undefined);
    }

    const everyMs = progressEveryMs(cfg.progressMs, cfg.intervalMs, io.stderr.isTTY === true);
    const everyN = everyMs === undefined ? 0 : Math.max(1, Math.round(everyMs / cfg.intervalMs));
    let sampled = 0;
    const prometheus = cfg.prometheus === undefined ? undefined : startPrometheus(cfg.prometheus);
    const observer = createServerObserver({
      serverMetrics: cfg.serverMetrics,
      onFacts: (f) => prometheus?.observeFacts(f),
      onSample: (s) => {
        prometheus?.observeServer(s);
        sampled += 1;
        if (everyN > 0 && sampled % everyN === 0) printErr(io, formatMonitorProgress(s));
      },
    });
    const ctx: RunContext = {
      conn: target.conn,
      host,
      layout: { txnTypes: [] },
      intervalMs: cfg.intervalMs,
      localServer: undefined,
      replicaConn,
      observeServers: observeServers(cfg.observeServers, io.env),
      warn: (line) => printErr(io, `pgsurge: warning: ${line}`),
    };
    const live: LiveOutput[] = prometheus === undefined ? [observer] : [observer, prometheus];
    const outputs = await openRunOutputs(live, ctx);
    try {
      const forHow = durationMs === undefined ? 'until Ctrl-C' : `for ${durationMs / 1000} s`;
      const listening = prometheus?.address();
      printErr(
        io,
        `pgsurge: monitoring ${target.description} (PostgreSQL ${serverVersion ?? '?'}) ${forHow}, every ${cfg.intervalMs / 1000} s; no load is run` +
          (listening === undefined ? '' : `; metrics at http://${listening}/metrics`),
      );
      const startedAt = new Date();
      const startUs = nowUs();
      phase = 'running';
      outputs.start(startUs);
      const ended = await new Promise<'duration' | 'interrupted'>((resolve) => {
        const timer = durationMs === undefined ? undefined : setTimeout(() => resolve('duration'), durationMs);
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve('interrupted');
        };
        if (interrupt.signal.aborted) onAbort();
        else interrupt.signal.addEventListener('abort', onAbort, { once: true });
      });
      const elapsedMs = ended === 'duration' && durationMs !== undefined ? durationMs : (nowUs() - startUs) / 1000;
      const intervals = Array.from({ length: intervalsCovered(elapsedMs, cfg.intervalMs) }, (_, k) => emptyInterval(k, cfg.intervalMs));
      const stopped = await stopOutputsWithin(outputs, { intervals }, samplingDeadline(cfg.intervalMs).ms + OUTPUTS_STOP_SLACK_MS, stopNow.signal);
      phase = 'writing';
      if (stopped === undefined) {
        const why = stopNow.signal.aborted ? 'a second signal' : 'it did not stop in time';
        printErr(io, `pgsurge: stopped waiting for the server sampling (${why}): the result has no server figures`);
      }
      const { server: samples, ...observed } = stopped ?? {};
      const by: unknown = interrupt.signal.reason;
      const sig = ended === 'interrupted' && STOP_SIGNALS.some((s) => s === by) ? (by as StopSignal) : undefined;
      const stop: RunStop =
        ended === 'duration'
          ? { reason: 'duration' }
          : {
              reason: 'interrupted',
              ...(sig === undefined ? {} : { signal: sig }),
              ...(stopNow.signal.aborted ? { immediate: true } : {}),
              message: `interrupted${sig === undefined ? '' : ` by ${sig}`}${stopNow.signal.aborted ? ', stopped at once by a second signal' : ''}`,
            };
      const result: ResultV1 = {
        ...buildResult({
          tool: TOOL,
          startedAt,
          durationS: Math.round(elapsedMs) / 1000,
          target: {
            serverVersion,
            hosts: target.conn.hosts.map((h) => `${h.host}:${h.port}`),
            database: target.conn.database,
            user: target.conn.user,
            throwaway: false,
          },
          config: monitorConfig(cfg, durationMs),
          // No load: empty totals, no client intervals; the timeline is `server`.
          totals: new Aggregator({ txnTypes: [] }, { workers: 1, intervalMs: cfg.intervalMs }).totals(),
          intervals: [],
          server: samples ?? [],
          sections: { ...observed, stop },
        }),
        kind: 'monitor',
      };
      // The files first: they are what a closed terminal or a full disk must not cost.
      const written = writeArtifacts(result, cfg, undefined, cfg.html);
      printOut(io, formatSummary(result));
      for (const f of written.failures) printErr(io, `pgsurge: ${formatOutputFailure(f)}`);
      if (written.failures.length > 0) {
        printErr(io, 'pgsurge: every other output was written; the summary above has the figures');
        return 1;
      }
      if (ended === 'interrupted' || stopped === undefined) return 1;
      if (!result.server.some((s) => s.hosts.some((h) => h.ok))) {
        printErr(io, `pgsurge: no sample of ${target.description} succeeded (see the findings above)`);
        return 1;
      }
      return 0;
    } finally {
      // Outputs still open here are stopped because the monitor failed.
      await outputs.abort();
    }
  } finally {
    phase = 'writing';
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
