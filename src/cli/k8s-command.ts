/**
 * `pgsurge k8s [WORKLOAD...] [run options] --parallelism N`: prints the manifests of a run sharded
 * over N pods (src/distributed/k8s-manifests.ts), for `kubectl apply -f -`. Nothing is contacted:
 * the options are checked as `run` checks them (a part's and the coordinator's, so a run that
 * cannot be split is refused here, not in the cluster), the run's files are read into the
 * ConfigMap, and the target's password is left out (it comes from the user's Secret).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { stringify } from 'yaml';
import { resolveRunConfig } from '../config/run-config.js';
import { parsePositiveInt } from '../config/units.js';
import { parseListen } from '../config/listen.js';
import type { RunOptionValues } from '../config/run-options.js';
import { withoutPassword } from '../driver/conninfo.js';
import { refuseListedPasswords } from './url-passwords.js';
import { INPUTS_DIR, k8sManifests, objectNames } from '../distributed/k8s-manifests.js';
import { PgsurgeError, usageError } from '../errors.js';
import { planWorkloads } from './plan.js';
import { printErr, printOut, type CliIO } from './output.js';
import { runArgs } from './fleet-run.js';
import { remoteSpec } from './fleet-inputs.js';
import { TOOL } from './tool.js';

export interface RawK8sOptions {
  readonly parallelism?: string | undefined;
  readonly image?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly secret?: string | undefined;
  readonly port?: string | undefined;
  readonly antiAffinity?: boolean | undefined;
  readonly cpu?: string | undefined;
  readonly memory?: string | undefined;
}

/** A ConfigMap holds at most 1 MiB: stay under it with room for its envelope. */
const MAX_FILES_BYTES = 900 * 1024;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Options whose effect would stay inside a pod (files there are lost) or that pick another way of running. */
const REFUSED: readonly (readonly [keyof RunOptionValues, string])[] = [
  ['json', 'the result is served by the coordinator (GET /result.json): see the lines printed on stderr'],
  ['csv', 'the result is served by the coordinator (GET /result.json); make the CSV with pgsurge report'],
  ['html', 'the coordinator serves /report.html'],
  ['out', 'the result is served by the coordinator (GET /result.json)'],
  ['log', "a part's log would stay in its pod"],
  ['history', 'record the fetched result with pgsurge history import'],
  ['fleet', 'the pods are the parts'],
  ['shard', 'each pod is given its part'],
  ['coordinator', 'the pods are given the coordinator'],
  ['parts', 'the pods are given the coordinator'],
  ['partsListen', 'the coordinator listens on --port'],
  ['ui', 'the coordinator serves /metrics, /result.json and /report.html'],
  ['pgBin', 'the pods run the image'],
];

