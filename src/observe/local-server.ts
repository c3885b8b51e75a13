/**
 * Is a server pgsurge did not start running on this machine, in this machine's process view? Then
 * its processes can be sampled from /proc like a throwaway server's (proc-stats.ts).
 *
 * What is checked, on the observer's own connection:
 * 1. The host is loopback (127.0.0.0/8, ::1, localhost) or a Unix-socket directory: any other
 *    address may be another machine, whatever /proc holds.
 * 2. `pg_backend_pid()` (the backend serving this very connection) exists in /proc, and its parent
 *    is a process named postgres/postmaster: the postmaster whose tree is then sampled.
 * 3. That backend is proven to be ours by one of:
 *    a. its process title names our socket's local port, "(PORT)" (PostgreSQL titles a backend
 *       "postgres: USER DB CLIENT_ADDR(CLIENT_PORT) …"); or
 *    b. the postmaster's working directory (a postmaster chdirs into its data directory) is the
 *       server's `data_directory` (readable only with pg_read_all_settings or as superuser).
 *    If both the title and the directory can be read and either disagrees, it is not local.
 * Why that is enough: a server in a container (another pid namespace) reports pids of its own
 * namespace, which in ours belong to unrelated processes: they do not carry our connection's port
 * in their title (ports are unique per network namespace while our connection is open) and their
 * parent does not sit in that server's data directory. A server on another machine reached
 * through a loopback port forward is the same case: its backend pid names nothing of ours.
 */
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import type pg from 'pg';
import type { HostSpec } from '../driver/types.js';

/** Where the decision came from, for a test or a --verbose line. */
export type LocalCheck =
  { readonly kind: 'local'; readonly postmasterPid: number; readonly by: 'title' | 'data-directory' } | { readonly kind: 'remote'; readonly reason: string };

export function isLoopbackHost(host: string): boolean {
  if (host.startsWith('/')) return true;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** ppid and comm from /proc/PID/stat. */
function statOf(pid: number): { ppid: number; comm: string } | undefined {
  const text = readProc(pid, 'stat');
  if (text === undefined) return undefined;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const ppid = Number(text.slice(close + 2).split(' ')[1]);
  return Number.isInteger(ppid) ? { ppid, comm: text.slice(open + 1, close) } : undefined;
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The local decision from what the server said about the observer's own connection. */
export function checkLocal(host: string, backendPid: number, clientPort: number | undefined, dataDirectory: string | null): LocalCheck {
  if (!isLoopbackHost(host)) return { kind: 'remote', reason: `${host} is not a loopback address or a Unix socket` };
  const backend = statOf(backendPid);
  if (backend === undefined) return { kind: 'remote', reason: `its backend pid ${backendPid} is not in this machine's /proc` };
  const postmaster = statOf(backend.ppid);
  if (postmaster === undefined || !/^(postgres|postmaster)/.test(postmaster.comm)) {
    return { kind: 'remote', reason: `process ${backendPid} here is not a PostgreSQL backend` };
  }
  const title = readProc(backendPid, 'cmdline')?.replace(/\0/g, ' ');
  // A title without "(PORT)" (update_process_title off, a Unix socket) decides nothing.
  const titleKnown = clientPort !== undefined && title !== undefined && /^postgres: .*\(\d+\)/.test(title);
  const titleMatch = titleKnown ? title.includes(`(${clientPort})`) : undefined;
  let cwd: string | undefined;
  try {
    cwd = readlinkSync(`/proc/${backend.ppid}/cwd`);
  } catch {
    cwd = undefined;
  }
  const dirMatch = dataDirectory === null || cwd === undefined ? undefined : realpathOrSelf(cwd) === realpathOrSelf(dataDirectory);
  if (titleMatch === false || dirMatch === false) return { kind: 'remote', reason: `process ${backendPid} here serves another connection or server` };
  if (titleMatch === true) return { kind: 'local', postmasterPid: backend.ppid, by: 'title' };
  if (dirMatch === true) return { kind: 'local', postmasterPid: backend.ppid, by: 'data-directory' };
  return { kind: 'remote', reason: 'neither the backend title nor the data directory could be checked' };
}

/** The postmaster of the server behind `client` if it is on this machine (see the module comment). */
export async function findLocalPostmaster(client: pg.Client, spec: HostSpec): Promise<LocalCheck> {
  if (!isLoopbackHost(spec.host)) return { kind: 'remote', reason: `${spec.host} is not a loopback address or a Unix socket` };
  // pg_settings hides data_directory from roles that may not read it: then the row is absent.
  const res = await client.query<{ pid: number; dir: string | null }>(
    "select pg_backend_pid() as pid, (select setting from pg_settings where name = 'data_directory') as dir",
  );
  const row = res.rows[0];
  if (row === undefined) return { kind: 'remote', reason: 'no backend pid' };
  // The socket's local port: `pg` keeps the net.Socket as connection.stream (a Unix socket has none).
  const stream = (client as unknown as { connection?: { stream?: { localPort?: unknown } } }).connection?.stream;
  const port = typeof stream?.localPort === 'number' ? stream.localPort : undefined;
  return checkLocal(spec.host, Number(row.pid), port, row.dir);
}
