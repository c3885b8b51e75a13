/**
 * `run ... --fleet HOSTS`: the coordinator of a run whose parts run on other machines, started
 * over the system's OpenSSH client (the user's ssh config, agent, known_hosts and jump hosts
 * apply; `--ssh-option` adds -o options). Each part is `REMOTE-COMMAND run <the same options>
 * --shard K/N --coordinated`, speaking src/distributed/protocol.ts over the session; from there on
 * it is any coordinator's work (src/cli/coordinator-run.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { RunConfig } from '../config/run-config.js';
import { RUN_OPTIONS, optionKey, type RunOptionSpec, type RunOptionValues } from '../config/run-options.js';
import type { FleetHost } from '../config/fleet.js';
import type { PeerProcess } from '../distributed/coordinator.js';
import { withoutPassword } from '../driver/conninfo.js';
import { refuseListedPasswords } from './url-passwords.js';
import { encodeMessage } from '../distributed/protocol.js';
import { printErr, type CliIO } from './output.js';
import { coordinateParts, type CoordinatorSignals } from './coordinator-run.js';
import { shellQuote } from './fleet-quote.js';
import { fleetInputs, remoteSpec } from './fleet-inputs.js';

/** Options that stay with the coordinator: where its outputs go, how the parts are started. */
const COORDINATOR_ONLY = new Set([
  'fleet',
  'shardsPerHost',
  'sshOption',
  'remoteCommand',
  'parts',
  'partsListen',
  'linger',
  'coordinator',
  'json',
  'csv',
  'html',
  'out',
  'history',
  'prometheus',
  'verbose',
  'progress',
]);

export { shellQuote } from './fleet-quote.js';

/** The `run` arguments every part of a run shares: the user's options as given, the coordinator's own left out. */
export function runArgs(values: RunOptionValues, seed: number): string[] {
  const args: string[] = [...(values.workloads ?? [])];
  const all = values as unknown as Record<string, unknown>;
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) {
    const key = optionKey(o.long);
    const v = all[key];
    if (v === undefined || COORDINATOR_ONLY.has(key)) continue;
    if (o.kind === 'flag') {
      if (o.long.startsWith('no-') ? v === false : v === true) args.push(`--${o.long}`);
    } else if (o.kind === 'list') for (const x of v as string[]) args.push(`--${o.long}`, x);
    else if (o.kind === 'optional-value') args.push(v === true ? `--${o.long}` : v === false ? `--no-${o.long}` : `--${o.long}=${String(v)}`);
    else args.push(`--${o.long}`, String(v));
  }
  // One seed for every part (each derives its own streams from it): the whole run is reproducible.
  if (all['randomSeed'] === undefined) args.push('--random-seed', String(seed));
  return args;
}

/** The `run` arguments of part K of N. */
export function partArgs(values: RunOptionValues, k: number, n: number, runId: string, seed: number): string[] {
  const args = runArgs(values, seed);
  // Only the first part samples the server (one observer is enough, and spares it) and vacuums
  // before the run (parts vacuuming the same tables at once would wait on each other's locks).
  if (k > 1) {
    if (!args.includes('--no-observe')) args.push('--no-observe');
    if (!args.includes('--no-vacuum')) args.push('--no-vacuum');
  }
  args.push('--shard', `${k}/${n}`, '--run-id', runId, '--coordinated');
  return args;
}

function sshPeer(host: FleetHost, k: number, n: number, command: string, sshOptions: readonly string[], perHost: number): PeerProcess {
  const argv = [
    '-T',
    '-o',
    'BatchMode=yes',
    ...(host.port === undefined ? [] : ['-p', String(host.port)]),
    ...sshOptions.flatMap((o) => ['-o', o]),
    host.destination,
    '--',
    command,
  ];
  // Its own process group: a Ctrl-C at the terminal reaches the coordinator only, which stops the
  // parts over their sessions and still receives what they measured.
  const child = spawn('ssh', argv, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', () => resolve({ code: 255, signal: null }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  child.stdin.on('error', () => undefined);
  return {
    name: perHost > 1 ? `${host.label} (part ${k}/${n})` : host.label,
    k,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill: (sig) => child.kill(sig),
    exited,
  };
}

export async function fleetRun(cfg: RunConfig, values: RunOptionValues, io: CliIO, signals: CoordinatorSignals): Promise<number> {
  // Passwords never go on a command line: the URL's goes to each part as PGPASSWORD, over its session.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(io.env)) if (/^PG[A-Z_]+$/.test(k) && v !== undefined) env[k] = v;
  let partValues = values;
  if (values.url !== undefined) {
    const { target, password } = withoutPassword(values.url);
    if (password !== undefined) env['PGPASSWORD'] = password;
    partValues = { ...values, url: target };
  }
  refuseListedPasswords(values, '--fleet', 'travel on command lines: give it in PGPASSWORD or ~/.pgpass on the machines');
  const hosts = cfg.fleet ?? [];
  const perHost = cfg.shardsPerHost;
  const n = hosts.length * perHost;
  const runId = `fleet-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  // Scripts and modules go to every machine over its session, at one path everywhere.
  const inputs = fleetInputs(cfg.workloads, runId);
  if (inputs.paths.size > 0) {
    partValues = {
      ...partValues,
      workloads: (partValues.workloads ?? []).map((w) => remoteSpec(w, inputs.paths)),
      ...(partValues.file === undefined ? {} : { file: partValues.file.map((w) => remoteSpec(w, inputs.paths)) }),
    };
  }
  const peers: PeerProcess[] = [];
  hosts.forEach((h, i) => {
    for (let j = 0; j < perHost; j++) {
      const k = i * perHost + j + 1;
      const run = `${cfg.remoteCommand} run ${partArgs(partValues, k, n, runId, cfg.randomSeed).map(shellQuote).join(' ')}`;
      // With files: written first, removed when the part ends (sh, whatever the login shell is).
      const command = inputs.script === '' ? run : `sh -c ${shellQuote(`${inputs.script} || exit 1; trap 'rm -rf /tmp/pgsurge-${runId}' EXIT; ${run}`)}`;
      const peer = sshPeer(h, k, n, command, cfg.sshOptions, perHost);
      peer.stdin.write(encodeMessage({ t: 'env', env }));
      peers.push(peer);
    }
  });
  printErr(io, `pgsurge: run ${runId}: ${n} part${n === 1 ? '' : 's'} on ${hosts.map((h) => h.label).join(', ')}`);
  return (await coordinateParts(cfg, peers, io, signals)).exitCode;
}
