/**
 * The many-clients cases: pgbench and pgsurge alternating (A B A B …) at hundreds of clients straight
 * to the server, at thousands through a local PgBouncer, and at a handful for the memory each client
 * adds. A run that fails is a finding, not the end of the bench: it is kept with its error line and
 * the next run goes on.
 */
import { startPgBouncer, type LocalPgBouncer } from '../../src/local/pgbouncer.js';
import { prepareRun } from './cases.js';
import { ClientFailed, PGBENCH, runClient, type RunFigures, type Target, type Tool, type Workload } from './clients.js';
import { cleanEnv, execMeasured } from './exec.js';
import { CommitCounter, NO_WINDOW, type LoadWindow } from './load-window.js';

export interface ManyPlan {
  readonly seconds: number;
  readonly pairs: number;
  readonly jobs: number;
  /** Client counts straight to the server (the issue's 500 and 1000). */
  readonly clients: readonly number[];
  readonly builtins: readonly Workload['builtin'][];
  /** Client count through PgBouncer (the issue's 5000); 0 leaves that case out. */
  readonly pooledClients: number;
  readonly poolSize: number;
  readonly maxClientConn: number;
  /** Client count of the small run that memory per client is measured from (0: none). */
  readonly fewClients: number;
  /** Further options of every pgsurge run (e.g. --no-observe). */
  readonly pgsurgeArgs: readonly string[];
  readonly log: (line: string) => void;
}

/** One run: its figures, or why it did not give any. */
export type Outcome = { readonly ok: true; readonly f: RunFigures; readonly load: LoadWindow } | { readonly ok: false; readonly error: string };

export interface ManyCase {
  readonly kind: 'direct' | 'pooled' | 'few';
  readonly builtin: Workload['builtin'];
  readonly clients: number;
  readonly protocol: NonNullable<Workload['protocol']>;
  /** -T of pgsurge; pgbench's is this plus `pgbenchAllowanceS`. */
  readonly seconds: number;
  readonly pgbenchAllowanceS: number;
  readonly runs: Readonly<Record<Tool, Outcome[]>>;
}

export interface PoolerFacts {
  readonly version: string;
  readonly poolSize: number;
  readonly maxClientConn: number;
}

const TOOLS: readonly Tool[] = ['pgbench', 'pgsurge'];

/** Seconds a run may take beyond its -T (start-up, connecting thousands, the result) before it counts as hung. */
const HANG_MARGIN_S = 240;

/** The line that says why a client failed: its last lines of output that look like an error, else its last line. */
export function errorLine(e: unknown): string {
  if (!(e instanceof ClientFailed)) return e instanceof Error ? e.message : String(e);
  const lines = e.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const said = lines.filter((l) => /error|fatal|abort|could not|failed|refused|too many|timeout|heap|memory/i.test(l));
  const last = said.length > 0 ? said.slice(-2).join(' / ') : (lines[lines.length - 1] ?? '(no output)');
  return `${e.code === null ? 'killed after the timeout (hung)' : `exit ${e.code}`}: ${last}`;
}

function describe(f: RunFigures, load: LoadWindow): string {
  const connect = Number.isFinite(f.connectS) ? `, connected ${f.connects} in ${f.connectS.toFixed(2)} s` : '';
  return (
    `${f.tps.toFixed(0)} tps, CPU/txn ${f.cpuUsPerTxn.toFixed(1)} µs whole, ${load.cpuUsPerTxn.toFixed(1)} µs in load ` +
    `(${load.windowS.toFixed(1)} s at ${load.commitRate.toFixed(0)} commits/s), wall ${(f.wallMs / 1000).toFixed(1)} s, ` +
    `peak RSS ${(f.peakRssKiB / 1024).toFixed(1)} MiB, p99 ${f.p99Ms.toFixed(2)} ms${connect}${f.failed > 0 ? `, ${f.failed} failed` : ''}`
  );
}

/**
 * `pairs` rounds of pgbench then pgsurge against `target`, each run watched by a counter of the
 * `server`'s commits (the same server, or the one behind the pooler that `target` is).
 */
async function alternate(
  target: Target,
  server: Target,
  plan: ManyPlan,
  label: string,
  kind: ManyCase['kind'],
  w: Workload,
  pairs: number,
  prepare: () => Promise<void>,
): Promise<ManyCase> {
  const runs: Record<Tool, Outcome[]> = { pgbench: [], pgsurge: [] };
  const counter = await CommitCounter.open(server);
  try {
    for (let i = 0; i < pairs; i++) {
      for (const tool of TOOLS) {
        await prepare();
        let watch: ReturnType<CommitCounter['watch']> | undefined;
        try {
          const f = await runClient(tool, target, w, { onPid: (pid) => (watch = counter.watch(pid)) });
          const load = (await watch?.stop()) ?? NO_WINDOW;
          runs[tool].push({ ok: true, f, load });
          plan.log(`${label} ${tool} #${i + 1}: ${describe(f, load)}`);
        } catch (e) {
          await watch?.stop();
          const error = errorLine(e);
          runs[tool].push({ ok: false, error });
          plan.log(`${label} ${tool} #${i + 1}: FAILED ${error}`);
        }
      }
    }
  } finally {
    await counter.close();
  }
  return {
    kind,
    builtin: w.builtin,
    clients: w.clients,
    protocol: w.protocol ?? 'prepared',
    seconds: w.seconds,
    pgbenchAllowanceS: w.pgbenchConnectAllowanceS ?? 0,
    runs,
  };
}

