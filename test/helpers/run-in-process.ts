/**
 * Run a load in this process through executeRun (what `pgsurge run` does), with live outputs of the
 * test's choosing — so outputs can be tested before or apart from the CLI wiring.
 */
import { executeRun, type ExecutedRun } from '../../src/cli/run-command.js';
import { resolveRunConfig, type RunOptionValues } from '../../src/config/run-config.js';
import { parseConnInfo } from '../../src/driver/conninfo.js';
import type { LocalServer } from '../../src/local/server.js';
import type { LiveOutput } from '../../src/output/types.js';
import type { RunControl } from '../../src/engine/run.js';
import { textSink } from './text-sink.js';

const sink = textSink;

/**
 * `server` is treated as pgsurge's own throwaway server: the run creates pgbench's tables in it
 * (at -s, default 1 here) and the outputs see its postmaster pid. The caller stops the server.
 */
export async function runInProcess(
  server: LocalServer,
  raw: RunOptionValues,
  outputs: readonly LiveOutput[],
  control?: RunControl,
): Promise<ExecutedRun & { stderr: string }> {
  const cfg = resolveRunConfig({ workloads: [], scale: '1', progress: '0', ...raw });
  const stderr = sink();
  const run = await executeRun(
    cfg,
    { conn: parseConnInfo(server.url, {}), throwaway: server, description: server.url },
    { stdout: sink(), stderr, env: {} },
    { signal: new AbortController().signal, outputs, ...(control === undefined ? {} : { control }) },
  );
  return { ...run, stderr: stderr.text };
}

/**
 * A live output that only tells when the measured phase starts: a test that provokes something
 * during a run (a lock, a checkpoint) waits for it instead of guessing how long set-up takes on a
 * busy machine.
 */
export function measuredPhase(): { readonly output: LiveOutput; readonly started: Promise<void> } {
  let resolve!: () => void;
  const started = new Promise<void>((r) => (resolve = r));
  return { output: { name: 'measured-phase', start: () => resolve() }, started };
}
