/**
 * CPU and memory of processes from /proc (Linux): the local server's postmaster with its children,
 * and pgsurge itself. Reads are synchronous and small (one stat + one statm per process), taken once
 * per interval on the main thread.
 *
 * Limits, on purpose: CPU of a child that exited between two readings is lost (the load's backends
 * live for the whole run, so this is short-lived helpers only); memory is Σ private resident pages
 * plus the largest shared resident set once (shared_buffers is mapped by every backend and would
 * otherwise be counted once per process).
 */
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { memoryUsage } from 'node:process';
import type { ProcessUsage } from './types.js';

/** USER_HZ: clock ticks per second in /proc/<pid>/stat. 100 on every Linux ABI Node runs on. */
const TICKS_PER_S = 100;
const PAGE_BYTES = 4096;

/** Cumulative CPU and current memory at one moment. */
export interface ProcReading {
  readonly atUs: number;
  /** CPU time, µs. */
  readonly cpuUs: number;
  readonly memoryBytes: number;
  readonly processes: number;
}

interface StatFields {
  readonly ppid: number;
  readonly cpuTicks: number;
}

/**
 * The /proc files of one sampler, kept open from one scan to the next: reading an open procfs
 * file again from offset 0 gives its contents now, so a scan costs one read per file instead of
 * open + read + close, which is what the main thread spent most of its scan time on with 500
 * backends (open 4.7 %, read 3.9 %, close 2.3 % of its profile in a `-c 500` run). A file whose
 * process has gone fails with ESRCH (also when its pid was given to another process since): it is
 * closed and reads as absent. Texts are read into one buffer kept for every read, since
 * readFileSync's stat, allocation and option parsing cost more than the read itself (with the
 * children listed from /proc/PID/task/PID/children rather than all of /proc, that took a scan of
 * 500 backends from 49.5 to 25.0 ms of CPU, medians of 3 alternating runs of 20 scans).
 *
 * `sweep()` after each scan closes the files not read in it; `close()` closes all of them, and
 * reads after it open and close each file as they go.
 */
export class ProcFiles {
  private readonly fds = new Map<string, number>();
  private readonly read = new Set<string>();
  private closed = false;

  /** The file's text now; `list` for a file of many records (read to its end). */
  text(path: string, list = false): string | undefined {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      try {
        fd = openSync(path, 'r');
      } catch {
        return undefined;
      }
    }
    let text: string | undefined;
    try {
      text = readFrom0(fd, list);
    } catch {
      text = undefined;
    }
    if (text !== undefined && !this.closed) {
      this.fds.set(path, fd);
      this.read.add(path);
    } else {
      this.fds.delete(path);
      closeSync(fd);
    }
    return text;
  }

  /** Closes the files not read since the last sweep. */
  sweep(): void {
    for (const [path, fd] of this.fds) {
      if (this.read.has(path)) continue;
      this.fds.delete(path);
      closeSync(fd);
    }
    this.read.clear();
  }

  close(): void {
    this.closed = true;
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.read.clear();
  }

  /** Files open now (for tests). */
  get openFiles(): number {
    return this.fds.size;
  }
}

/** One buffer for every read, grown when a file needs more (a postmaster's children file has ~7 bytes per backend). */
let procBuf = Buffer.allocUnsafe(4096);

/**
 * The file's text from offset 0: one read for a file of one record (stat, statm: a few hundred
 * bytes), reads up to end of file for a list (seq_file returns whole records only, so a read that
 * does not fill the buffer is not the end).
 */
function readFrom0(fd: number, list: boolean): string {
  let n = readSync(fd, procBuf, 0, procBuf.length, 0);
  if (list) {
    for (;;) {
      if (procBuf.length - n < 1024) {
        const bigger = Buffer.allocUnsafe(procBuf.length * 2);
        procBuf.copy(bigger, 0, 0, n);
        procBuf = bigger;
      }
      const more = readSync(fd, procBuf, n, procBuf.length - n, n);
      if (more === 0) break;
      n += more;
    }
  }
  return procBuf.toString('latin1', 0, n);
}

