/**
 * `pgsurge local ...`: a local primary with streaming replicas (and PgBouncer) that outlives the
 * command, for failover experiments, and the fault actions on it. `up` writes a state file; every
 * other subcommand finds the cluster through it (src/local/state.ts says where it lives).
 */
import { parseServerSetting, serverSettingRecord } from '../config/server-settings.js';
import { poolerSettingRecord } from '../config/pooler-settings.js';
import { PgsurgeError, usageError } from '../errors.js';
import { attachCluster, startCluster, type ClusterNode, type LocalCluster } from '../local/cluster.js';
import { withNode } from '../local/pg-node.js';
import { isPgBouncerPid } from '../local/pgbouncer.js';
import { isPgpoolPid } from '../local/pgpool.js';
import { readState, removeState, statePath, writeState, type ClusterState } from '../local/state.js';
import { printErr, printOut, type CliIO } from './output.js';

export interface LocalUpOptions {
  readonly replicas?: string | undefined;
  readonly sync?: boolean | undefined;
  readonly pgbouncer?: boolean | undefined;
  readonly pgpool?: boolean | undefined;
  readonly pgpoolOverPgbouncer?: boolean | undefined;
  readonly pgBin?: string | undefined;
  /** --server-setting NAME=VALUE, repeatable: for every node. */
  readonly serverSetting?: readonly string[] | undefined;
  /** --pgbouncer-setting / --pgpool-setting NAME=VALUE, repeatable: for the local poolers. */
  readonly pgbouncerSetting?: readonly string[] | undefined;
  readonly pgpoolSetting?: readonly string[] | undefined;
}

function parseCount(value: string, what: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > 16) throw usageError('LOCAL_BAD_ARGUMENT', `${what} must be an integer from ${min} to 16, not "${value}"`);
  return n;
}

function anyRunning(s: ClusterState): boolean {
  const c = attachCluster(s);
  return (
    c.nodes.some((n) => n.pid() !== undefined) ||
    [s.pgbouncer, s.pgbouncerPgpool, ...(s.nodeBouncers ?? [])].some((b) => b !== undefined && isPgBouncerPid(b.pid, b.dir)) ||
    [s.pgpool, s.pgpoolPgbouncer].some((p) => p !== undefined && isPgpoolPid(p.pid, p.dir))
  );
}

function loaded(io: CliIO): { file: string; state: ClusterState; cluster: LocalCluster } {
  const file = statePath(io.env);
  const state = readState(file);
  if (state === undefined) throw new PgsurgeError('LOCAL_NO_CLUSTER', `no local cluster (no state file ${file}); start one with \`pgsurge local up\``);
  return { file, state, cluster: attachCluster(state) };
}

/**
 * With replicas, the URL to use is the multi-host one with target_session_attrs=read-write: a
 * client given only the primary's URL, or the host list without the attribute, follows no promotion.
 */
function printMultiHost(io: CliIO, c: LocalCluster): void {
  if (c.nodes.length < 2) return;
  printOut(io, `read-write ${c.urls.readWrite}`);
  printOut(io, `reads      ${c.urls.preferStandby}`);
}

function printUrls(io: CliIO, c: LocalCluster): void {
  printOut(io, `primary    ${c.urls.primary}`);
  c.urls.replicas.forEach((u, i) => printOut(io, `replica ${i + 1}  ${u}`));
  printMultiHost(io, c);
  for (const [label, u] of poolerUrls(c)) printOut(io, `${label} ${pooledUrl(u)}`);
}

/**
 * The poolers' endpoints, labelled to one width: PgBouncer → primary, Pgpool-II → every node,
 * PgBouncer → Pgpool-II, Pgpool-II → a PgBouncer on each node (and each of those PgBouncers).
 */
function poolerUrls(c: LocalCluster): [string, string][] {
  const all: [string, string | undefined][] = [
    ['pgbouncer ', c.urls.pgbouncer],
    ['pgpool    ', c.urls.pgpool],
    ['pgbouncer+pgpool', c.urls.pgbouncerPgpool],
    ['pgpool+pgbouncer', c.urls.pgpoolPgbouncer],
    ...(c.urls.nodeBouncers ?? []).map((u, i): [string, string] => [`pgbouncer@${c.nodes[i]?.name ?? i}`, u]),
  ];
  return all.filter((x): x is [string, string] => x[1] !== undefined);
}

