/**
 * Test servers: every test that needs PostgreSQL starts its own with `withServer` / `startTestServer`
 * and stops it in `after`, also when the test fails. Settings favour speed (no fsync): tests check
 * behaviour, not durability timings.
 */
import { after } from 'node:test';
import pg from 'pg';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../src/local/server.js';

export const FAST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 100 } as const;

/**
 * Start a server for the current test file; it is stopped after the file's tests, pass or fail.
 * Call it with top-level await (or inside a test): `after()` registers on the current context, so
 * called from a `before` hook it would stop the server as soon as the hook ends. If the process dies,
 * src/local/server.ts's exit hook still kills the server and removes its directory.
 */
export async function startTestServer(opts: LocalServerOptions = {}): Promise<LocalServer> {
  const server = await startLocalServer({ ...opts, settings: { ...FAST_SETTINGS, ...opts.settings } });
  after(() => server.stop());
  return server;
}

/** Debian's pgbench (the postgresql package), for compatibility tests. */
export function pgbenchPath(): string {
  return process.env['PGBENCH'] ?? '/usr/lib/postgresql/15/bin/pgbench';
}

export const isCI = process.env['CI'] === 'true';

/** Run `fn` on a fresh `pg` connection to `url`, closed afterwards whatever happens. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The first row of one query, on a fresh connection. */
export async function firstRow(url: string, sql: string): Promise<Record<string, unknown>> {
  return await withClient(url, async (c) => (await c.query(sql)).rows[0] as Record<string, unknown>);
}
