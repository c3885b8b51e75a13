/**
 * A run started from the page or the API, in this process: the request's config (checked before
 * anything starts: a RequestError names the fields), its target (a throwaway server when it has
 * none), the run as `pgsurge run` runs it (executeRun, the same outputs and result), its events,
 * and its place in the history — begun at once, updated with what it measured every few intervals
 * (so a UI that dies leaves what the run measured), finished with its result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { redactRunConfig } from '../config/run-config.js';
import { PgsurgeError } from '../errors.js';
import { createRunOutputs } from '../output/registry.js';
import { executeRun, readTargets } from '../cli/run-command.js';
import { planWorkloads } from '../cli/plan.js';
import { resolveTarget } from '../cli/target.js';
import { runExitCode } from '../cli/exit-code.js';
import type { CliIO } from '../cli/output.js';
import { redact } from '../config/redact.js';
import { RequestError, resolveRequest } from './run-request.js';
import { LiveRun, type RunSource } from './live-run.js';
import { newRunId, type UiHub } from './hub.js';
import { isOpenLoopConfig, targetLabel, workloadLabel } from './run-labels.js';

/** The history gets the run so far every this many intervals. */
const HISTORY_EVERY_INTERVALS = 10;

/** Lines the run prints (its description, warnings) become its log events, and go to the UI's stderr with the run's id. */
function runIO(id: string, hub: UiHub, env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): CliIO {
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = redact(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (line.trim() === '') continue;
        hub.events.append('log', id, { line });
        stderr.write(`[${id}] ${line}\n`);
      }
      done();
    },
  });
  return { stdout: sink, stderr: sink, env };
}

export interface LaunchOptions {
  readonly source: RunSource;
  /** Start even when another run is going to the same target. */
  readonly concurrent: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** The UI process's stderr (each run's lines, prefixed with its id). */
  readonly stderr: NodeJS.WritableStream;
  /** Workload modules may be uploaded with a run (--allow-module-uploads). */
  readonly modules?: boolean;
}

/** The field of the uploaded file a problem's message names first; else of the uploads sent. */
function uploadNamed(body: unknown, message: string): 'scripts' | 'modules' {
  const b = body as Record<string, unknown>;
  let first: { field: 'scripts' | 'modules'; at: number } | undefined;
  for (const field of ['scripts', 'modules'] as const) {
    const files = Array.isArray(b[field]) ? (b[field] as { name?: unknown }[]) : [];
    for (const f of files) {
      const at = typeof f.name === 'string' ? message.indexOf(f.name) : -1;
      if (at >= 0 && (first === undefined || at < first.at)) first = { field, at };
    }
  }
  return first?.field ?? (Array.isArray(b['scripts']) ? 'scripts' : 'modules');
}

/**
 * Checks the request and starts the run; returns once it is registered (the load starts in the
 * background). Throws RequestError for a bad request, a PgsurgeError (exit-code semantics) when it
 * cannot start.
 */
export async function launchRun(hub: UiHub, body: unknown, opts: LaunchOptions): Promise<LiveRun> {
  // Uploaded scripts and modules live in a directory of the run's own, removed when it ends.
  let scriptDir: string | undefined;
  const removeScripts = (): void => {
    if (scriptDir !== undefined) rmSync(scriptDir, { recursive: true, force: true });
  };
  let cfg;
  try {
    cfg = resolveRequest(
      body,
      (files) => {
        scriptDir ??= mkdtempSync(join(tmpdir(), 'pgsurge-ui-'));
        return files.map((s) => {
          const path = join(scriptDir!, s.name);
          writeFileSync(path, s.text, { mode: 0o600 });
          return path;
        });
      },
      { modules: opts.modules === true },
    );
  } catch (e) {
    removeScripts();
    throw e;
  }
  const target = targetLabel(cfg, opts.env);
  if (!opts.concurrent && target !== 'throwaway server') {
    const busy = hub.runningOn(target);
    if (busy.length > 0)
      throw new PgsurgeError(
        'TARGET_BUSY',
        `run ${busy[0]!.id} is already running against ${target}; stop it first, or ask for a concurrent run (?concurrent=true)`,
      );
  }
  const planned = await planWorkloads(cfg).catch((e: unknown) => {
    removeScripts();
    // A script's problem names it by its uploaded name, not by where it was written.
    if (e instanceof PgsurgeError) {
      const message = scriptDir === undefined ? e.message : e.message.split(`${scriptDir}/`).join('');
      throw new RequestError([{ field: scriptDir === undefined ? 'workloads' : uploadNamed(body, message), message }]);
    }
    throw e;
  });
  const tags = { ...cfg.tags };
  const interrupt = new AbortController();
  const stopNow = new AbortController();
  const workload = workloadLabel(cfg);
  const history = hub.history;
  const id = history?.begin({ id: newRunId(), source: opts.source, startedAt: new Date(), workload, target, tags }) ?? newRunId();
  const io = runIO(id, hub, opts.env, opts.stderr);
  const run = new LiveRun({
    id,
    source: opts.source,
    workload,
    target,
    tags,
    openLoop: isOpenLoopConfig(cfg),
    config: redactRunConfig(cfg),
    events: hub.events,
    stop: (immediate) => (immediate ? stopNow : interrupt).abort('api'),
  });
  hub.add(run);
  const unsubscribe =
    history === undefined
      ? () => false
      : hub.events.subscribe((e) => {
          if (e.run !== id || e.type !== 'interval') return;
          const index = (e.data as { index: number }).index;
          if ((index + 1) % HISTORY_EVERY_INTERVALS !== 0) return;
          const soFar = run.currentResult();
          if (soFar !== undefined) history.update(id, soFar, 'running');
        });
  void (async () => {
    let throwaway: { stop(): Promise<void> } | undefined;
    try {
      const t = await resolveTarget({ url: cfg.url, pgBin: undefined, settings: cfg.serverSettings }, opts.env, (l) => io.stderr.write(`${l}\n`));
      throwaway = t.throwaway;
      const { result, outcome } = await executeRun(cfg, t, io, {
        signal: interrupt.signal,
        stopNow: stopNow.signal,
        outputs: [...createRunOutputs({ observe: cfg.observe, serverMetrics: cfg.serverMetrics }), run.output()],
        control: run.control,
        planned,
        replicaConn: readTargets(cfg, t.conn, opts.env),
        watch: (soFar) => run.watch(soFar),
      });
      unsubscribe();
      history?.update(id, result, result.stop?.reason === 'interrupted' ? 'interrupted' : 'finished');
      run.finish(result, runExitCode(result, outcome));
    } catch (e) {
      unsubscribe();
      const message = e instanceof PgsurgeError ? e.message : e instanceof Error ? redact(e.message) : String(e);
      const soFar = run.currentResult();
      // What it measured before it failed stays in the history; a run that measured nothing leaves none.
      if (soFar !== undefined) history?.update(id, soFar, 'interrupted');
      else history?.delete(id);
      run.fail(message);
    } finally {
      await throwaway?.stop().catch(() => undefined);
      removeScripts();
    }
  })();
  return run;
}