/**
 * The direct children of `pid`, from each of its threads' children file (Linux 3.5+, with
 * CONFIG_PROC_CHILDREN); undefined where there is none, and then the caller lists /proc.
 */
function childrenOf(pid: number, files: ProcFiles): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = files.text(`/proc/${pid}/task/${tid}/children`, true);
    if (text === undefined) return undefined;
    for (const w of text.split(' ')) if (w !== '' && w !== '\n') out.push(Number(w));
  }
  return out;
}

function readStat(pid: number, files: ProcFiles): StatFields | undefined {
  const text = files.text(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // comm (field 2) is in parentheses and may hold spaces; fields after it are space separated.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  const cpuTicks = Number(rest[11]) + Number(rest[12]); // utime + stime
  return Number.isFinite(ppid) && Number.isFinite(cpuTicks) ? { ppid, cpuTicks } : undefined;
}

function readStatm(pid: number, files: ProcFiles): { privateBytes: number; sharedBytes: number } | undefined {
  const text = files.text(`/proc/${pid}/statm`);
  if (text === undefined) return undefined;
  const [, resident, shared] = text.split(' ').map(Number);
  if (resident === undefined || shared === undefined || !Number.isFinite(resident) || !Number.isFinite(shared)) return undefined;
  return { privateBytes: Math.max(0, resident - shared) * PAGE_BYTES, sharedBytes: shared * PAGE_BYTES };
}

/**
 * The postmaster `rootPid` and its direct children (backends, checkpointer, walwriter, …), read
 * through `files` (kept open for the next scan; the caller sweeps them) or, without, each file
 * opened and closed.
 */
export function readProcessTree(rootPid: number, atUs: number, files: ProcFiles = oneOff()): ProcReading | undefined {
  const root = readStat(rootPid, files);
  if (root === undefined) return undefined;
  const pids = [rootPid];
  let cpuTicks = root.cpuTicks;
  const candidates = childrenOf(rootPid, files) ?? readdirSync('/proc').flatMap((name) => (/^\d+$/.test(name) ? [Number(name)] : []));
  for (const pid of candidates) {
    if (pid === rootPid) continue;
    // A child may have exited since it was listed, and its pid been given to another process.
    const st = readStat(pid, files);
    if (st === undefined || st.ppid !== rootPid) continue;
    pids.push(pid);
    cpuTicks += st.cpuTicks;
  }
  let privateBytes = 0;
  let sharedMax = 0;
  for (const pid of pids) {
    const m = readStatm(pid, files);
    if (m === undefined) continue;
    privateBytes += m.privateBytes;
    sharedMax = Math.max(sharedMax, m.sharedBytes);
  }
  return { atUs, cpuUs: (cpuTicks * 1_000_000) / TICKS_PER_S, memoryBytes: privateBytes + sharedMax, processes: pids.length };
}

function oneOff(): ProcFiles {
  const files = new ProcFiles();
  files.close();
  return files;
}

/** pgsurge itself: process.cpuUsage() covers every thread of the process (getrusage RUSAGE_SELF). */
export function readSelf(atUs: number): ProcReading {
  const u = process.cpuUsage();
  return { atUs, cpuUs: u.user + u.system, memoryBytes: memoryUsage.rss(), processes: 1 };
}

/** Usage over the span between two readings. */
export function usageBetween(a: ProcReading | undefined, b: ProcReading | undefined): ProcessUsage | null {
  if (b === undefined) return null;
  const spanUs = a === undefined ? 0 : b.atUs - a.atUs;
  const cpuPct = a === undefined || spanUs <= 0 ? null : Math.round(((b.cpuUs - a.cpuUs) / spanUs) * 1000) / 10;
  return { cpuPct: cpuPct === null ? null : Math.max(0, cpuPct), memoryBytes: b.memoryBytes, processes: b.processes };
}
