/**
 * `pgsurge run --ui [ADDR]`: this run's live page, served while it runs — the same page and API as
 * `pgsurge ui`, with this one run and no way to start others. Its address is taken before the load
 * (a port in use fails the run with exit 2 before anything starts). The page's Stop is the first
 * Ctrl-C (graceful), its load changes go through the run's control; at the end the page shows the
 * final report and the server closes.
 */
import type { RunConfig } from '../config/run-config.js';
import { parseListen } from '../config/listen.js';
import { UiHub, newRunId } from '../ui/hub.js';
import { LiveRun } from '../ui/live-run.js';
import { isOpenLoopConfig, targetLabel, workloadLabel } from '../ui/run-labels.js';
import { isLoopbackHost, startUiServer } from '../ui/server.js';
import { uiToken } from '../ui/token.js';
import { redactRunConfig } from '../config/run-config.js';
import { printErr, registerSecret, type CliIO } from './output.js';

export const DEFAULT_UI_ADDRESS = '127.0.0.1:8432';

export interface RunUi {
  readonly run: LiveRun;
  /** After the result: the page gets the final view, then the server closes. */
  close(): Promise<void>;
}

/** A coordinator's parts run elsewhere, with their share fixed at the start: the page cannot change their load. */
const COORDINATED_LOAD = "a coordinated run's load is split among its parts when it starts and cannot be changed while it runs";

export async function openRunUi(cfg: RunConfig, io: CliIO, stop: (immediate: boolean) => void): Promise<RunUi> {
  const { host, port } = parseListen(cfg.ui === true || cfg.ui === undefined ? DEFAULT_UI_ADDRESS : cfg.ui, '--ui');
  const token = uiToken(io.env, isLoopbackHost(host));
  if (token !== undefined) registerSecret(token);
  const hub = new UiHub({});
  const run = new LiveRun({
    id: newRunId(),
    source: 'cli',
    workload: workloadLabel(cfg),
    target: targetLabel(cfg, io.env),
    tags: { ...cfg.tags },
    openLoop: isOpenLoopConfig(cfg),
    config: redactRunConfig(cfg),
    events: hub.events,
    stop,
    ...(cfg.fleet !== undefined || cfg.parts !== undefined ? { fixedLoad: COORDINATED_LOAD } : {}),
  });
  hub.add(run);
  const server = await startUiServer(hub, { host, port, token, env: io.env });
  // The token is printed once, here: the one place a user can read it from (it is redacted elsewhere).
  const withToken = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  io.stderr.write(`pgsurge: live page at ${server.url}/${withToken}#/runs/${run.id}\n`);
  if (token !== undefined && io.env['PGSURGE_UI_TOKEN'] === undefined)
    printErr(io, 'pgsurge: the page is off loopback: it needs the token above (set PGSURGE_UI_TOKEN to choose it)');
  return { run, close: () => server.close() };
}
