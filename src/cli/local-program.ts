/**
 * The `pgsurge local ...` subcommands and their options; their work is in local-command.ts, imported
 * only when one of them runs (it loads the cluster and server code).
 */
import type { Command } from 'commander';
import type { CliIO } from './output.js';
import type { LocalUpOptions } from './local-command.js';

const impl = (): Promise<typeof import('./local-command.js')> => import('./local-command.js');

/** The `local` command and its subcommands (created with .command() so they inherit output settings). */
export function addLocalCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const local = program
    .command('local')
    .description('a local primary with streaming replicas (and PgBouncer) for failover tests, and faults to inject into it');
  local
    .command('up')
    .description('start a primary and replicas in the background and print their URLs')
    .option('--replicas <n>', 'streaming replicas (default 1)')
    .option('--sync', 'synchronous replication: commits wait for one standby')
    .option('--pgbouncer', 'PgBouncer (transaction pooling) in front of the primary')
    .option(
      '--pgpool',
      'Pgpool-II in front of every node: writes to the primary, reads balanced over the nodes (with --pgbouncer: a PgBouncer in front of it too)',
    )
    .option(
      '--pgpool-over-pgbouncer',
      'the other stacking: a PgBouncer (session pooling) on each node and a Pgpool-II in front of them, client → Pgpool-II → PgBouncer → node',
    )
    .option('--pg-bin <dir>', 'PostgreSQL binaries with pg_basebackup (default: the newest under /usr/lib/postgresql)')
    .option(
      '--server-setting <name=value>',
      'a PostgreSQL setting for every node, e.g. max_connections=2000 (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--pgbouncer-setting <name=value>',
      'a PgBouncer setting for the local PgBouncers, e.g. max_client_conn=6000 or default_pool_size=50 (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--pgpool-setting <name=value>', 'a Pgpool-II setting (pgpool.conf), e.g. num_init_children=100 (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .action(async (opts: LocalUpOptions) => setExit(await (await impl()).localUp(opts, io)));
  local
    .command('down')
    .description('stop the local cluster and remove its directories')
    .action(async () => setExit(await (await impl()).localDown(io)));
  local
    .command('status')
    .description('nodes, roles, pids and URLs')
    .action(async () => setExit(await (await impl()).localStatus(io)));
  local
    .command('password')
    .description("the password of the poolers' login role (PGPASSWORD=$(pgsurge local password))")
    .action(async () => setExit((await impl()).localPassword(io)));
  local
    .command('kill-primary')
    .description('immediate shutdown of the primary (pg_ctl stop -m immediate)')
    .action(async () => setExit(await (await impl()).localKillPrimary(io)));
  local
    .command('promote')
    .description('promote replica pgN (default: the first running replica)')
    .argument('[n]', 'node number (the N of pgN)')
    .action(async (n: string | undefined) => setExit(await (await impl()).localPromote(n, io)));
  local
    .command('stop')
    .description('stop the primary, or --node N (clients see 57P01 with --fast)')
    .option('--fast', 'fast shutdown (default)')
    .option('--immediate', 'immediate shutdown')
    .option('--node <n>', 'node number instead of the primary')
    .action(async (opts: { fast?: boolean; immediate?: boolean; node?: string }) => setExit(await (await impl()).localStop(opts, io)));
  local
    .command('terminate-backends')
    .description('pg_terminate_backend on every client session of the primary, or --node N')
    .option('--node <n>', 'node number instead of the primary')
    .action(async (opts: { node?: string }) => setExit(await (await impl()).localTerminateBackends(opts, io)));
}
