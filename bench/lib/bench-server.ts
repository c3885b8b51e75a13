/**
 * The throwaway server every comparison bench runs against, and the life cycle around it: start it,
 * load pgbench's data set, run the bench, and stop the clients and the server however it ends
 * (return, error, Ctrl-C).
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { startLocalServer } from '../../src/local/server.js';
import { PGBENCH, type Target } from './clients.js';
import { cleanEnv, killAll } from './exec.js';

/**
 * Benchmark server settings. fsync and synchronous_commit stay ON: tpcb-like then includes the WAL
 * flush of each commit, as on a real server. Buffers hold the scale-10 data set (~160 MB) so
 * select-only reads no disk; a large max_wal_size keeps checkpoints out of the 10 s runs (the
 * harness checkpoints between runs instead).
 */
export const BENCH_SETTINGS = {
  shared_buffers: '256MB',
  max_connections: 100,
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  fsync: 'on',
  synchronous_commit: 'on',
} as const;

/** "k=v, k=v" for the results files. */
export function settingsText(settings: Readonly<Record<string, string | number>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/**
 * Start a server with `settings` (default BENCH_SETTINGS), `pgbench -i -q -s scale` into it, run `fn`
 * against it, then stop every client still running and the server. Ctrl-C (or SIGTERM) does the same
 * and exits 130 (a PgBouncer that `fn` started from src/local is stopped by its own exit hook then).
 */
export async function withBenchServer<T>(
  scale: number,
  log: (line: string) => void,
  fn: (target: Target) => Promise<T>,
  settings: Readonly<Record<string, string | number>> = BENCH_SETTINGS,
): Promise<T> {
  const server = await startLocalServer({ settings, log });
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    log('interrupted: stopping the clients and the server');
    killAll();
    void server.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const target: Target = { host: server.host, port: server.port, user: server.user, database: server.database, url: server.url };
    log(`pgbench -i -s ${scale}`);
    const init = spawnSync(PGBENCH, ['-i', '-q', '-s', String(scale), '-h', target.host, '-p', String(target.port), '-U', target.user, target.database], {
      env: cleanEnv(),
      encoding: 'utf8',
    });
    if (init.status !== 0) throw new Error(`pgbench -i failed:\n${init.stderr}`);
    return await fn(target);
  } finally {
    killAll();
    await server.stop();
  }
}

/** "PostgreSQL 17.x": the server's own version, for the results files. */
export async function serverVersion(t: Target): Promise<string> {
  const c = new pg.Client({ host: t.host, port: t.port, user: t.user, database: t.database });
  await c.connect();
  try {
    const r = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return `PostgreSQL ${r.rows[0]?.v ?? 'unknown'}`;
  } finally {
    await c.end();
  }
}

/** Run a bench's main and exit with its code; the tool's own failures as one line, exit 1. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
