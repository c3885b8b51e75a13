/**
 * `pgsurge topologies [workloads] [run options]`: one workload, load, duration and seed against the
 * topologies people put between their application and PostgreSQL, built locally and run one after
 * another, with one side-by-side table (the multi-target run and compare do the rest):
 *
 *   direct            the primary itself
 *   pgbouncer         PgBouncer (transaction pooling) → the primary
 *   pgpool            Pgpool-II → the primary (pooling only, no replica to balance over)
 *   pgpool-pgbouncer  PgBouncer → Pgpool-II → the primary
 *   full              PgBouncer → Pgpool-II → the primary and the replicas (writes to the
 *                     primary, reads balanced over every node: read/write routing)
 *
 * The cluster (a primary and --replicas streaming replicas, two by default) is started for the
 * command and stopped after it, whatever happens; every client proves the same SCRAM password.
 * The workloads' tables are made once, on the primary, before the first run.
 */
import { PgsurgeError, usageError } from '../errors.js';
import type { RunOptionValues } from '../config/run-options.js';
import { startCluster } from '../local/cluster.js';
import { startPgBouncer } from '../local/pgbouncer.js';
import { startPgpool } from '../local/pgpool.js';
import type { DaemonHandle } from '../local/daemon.js';
import { initCommand } from './init-command.js';
import { printErr, type CliIO } from './output.js';
import { runCommand } from './run-command.js';

/** Options the command sets itself: given, they would point the runs elsewhere. */
const OWN = ['url', 'target', 'replica', 'routeReads', 'findLimit'] as const;

export async function topologiesCommand(values: RunOptionValues, replicasText: string | undefined, io: CliIO): Promise<number> {
  const given = OWN.filter((k) => {
    const v = (values as Record<string, unknown>)[k];
    return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
  });
  if (given.length > 0) {
    const flag = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw usageError('TOPOLOGIES_OWN_OPTION', `${given.map(flag).join(', ')}: pgsurge topologies builds its own targets; leave it out`);
  }
  const replicas = Number(replicasText ?? '2');
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 4) throw usageError('TOPOLOGIES_REPLICAS', `--replicas must be 1 to 4, not ${replicasText}`);
  const cluster = await startCluster({
    replicas,
    pgbouncer: true,
    pgpool: true,
    log: (line) => printErr(io, `pgsurge topologies: ${line}`),
  });
  // The primary-only Pgpool-II and the PgBouncer in front of it are this command's own.
  const own: DaemonHandle[] = [];
  try {
    const { urls } = cluster;
    const login = cluster.state().login;
    if (urls.pgbouncer === undefined || urls.pgpool === undefined || urls.pgbouncerPgpool === undefined || login === undefined) {
      throw new PgsurgeError('TOPOLOGIES_NOT_BUILT', 'the local poolers did not start');
    }
    // Every topology under the same login, the primary's included.
    const direct = new URL(urls.pgbouncer);
    direct.port = String(cluster.primary.port);
    const workloads = values.workloads ?? [];
    printErr(io, `pgsurge topologies: creating the tables of ${workloads.length === 0 ? 'tpcb-like' : workloads.join(', ')} on the primary`);
    const init = await initCommand(
      {
        workloads,
        url: direct.toString(),
        quiet: true,
        ...(values.scale === undefined ? {} : { scale: String(values.scale) }),
        ...(values.define === undefined ? {} : { define: values.define }),
      },
      io,
    );
    if (init !== 0) return init;
    await cluster.waitForReplication();
    const users = { [login.user]: login.password };
    const alone = await startPgpool({ primary: { host: '127.0.0.1', port: cluster.primary.port, name: cluster.primary.name }, replicas: [], users });
    own.push(alone);
    const front = await startPgBouncer({ targetHost: '127.0.0.1', targetPort: alone.port, poolMode: 'transaction', users, authType: 'scram-sha-256' });
    own.push(front);
    const at = (port: number): string => {
      const u = new URL(direct.toString());
      u.port = String(port);
      return u.toString();
    };
    const target = [
      `direct=${direct.toString()}`,
      `pgbouncer=${urls.pgbouncer}`,
      `pgpool=${at(alone.port)}`,
      `pgpool-pgbouncer=${at(front.port)}`,
      `full=${urls.pgbouncerPgpool}`,
    ];
    // PgBouncer 1.21+ keeps named prepared statements in transaction pooling; the local one may not,
    // and every topology must run the same protocol: extended, unless asked otherwise.
    const protocol = values.protocol ?? 'extended';
    if (values.protocol === undefined)
      printErr(io, 'pgsurge topologies: -M extended on every topology (PgBouncer in transaction pooling may keep no named prepared statements)');
    // The tables were made just now: pgbench's pre-run vacuum would only add to the first run.
    return await runCommand({ ...values, target, protocol, vacuum: false }, io);
  } finally {
    for (const d of own.reverse()) await d.stop().catch(() => undefined);
    await cluster.stop();
  }
}