export async function k8sCommand(values: RunOptionValues, opts: RawK8sOptions, io: CliIO): Promise<number> {
  const problems: string[] = [];
  const all = values as unknown as Record<string, unknown>;
  for (const [key, why] of REFUSED) {
    const v = all[key];
    if (v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)) problems.push(`--${kebab(key)} is not for pgsurge k8s: ${why}`);
  }
  if (opts.parallelism === undefined) problems.push('--parallelism N is required (the number of parts, one pod each)');
  const n = opts.parallelism === undefined ? 1 : (attempt(problems, () => parsePositiveInt(opts.parallelism!, '--parallelism')) ?? 1);
  const name = opts.name ?? `pgsurge-${randomBytes(3).toString('hex')}`;
  // The longest derived name (NAME-coordinator) must stay a DNS label.
  if (!DNS_LABEL.test(name) || name.length > 63 - '-coordinator'.length)
    problems.push(`--name ${name}: lowercase letters, digits and "-", at most ${63 - '-coordinator'.length} characters (a Kubernetes name)`);
  if (opts.namespace !== undefined && (!DNS_LABEL.test(opts.namespace) || opts.namespace.length > 63))
    problems.push(`--namespace ${opts.namespace}: lowercase letters, digits and "-" (a Kubernetes name)`);
  const secret = opts.secret ?? `${name}-target`;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secret) || secret.length > 253) problems.push(`--secret ${secret}: not a Kubernetes object name`);
  const port = opts.port === undefined ? 7070 : (attempt(problems, () => parseListen(opts.port!, '--port').port) ?? 7070);
  const metricsPort = values.prometheus === undefined ? 9464 : (attempt(problems, () => parseListen(values.prometheus!).port) ?? 9464);
  if (port === metricsPort) problems.push(`--port ${port} and the metrics port are the same: pick another`);
  for (const [o, v] of [
    ['--cpu', opts.cpu],
    ['--memory', opts.memory],
  ] as const)
    if (v !== undefined && !/^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.test(v)) problems.push(`${o} ${v}: not a Kubernetes quantity (e.g. 2, 500m, 1Gi)`);
  if (problems.length > 0)
    throw usageError(
      'BAD_OPTIONS',
      problems.length === 1 ? problems[0]! : `${problems.length} problems with the options:`,
      problems.length === 1 ? [] : problems,
    );

  // A part's configuration and the coordinator's, checked as run checks them, and the run's
  // scripts and modules read and compiled: what would fail in every pod fails here.
  const { remoteCommand, linger, ...shared } = values;
  // The coordinator's metrics address is the manifests' own (its port came from --prometheus).
  delete shared.prometheus;
  const cfg = inK8sTerms(n, () => resolveRunConfig({ ...shared, shard: `1/${n}`, coordinator: 'http://coordinator:1' }));
  inK8sTerms(n, () => resolveRunConfig({ ...shared, parts: String(n), ...(linger === undefined ? {} : { linger }) }));
  if (cfg.scenario !== undefined)
    throw usageError('BAD_OPTIONS', 'pgsurge k8s: a scenario file names files of its own; give the workloads and their options on the command line');
  await planWorkloads(cfg);

  // The run's files, by name, at one path in every pod.
  const files = new Map<string, string>();
  const paths = new Map<string, string>();
  let total = 0;
  for (const w of cfg.workloads.filter((x) => x.kind !== 'builtin')) {
    if (paths.has(w.name)) continue;
    const key = basename(w.name);
    if (files.has(key)) throw usageError('BAD_OPTIONS', `pgsurge k8s: two files are named ${key}; the pods get one directory of files: rename one`);
    total += statSync(w.name).size;
    if (total > MAX_FILES_BYTES)
      throw usageError(
        'BAD_OPTIONS',
        `pgsurge k8s: the run's files are over ${MAX_FILES_BYTES / 1024} KB, more than a ConfigMap holds: build an image with them (--image)`,
      );
    files.set(key, readFileSync(w.name, 'utf8'));
    paths.set(w.name, `${INPUTS_DIR}/${key}`);
  }
  let runValues: RunOptionValues = {
    ...shared,
    workloads: (shared.workloads ?? []).map((w) => remoteSpec(w, paths)),
    ...(shared.file === undefined ? {} : { file: shared.file.map((w) => remoteSpec(w, paths)) }),
  };
  // The password stays out of the manifests (as it stays off a fleet's command lines): the URL
  // goes without it, and PGPASSWORD comes from the Secret.
  let hadPassword = false;
  refuseListedPasswords(runValues, 'k8s', "be in the manifests: give it without one (the parts take PGPASSWORD from the target's Secret)");
  if (runValues.url !== undefined) {
    const { target, password } = withoutPassword(runValues.url);
    hadPassword = password !== undefined;
    runValues = { ...runValues, url: target };
  }
  const image = opts.image ?? 'node:20-slim';
  const command =
    remoteCommand !== undefined && remoteCommand !== 'npx pgsurge' ? remoteCommand : opts.image === undefined ? `npx -y pgsurge@${TOOL.version}` : 'pgsurge';
  const args = runArgs(runValues, cfg.randomSeed);
  const manifests = k8sManifests({
    name,
    namespace: opts.namespace,
    image,
    command,
    parts: n,
    runArgs: args,
    runId: name,
    files,
    secret,
    secretOptional: values.url !== undefined,
    port,
    metricsPort,
    linger: linger ?? '10m',
    token: randomBytes(24).toString('hex'),
    antiAffinity: opts.antiAffinity === true,
    cpu: opts.cpu,
    memory: opts.memory,
    version: TOOL.version,
  });
  const names = objectNames(name);
  const ns = opts.namespace === undefined ? '' : ` -n ${opts.namespace}`;
  printOut(io, `# pgsurge ${TOOL.version} k8s: ${n} part${n === 1 ? '' : 's'}, run ${name}; apply with: kubectl${ns} apply -f -`);
  printOut(io, manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n'));
  // The Secret from a file of PG* lines (PGPASSWORD=..., and PGHOST, PGUSER... without --url), so no password is typed on a command line.
  printErr(
    io,
    `pgsurge: first, the target's Secret: kubectl${ns} create secret generic ${secret} --from-env-file=target.env   (target.env: ${values.url === undefined ? 'PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD' : 'PGPASSWORD'}, one NAME=VALUE a line${hadPassword ? '; the password of --url is not in the manifests' : ''})`,
  );
  printErr(io, `pgsurge: follow the run: kubectl${ns} logs -f job/${names.coordinator}   (its exit code is the verdict)`);
  printErr(
    io,
    `pgsurge: the result, within ${linger ?? '10m'} of the end: kubectl${ns} port-forward svc/${names.coordinator} ${port} & curl -s localhost:${port}/result.json -o result.json`,
  );
  return 0;
}

/** run's problems with a part or the coordinator, said of --parallelism (the option the user gave). */
function inK8sTerms<T>(n: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof PgsurgeError)) throw e;
    const say = (line: string): string =>
      line
        .replaceAll(`--shard 1/${n}`, `--parallelism ${n}`)
        .replace(/--parts(?= and| needs|:)/g, `--parallelism ${n}`)
        .replace(/^--shard and /, `--parallelism and `);
    throw new PgsurgeError(e.code, say(e.message), { exitCode: e.exitCode, details: e.details.map(say) });
  }
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function attempt<T>(problems: string[], f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
    return undefined;
  }
}