/**
 * How long pgbench takes to connect `clients` (-j jobs) here: one transaction per client, its
 * "initial connection time". Its -T is then lengthened by a quarter more than that, plus 2 s, so its
 * load phase is at least about as long as pgsurge's measured -T (which starts after connecting).
 */
async function pgbenchConnectAllowanceS(target: Target, plan: ManyPlan, clients: number, protocol: string): Promise<number> {
  const args = ['-h', target.host, '-p', String(target.port), '-U', target.user, '-n', '-S', '-c', String(clients), '-j', String(plan.jobs)];
  args.push('-t', '1', '-M', protocol, target.database);
  const r = await execMeasured(PGBENCH, args, { env: cleanEnv(), timeoutMs: HANG_MARGIN_S * 1000 });
  const connectMs = Number(/^initial connection time = ([\d.]+) ms/m.exec(r.stdout)?.[1]);
  if (r.code !== 0 || !Number.isFinite(connectMs)) throw new Error(`pgbench connect probe (-c ${clients}) failed:\n${r.stderr}`);
  const allowanceS = Math.ceil(1.25 * (connectMs / 1000) + 2);
  plan.log(`pgbench connects ${clients} clients in ${(connectMs / 1000).toFixed(2)} s: its -T gets ${allowanceS} s more`);
  return allowanceS;
}

/** select-only and tpcb-like at each client count, straight to the server, -M prepared. */
export async function directCases(target: Target, plan: ManyPlan): Promise<ManyCase[]> {
  const out: ManyCase[] = [];
  for (const clients of plan.clients) {
    const allowanceS = await pgbenchConnectAllowanceS(target, plan, clients, 'prepared');
    for (const builtin of plan.builtins) {
      const w: Workload = {
        builtin,
        clients,
        jobs: plan.jobs,
        seconds: plan.seconds,
        protocol: 'prepared',
        timeoutS: plan.seconds + allowanceS + HANG_MARGIN_S,
        pgbenchConnectAllowanceS: allowanceS,
        pgsurgeArgs: plan.pgsurgeArgs,
      };
      out.push(await alternate(target, target, plan, `${builtin} -c ${clients}`, 'direct', w, plan.pairs, () => prepareRun(target)));
    }
  }
  return out;
}

/** A few clients (select-only), the baseline that memory per client is measured from. */
export async function fewClients(target: Target, plan: ManyPlan): Promise<ManyCase> {
  const seconds = Math.min(plan.seconds, 5);
  const w: Workload = {
    builtin: 'select-only',
    clients: plan.fewClients,
    jobs: plan.jobs,
    seconds,
    protocol: 'prepared',
    timeoutS: seconds + HANG_MARGIN_S,
    pgsurgeArgs: plan.pgsurgeArgs,
  };
  return alternate(target, target, plan, `select-only -c ${plan.fewClients}`, 'few', w, 1, () => prepareRun(target));
}

/**
 * select-only with `pooledClients` clients through a PgBouncer in transaction pooling in front of the
 * server. -M extended for both clients: PgBouncer before 1.21 cannot keep a client's named prepared
 * statements across server connections (pgsurge refuses -M prepared through it, POOLER_PREPARED;
 * pgbench would fail with 26000/42P05), and unnamed statements work through any.
 */
export async function pooledCase(target: Target, plan: ManyPlan): Promise<{ case: ManyCase; pooler: PoolerFacts }> {
  let bouncer: LocalPgBouncer | undefined;
  try {
    bouncer = await startPgBouncer({
      targetHost: target.host,
      targetPort: target.port,
      poolMode: 'transaction',
      poolSize: plan.poolSize,
      maxClientConn: plan.maxClientConn,
      // Thousands of clients that connect at once: PgBouncer's default listen backlog is 128.
      settings: { listen_backlog: String(plan.maxClientConn) },
    });
    const v = bouncer.version;
    const pooler: PoolerFacts = { version: `PgBouncer ${v.major}.${v.minor}.${v.patch}`, poolSize: plan.poolSize, maxClientConn: plan.maxClientConn };
    plan.log(
      `${pooler.version} on 127.0.0.1:${bouncer.port}, pool_mode transaction, default_pool_size ${plan.poolSize}, max_client_conn ${plan.maxClientConn}`,
    );
    const through: Target = { ...target, port: bouncer.port, url: bouncer.url(target.database) };
    const allowanceS = await pgbenchConnectAllowanceS(through, plan, plan.pooledClients, 'extended');
    const w: Workload = {
      builtin: 'select-only',
      clients: plan.pooledClients,
      jobs: plan.jobs,
      seconds: plan.seconds,
      protocol: 'extended',
      timeoutS: plan.seconds + allowanceS + HANG_MARGIN_S,
      pgbenchConnectAllowanceS: allowanceS,
      pgsurgeArgs: plan.pgsurgeArgs,
    };
    const c = await alternate(through, target, plan, `select-only -c ${plan.pooledClients} via PgBouncer`, 'pooled', w, plan.pairs, () => prepareRun(target));
    return { case: c, pooler };
  } finally {
    await bouncer?.stop();
  }
}