/**
 * A pooler's URL as printed: without its password (output masks passwords anyway), and where to
 * get it: `PGPASSWORD=$(pgsurge local password) pgsurge run --url URL`.
 */
function pooledUrl(url: string): string {
  const u = new URL(url);
  if (u.password === '') return url;
  u.password = '';
  return `${u.toString()}  (password: pgsurge local password)`;
}

/** The pooler login's password alone, unmasked, for PGPASSWORD=$(pgsurge local password). */
export function localPassword(io: CliIO): number {
  const { file, state } = loaded(io);
  if (state.login === undefined)
    throw new PgsurgeError('LOCAL_NO_LOGIN', `the local cluster has no pooler login (state file ${file}); start it with --pgbouncer or --pgpool`);
  io.stdout.write(`${state.login.password}\n`);
  return 0;
}

export async function localUp(opts: LocalUpOptions, io: CliIO): Promise<number> {
  const replicas = parseCount(opts.replicas ?? '1', '--replicas', opts.sync === true ? 1 : 0);
  const file = statePath(io.env);
  const old = readState(file);
  if (old !== undefined) {
    if (anyRunning(old)) throw usageError('LOCAL_ALREADY_UP', `a local cluster is already running (state file ${file}); stop it with \`pgsurge local down\``);
    await attachCluster(old).stop(); // leftovers of a cluster that died: remove its directories
    removeState(file);
  }
  const settings = serverSettingRecord(
    (opts.serverSetting ?? []).map((t) => parseServerSetting(t, '--server-setting')),
    '--server-setting',
  );
  const pgbouncerSettings = poolerSettingRecord('pgbouncer', opts.pgbouncerSetting ?? [], '--pgbouncer-setting');
  const pgpoolSettings = poolerSettingRecord('pgpool', opts.pgpoolSetting ?? [], '--pgpool-setting');
  const stackedOther = opts.pgpoolOverPgbouncer === true;
  if (Object.keys(pgbouncerSettings).length > 0 && opts.pgbouncer !== true && !stackedOther)
    throw usageError('BAD_OPTIONS', '--pgbouncer-setting needs --pgbouncer or --pgpool-over-pgbouncer');
  if (Object.keys(pgpoolSettings).length > 0 && opts.pgpool !== true && !stackedOther)
    throw usageError('BAD_OPTIONS', '--pgpool-setting needs --pgpool or --pgpool-over-pgbouncer');
  const cluster = await startCluster({
    settings,
    pgbouncerSettings,
    pgpoolSettings,
    replicas,
    sync: opts.sync === true,
    pgbouncer: opts.pgbouncer === true,
    pgpool: opts.pgpool === true,
    pgpoolOverPgbouncer: stackedOther,
    binDir: opts.pgBin,
    persist: true,
    log: (line) => printErr(io, `pgsurge local: ${line}`),
  });
  try {
    writeState(file, cluster.state());
  } catch (e) {
    await cluster.stop();
    throw new PgsurgeError('LOCAL_STATE_WRITE', `could not write the state file ${file}`, { cause: e });
  }
  printUrls(io, cluster);
  printOut(io, `state      ${file}`);
  return 0;
}

export async function localDown(io: CliIO): Promise<number> {
  const file = statePath(io.env);
  const state = readState(file);
  if (state === undefined) {
    printOut(io, 'no local cluster');
    return 0;
  }
  await attachCluster(state).stop();
  removeState(file);
  const poolers = [
    state.pgbouncer === undefined && state.nodeBouncers === undefined ? '' : 'PgBouncer',
    state.pgpool === undefined && state.pgpoolPgbouncer === undefined ? '' : 'Pgpool-II',
  ].filter((x) => x !== '');
  printOut(io, `stopped and removed ${state.nodes.length} node(s)${poolers.length === 0 ? '' : ` and ${poolers.join(', ')}`}`);
  return 0;
}

