/**
 * The life of a helper daemon in front of local servers (PgBouncer, Pgpool-II): started detached as
 * the server user with its output appended to a file in its own directory, killed at exit unless
 * persistent, stopped by pid with a guard against a reused pid, its directory removed with it.
 *
 * A daemon is the leader of its own process group (spawned detached, so setsid). Invariant relied on
 * when it forks workers (Pgpool-II): the group outlives a main process killed by SIGKILL, and
 * signalling the group reaches every worker. Linux reuses no pid as a group id while the group has
 * members, so a group signal cannot reach a stranger.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { PgsurgeError } from '../errors.js';
import { atExit } from './at-exit.js';
import { tail, type RunAs } from './server.js';

/** Options every local daemon takes. */
export interface DaemonOptions {
  /** Path of the binary (default: an environment variable, then Debian's path). */
  readonly bin?: string | undefined;
  /** Keep running after this process exits (`pgsurge local up`); otherwise killed at exit. */
  readonly persist?: boolean | undefined;
  /** Where its temporary directory goes; default os.tmpdir(). */
  readonly baseDir?: string | undefined;
}

export interface DaemonVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** `bin --version` matched against `re` (three numeric groups); throws `missing` when the binary is absent or says something else. */
export function binaryVersion(bin: string, re: RegExp, missing: { readonly code: string; readonly message: string }): DaemonVersion {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.error !== undefined || m === null) throw new PgsurgeError(missing.code, missing.message, { cause: r.error });
  return { text: m[0], major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export interface DaemonSpec {
  readonly bin: string;
  readonly args: readonly string[];
  /** The daemon's directory, removed when it stops (or at exit). */
  readonly dir: string;
  /** Where its stdout and stderr go (appended). */
  readonly outFile: string;
  readonly as: RunAs;
  /** Keep running after this process exits; otherwise killed at exit. */
  readonly persist: boolean;
  /**
   * What it gets when this process exits (not persistent); default SIGKILL to its group. A shutdown
   * signal goes to the main process alone, which then takes its workers and shared memory with it
   * after we are gone (an exit handler cannot wait).
   */
  readonly exitSignal?: NodeJS.Signals | undefined;
}

export interface Daemon {
  readonly pid: number;
  exited(): boolean;
}

/** Unregistration of the exit clean-up of each daemon this process started (not persistent), by pid. */
const live = new Map<number, () => void>();

function killMain(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Signal the daemon's process group; its pid alone when there is no such group (not spawned by spawnDaemon). */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    killMain(pid, signal);
  }
}

function spawnDaemon(spec: DaemonSpec): Daemon {
  const fd = openSync(spec.outFile, 'a');
  // detached: its own session, so a Ctrl-C aimed at pgsurge does not reach it.
  const child = spawn(spec.bin, spec.args, { ...spec.as.ids, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(spec.dir, { recursive: true, force: true });
    throw new PgsurgeError('LOCAL_START_FAILED', `could not start ${spec.bin}`);
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  if (spec.persist) child.unref();
  else {
    live.set(
      pid,
      atExit(() => {
        const signal = spec.exitSignal ?? 'SIGKILL';
        if (signal === 'SIGKILL') killGroup(pid, signal);
        else killMain(pid, signal);
        rmSync(spec.dir, { recursive: true, force: true });
      }),
    );
  }
  return { pid, exited: () => exited };
}

/** What every started daemon's handle has. */
export interface DaemonHandle {
  readonly host: '127.0.0.1';
  /** The main process; any workers are in its process group. */
  readonly pid: number;
  readonly dir: string;
  /** Stop it and remove its directory. Safe to call twice: later calls get the first call's promise. */
  stop(): Promise<void>;
}

/**
 * Spawn the daemon and wait until `ready` resolves; when it throws, `stop` the daemon and rethrow.
 * `stop` is by pid so that another process can call it too (a persistent daemon).
 */
export async function startDaemon(
  spec: DaemonSpec,
  ready: (d: Daemon) => Promise<void>,
  stop: (pid: number, dir: string) => Promise<void>,
): Promise<DaemonHandle> {
  const daemon = spawnDaemon(spec);
  const { pid } = daemon;
  try {
    await ready(daemon);
  } catch (e) {
    await stop(pid, spec.dir);
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return { host: '127.0.0.1', pid, dir: spec.dir, stop: () => (stopping ??= stop(pid, spec.dir)) };
}

/** Wait until something accepts TCP connections on 127.0.0.1:port; fails early when the daemon exits. */
export async function waitListening(name: string, port: number, daemon: Daemon, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon.exited()) throw new PgsurgeError('LOCAL_START_FAILED', `${name} exited while starting:\n${tail(logFile, 10, '(no log)')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new PgsurgeError('LOCAL_START_FAILED', `${name} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000}s:\n${tail(logFile, 10, '(no log)')}`);
}

/** Whether `pid` is a running process whose command line names `program` (a zombie's is empty). */
export function isProgramPid(pid: number, program: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is the daemon that lives in `dir`: the program, with its output going to its own
 * directory (spawnDaemon opens it there). Pids wrap at 32,768 on small machines and tests start
 * daemons side by side, so a dead PgBouncer's pid may be another test's PgBouncer by now; its
 * program name alone would not tell them apart (Pgpool-II even retitles its processes).
 */
export function isDaemonPid(pid: number, program: string, dir: string): boolean {
  if (!isProgramPid(pid, program)) return false;
  try {
    return readlinkSync(`/proc/${pid}/fd/1`).startsWith(`${dir}/`);
  } catch (e) {
    // Another user's process: not one of ours to signal anyway unless root, who can read it.
    return (e as NodeJS.ErrnoException).code === 'EACCES';
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stop a daemon by pid (also one started by another process) and remove its directory: `signal`,
 * up to `graceMs` for the whole group to go, then SIGKILL to the group. Nothing is signalled when
 * `pid` is no longer `program`. A SIGKILL leaves what the daemon would have cleaned up (System V
 * shared memory of Pgpool-II): it is the last resort.
 */
export async function stopDaemonPid(pid: number, dir: string, o: { program: string; signal: NodeJS.Signals; graceMs: number }): Promise<void> {
  if (isDaemonPid(pid, o.program, dir)) {
    process.kill(pid, o.signal);
    const deadline = Date.now() + o.graceMs;
    while ((isProgramPid(pid, o.program) || groupAlive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (isProgramPid(pid, o.program) || groupAlive(pid)) killGroup(pid, 'SIGKILL');
  }
  live.get(pid)?.();
  live.delete(pid);
  rmSync(dir, { recursive: true, force: true });
}
