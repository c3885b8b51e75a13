/**
 * `pgsurge ui`: the web app and REST API (src/ui) — start runs against a throwaway server or a
 * target, watch them, change their load, stop them, compare them with earlier runs from the
 * history. Loopback by default; off loopback every request needs the token (printed once).
 *
 * Ctrl-C (or SIGTERM) stops every running run gracefully and waits for their results (recorded in
 * the history); a second one stops them at once.
 */
import { userInfo } from 'node:os';
import { parseListen } from '../config/listen.js';
import { UiHub } from '../ui/hub.js';
import { launchRun } from '../ui/launch.js';
import { isLoopbackHost, startUiServer } from '../ui/server.js';
import { uiToken } from '../ui/token.js';
import { printErr, registerSecret, type CliIO } from './output.js';
import { DEFAULT_UI_ADDRESS } from './run-ui.js';
import { defaultHistoryPath, openHistory, type HistoryStore } from '../history/store.js';
import type { RunHistory } from '../ui/hub.js';

/**
 * The history as the UI uses it: a write that fails (a disk full, a lock held too long) is one
 * warning line and never stops a run; reads fail as requests do.
 */
function guarded(store: HistoryStore, io: CliIO): RunHistory {
  const warn = (what: string, e: unknown): void => printErr(io, `pgsurge: warning: the run history: ${what}: ${e instanceof Error ? e.message : String(e)}`);
  return {
    begin: (meta) => {
      try {
        return store.begin(meta);
      } catch (e) {
        warn('could not record a new run', e);
        return meta.id ?? '';
      }
    },
    update: (id, result, status) => {
      try {
        store.update(id, result, status);
      } catch (e) {
        warn(`could not record run ${id}`, e);
      }
    },
    markUnfinishedInterrupted: () => store.markUnfinishedInterrupted(),
    list: (filter) => store.list(filter),
    get: (id) => store.get(id),
    delete: (id) => store.delete(id),
  };
}

export interface RawUiOptions {
  readonly listen?: string;
  readonly token?: string;
  /** --history FILE, or false with --no-history. */
  readonly history?: string | boolean;
  /** --allow-module-uploads: runs may bring workload modules (code) of their own. */
  readonly allowModuleUploads?: boolean;
}

export async function uiCommand(opts: RawUiOptions, io: CliIO): Promise<number> {
  const { host, port } = parseListen(opts.listen ?? DEFAULT_UI_ADDRESS, '--listen');
  const token = uiToken(io.env, isLoopbackHost(host), opts.token);
  if (token !== undefined) registerSecret(token);
  // The history: every run started here is recorded as it goes; runs a previous UI left running are interrupted.
  const historyFile = opts.history === false ? undefined : typeof opts.history === 'string' ? opts.history : defaultHistoryPath(io.env);
  const history = historyFile === undefined ? undefined : openHistory(historyFile);
  try {
    const left = history?.markUnfinishedInterrupted() ?? 0;
    if (left > 0)
      printErr(
        io,
        `pgsurge: ${left} run${left === 1 ? '' : 's'} in the history did not finish (their process is gone): marked interrupted, with what they measured`,
      );
    return await serve(history, historyFile, host, port, token, opts, io);
  } finally {
    history?.close();
  }
}

async function serve(
  history: HistoryStore | undefined,
  historyFile: string | undefined,
  host: string,
  port: number,
  token: string | undefined,
  opts: RawUiOptions,
  io: CliIO,
): Promise<number> {
  const modules = opts.allowModuleUploads === true;
  const hub = new UiHub({
    start: (h, body, o) => launchRun(h, body, { ...o, env: io.env, stderr: io.stderr, modules }),
    history: history === undefined ? undefined : guarded(history, io),
    modules,
  });
  const server = await startUiServer(hub, { host, port, token, env: io.env });
  if (historyFile !== undefined) printErr(io, `pgsurge: run history in ${historyFile}`);
  const withToken = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  io.stderr.write(`pgsurge: UI at ${server.url}/${withToken}\n`);
  if (token !== undefined && opts.token === undefined && io.env['PGSURGE_UI_TOKEN'] === undefined)
    printErr(io, 'pgsurge: off loopback every request needs the token above (--token or PGSURGE_UI_TOKEN to choose it)');
  if (modules)
    printErr(
      io,
      `pgsurge: warning: module uploads are on: whoever can ${token === undefined ? 'reach this page' : 'use the token'} can run code on this machine as ${userInfo().username}`,
    );
  let stops = 0;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      stops++;
      const running = hub.live().filter((r) => !r.isOver());
      if (running.length === 0 || stops > 1) {
        if (stops > 1) for (const r of running) r.stop(true);
        resolve();
        return;
      }
      printErr(
        io,
        `\npgsurge: ${sig}: stopping ${running.length} run${running.length === 1 ? '' : 's'}, keeping what they measured (send it again to stop at once)`,
      );
      for (const r of running) r.stop(false);
      void Promise.all(running.map((r) => r.ended)).then(() => resolve());
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  });
  await Promise.all(hub.live().map((r) => r.ended));
  await server.close();
  return 0;
}