async function role(n: ClusterNode): Promise<string> {
  if (n.pid() === undefined) return 'stopped';
  try {
    return await withNode(
      n,
      async (c) => ((await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true ? 'replica' : 'primary'),
      2000,
    );
  } catch {
    return 'not answering';
  }
}

export async function localStatus(io: CliIO): Promise<number> {
  const { file, state, cluster } = loaded(io);
  for (const n of cluster.nodes) {
    const pid = n.pid();
    printOut(io, `${n.name}  ${(await role(n)).padEnd(13)} ${pid === undefined ? '-' : `pid ${pid}`}  ${n.url}`);
  }
  for (const [label, d, up, url] of [
    ['pgbouncer ', state.pgbouncer, isPgBouncerPid, cluster.urls.pgbouncer],
    ['pgpool    ', state.pgpool, isPgpoolPid, cluster.urls.pgpool],
    ['pgbouncer+pgpool', state.pgbouncerPgpool, isPgBouncerPid, cluster.urls.pgbouncerPgpool],
    ['pgpool+pgbouncer', state.pgpoolPgbouncer, isPgpoolPid, cluster.urls.pgpoolPgbouncer],
    ...(state.nodeBouncers ?? []).map((b, i) => [`pgbouncer@${state.nodes[i]?.name ?? i}`, b, isPgBouncerPid, cluster.urls.nodeBouncers?.[i]] as const),
  ] as const) {
    if (d === undefined) continue;
    const running = up(d.pid, d.dir);
    printOut(io, `${label} ${running ? 'running' : 'stopped'}  ${running ? `pid ${d.pid}` : '-'}  ${pooledUrl(url ?? '')}`);
  }
  printMultiHost(io, cluster);
  printOut(io, `state      ${file}`);
  return 0;
}

function nodeByNumber(cluster: LocalCluster, value: string): ClusterNode {
  const n = cluster.nodes[parseCount(value, 'the node number', 0)];
  if (n === undefined) throw usageError('LOCAL_BAD_NODE', `there is no node pg${value} (nodes: ${cluster.nodes.map((x) => x.name).join(', ')})`);
  return n;
}

export async function localKillPrimary(io: CliIO): Promise<number> {
  const { cluster } = loaded(io);
  const p = cluster.currentPrimary;
  if (p.pid() === undefined) throw new PgsurgeError('LOCAL_NOT_RUNNING', `the primary ${p.name} is not running`);
  await cluster.killPrimary();
  printOut(io, `killed ${p.name} (immediate shutdown)`);
  return 0;
}

export async function localStop(opts: { fast?: boolean; immediate?: boolean; node?: string }, io: CliIO): Promise<number> {
  if (opts.fast === true && opts.immediate === true) throw usageError('LOCAL_BAD_ARGUMENT', '--fast and --immediate exclude each other');
  const { cluster } = loaded(io);
  const n = opts.node === undefined ? cluster.currentPrimary : nodeByNumber(cluster, opts.node);
  const mode = opts.immediate === true ? 'immediate' : 'fast';
  if (n.pid() === undefined) throw new PgsurgeError('LOCAL_NOT_RUNNING', `${n.name} is not running`);
  await cluster.stopNode(n, mode);
  printOut(io, `stopped ${n.name} (${mode} shutdown)`);
  return 0;
}

export async function localPromote(value: string | undefined, io: CliIO): Promise<number> {
  const { file, cluster } = loaded(io);
  let target: ClusterNode | undefined;
  if (value !== undefined) target = nodeByNumber(cluster, value);
  else {
    for (const r of cluster.nodes) if (r !== cluster.currentPrimary && (await role(r)) === 'replica') target = target ?? r;
    if (target === undefined) throw new PgsurgeError('LOCAL_NOT_RUNNING', 'no running replica to promote');
  }
  const index = cluster.replicas.indexOf(target);
  if (index < 0) throw usageError('LOCAL_BAD_NODE', `${target.name} was never a replica`);
  const promoted = await cluster.promote(index);
  writeState(file, cluster.state());
  printOut(io, `promoted ${promoted.name}: primary is now ${promoted.url}`);
  if (cluster.urls.pgbouncer !== undefined) printOut(io, `pgbouncer  now sends to ${promoted.name}`);
  return 0;
}

export async function localTerminateBackends(opts: { node?: string }, io: CliIO): Promise<number> {
  const { cluster } = loaded(io);
  const n = opts.node === undefined ? cluster.currentPrimary : nodeByNumber(cluster, opts.node);
  const count = await cluster.terminateBackends(n);
  printOut(io, `terminated ${count} backend(s) on ${n.name}`);
  return 0;
}
