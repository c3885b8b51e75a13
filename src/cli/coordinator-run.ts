/**
 * What every coordinator does once its parts are started, whatever reaches them (SSH sessions,
 * src/cli/fleet-run.ts; HTTP requests from pods or machines, src/cli/parts-run.ts): drive them
 * through the protocol (src/distributed/coordinator.ts), show one merged progress line and serve
 * the merged intervals on `--prometheus`, then merge the parts' results exactly
 * (src/distributed/merge.ts), write them (the merged one, and each part's own next to it with
 * --json), print the summary and judge the whole run.
 */
import type { RunConfig } from '../config/run-config.js';
import { coordinate, type CoordinatedSoFar, type PeerProcess } from '../distributed/coordinator.js';
import { redactRunConfig } from '../config/run-config.js';
import { parseConnInfo } from '../driver/conninfo.js';
import type { ServerSample } from '../report/server-schema.js';
import type { LiveRun } from '../ui/live-run.js';
import { mergeResults } from '../distributed/merge.js';
import { formatProgress } from '../output/progress.js';
import { startPrometheus } from '../output/prometheus.js';
import { buildResult, resultV1Schema, type ResultV1 } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { PgsurgeError } from '../errors.js';
import { writeArtifacts } from './artifacts.js';
import { resultFileOf } from './run-history.js';
import { formatOutputFailure, writeOutputFile } from './output-paths.js';
import { printErr, printOut, type CliIO } from './output.js';
import { TOOL } from './tool.js';
import { resultExitCode } from './exit-code.js';

export interface CoordinatorSignals {
  readonly signal: AbortSignal;
  readonly stopNow: AbortSignal;
  readonly onRunning: () => void;
  readonly onWriting: () => void;
  /** Records the merged result in the run history once its files are written. */
  readonly record?: (result: ResultV1, file: string | undefined) => Promise<void>;
  /** The run is over and written; its result is still served until `stop` is called (a signal). */
  readonly onLingering?: (stop: () => void) => void;
  /** `--ui`: the live page's run, fed the merged intervals and the result so far, then the merged result. */
  readonly live?: LiveRun | undefined;
}

/** out.json → out.part2.json */
const partFile = (file: string, k: number): string => (/\.json$/i.test(file) ? file.replace(/\.json$/i, `.part${k}.json`) : `${file}.part${k}`);

/** Runs the parts to their end; the merged result and the exit code (as `run`'s). */
export async function coordinateParts(
  cfg: RunConfig,
  peers: readonly PeerProcess[],
  io: CliIO,
  signals: CoordinatorSignals,
  opts: { readonly helloTimeoutMs?: number } = {},
): Promise<{ readonly result: ResultV1; readonly exitCode: number }> {
  const n = peers.length;
  const prom = cfg.prometheus === undefined ? undefined : startPrometheus(cfg.prometheus);
  await prom?.open();
  try {
    signals.onRunning();
    const openLoop = cfg.rateHz !== undefined || cfg.stagesAreRates;
    const page = signals.live?.output();
    const outcomes = await coordinate(peers, {
      version: TOOL.version,
      n,
      log: (line) => printErr(io, line),
      signal: signals.signal,
      stopNow: signals.stopNow,
      ...(opts.helloTimeoutMs === undefined ? {} : { helloTimeoutMs: opts.helloTimeoutMs }),
      onMeasuring: (soFar) => {
        page?.start?.(0);
        signals.live?.watch((server) => resultSoFar(cfg, soFar(), server));
      },
      onInterval: (s) => {
        prom?.interval?.(s);
        page?.interval?.(s);
        const missing = s.missingWorkers > 0 ? `, without ${s.missingWorkers} part${s.missingWorkers === 1 ? '' : 's'}` : '';
        printErr(io, `${formatProgress({ ...s, missingWorkers: 0 }, s.tS + s.durationMs / 1000, openLoop)}${missing}`);
      },
    });
    signals.onWriting();
    for (const o of outcomes) if (o.lost !== undefined) printErr(io, `pgsurge: lost ${o.lost}`);
    const parts: { file: string; result: ResultV1 }[] = [];
    for (const o of outcomes) {
      if (o.result === undefined) continue;
      const parsed = resultV1Schema.safeParse(o.result);
      if (!parsed.success) {
        printErr(io, `pgsurge: ${o.peer.name}: its result is not a pgsurge.result/v1 result (${parsed.error.issues[0]?.message ?? 'invalid'})`);
        continue;
      }
      const file = cfg.json === undefined ? o.peer.name : partFile(cfg.json, o.peer.k);
      if (cfg.json !== undefined) {
        const failed = writeOutputFile({ option: '--json', path: file }, () => `${JSON.stringify(parsed.data, null, 2)}\n`);
        if (failed !== undefined) printErr(io, `pgsurge: ${formatOutputFailure(failed)}`);
      }
      parts.push({ file, result: parsed.data });
    }
    if (parts.length === 0) throw new PgsurgeError('FLEET_FAILED', 'no part of the run sent its result: nothing was measured');
    const result = mergeResults(parts, { allowPartial: true });
    const written = writeArtifacts(result, cfg, cfg.out, cfg.html);
    printOut(io, formatSummary(result, { perStatement: cfg.perStatement }));
    for (const f of written.failures) printErr(io, `pgsurge: ${formatOutputFailure(f)}`);
    await signals.record?.(result, resultFileOf(cfg.json, written.outDir));
    const exitCode = written.failures.length > 0 ? 1 : resultExitCode(result);
    signals.live?.finish(result, exitCode);
    return { result, exitCode };
  } finally {
    await prom?.stop();
  }
}

/**
 * The run so far as one result, from the merged intervals: what the live page shows until the parts'
 * results are merged. The target is as the options name it (the parts connect; the coordinator
 * does not), and the thresholds are judged on the merged figures so far.
 */
function resultSoFar(cfg: RunConfig, so: CoordinatedSoFar, server: readonly ServerSample[]): ResultV1 {
  const conn = cfg.url === undefined ? undefined : parseConnInfo(cfg.url, {});
  return buildResult({
    tool: TOOL,
    startedAt: so.startedAt,
    durationS: so.durationS,
    target: {
      serverVersion: null,
      hosts: conn === undefined ? [] : conn.hosts.map((h) => `${h.host}:${h.port}`),
      ...(conn === undefined ? {} : { database: conn.database, user: conn.user }),
    },
    config: redactRunConfig(cfg),
    totals: so.totals,
    intervals: so.intervals,
    thresholds: cfg.thresholds,
    server,
  });
}
