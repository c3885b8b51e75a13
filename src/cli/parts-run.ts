/**
 * `run ... --parts N [--parts-listen ADDR] [--linger DURATION]`: a coordinator whose parts dial in
 * over HTTP (`run ... --shard K/N --coordinator http://THIS:PORT` on each machine, or the pods of
 * the Indexed Job `pgsurge k8s` prints). It listens, waits for the N parts, and from there does
 * what any coordinator does (src/cli/coordinator-run.ts). The merged result is then served on the
 * same address (`/result.json`, `/report.html`) for --linger, so that a user can fetch it from a
 * pod (`kubectl port-forward`) before the process ends with the run's verdict.
 *
 * The parts bring their own target (their PG* variables, e.g. from a Kubernetes Secret): the
 * coordinator sends them none, and needs no connection to the database itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunConfig } from '../config/run-config.js';
import { listenForParts } from '../distributed/http-parts.js';
import { isLoopbackHost, parseListen } from '../config/listen.js';
import { encodeMessage } from '../distributed/protocol.js';
import { renderHtml } from '../report/html.js';
import { printErr, type CliIO } from './output.js';
import { coordinateParts, type CoordinatorSignals } from './coordinator-run.js';

/** Pods are scheduled, pull their image and install pgsurge before they dial in. */
const PARTS_WAIT_MS = 900_000;

export async function partsRun(cfg: RunConfig, io: CliIO, signals: CoordinatorSignals): Promise<number> {
  const n = cfg.parts ?? 1;
  const token = io.env['PGSURGE_COORDINATOR_TOKEN'];
  const listener = await listenForParts(cfg.partsListen ?? '0.0.0.0:7070', n, {
    token: token === undefined || token === '' ? undefined : token,
    log: (line) => printErr(io, line),
  });
  if ((token === undefined || token === '') && !isLoopbackHost(parseListen(cfg.partsListen ?? '0.0.0.0:7070').host))
    printErr(io, `pgsurge: warning: no PGSURGE_COORDINATOR_TOKEN: whoever reaches ${listener.address} can join the run as one of its parts`);
  try {
    for (const p of listener.peers) p.stdin.write(encodeMessage({ t: 'env', env: {} }));
    printErr(
      io,
      `pgsurge: waiting for ${n} part${n === 1 ? '' : 's'} at http://${listener.address}/ (run --shard K/${n} --coordinator URL)${token === undefined || token === '' ? '' : ', token required'}`,
    );
    const { result, exitCode } = await coordinateParts(cfg, listener.peers, io, signals, { helloTimeoutMs: PARTS_WAIT_MS });
    listener.serveResult({ json: `${JSON.stringify(result, null, 2)}\n`, html: renderHtml(result) });
    const lingerMs = cfg.lingerMs ?? 0;
    if (lingerMs > 0) {
      printErr(io, `pgsurge: the result is at http://${listener.address}/result.json (and /report.html) for ${Math.round(lingerMs / 1000)} s`);
      const linger = new AbortController();
      signals.onLingering?.(() => linger.abort());
      await sleep(lingerMs, undefined, { signal: linger.signal }).catch(() => undefined);
    }
    return exitCode;
  } finally {
    await listener.close();
  }
}
