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
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
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
 * A small /proc file's text, read into one buffer kept for every read: readFileSync's stat, buffer
 * allocation and option parsing cost more than the read itself. With 500 backends a scan of the
 * server's processes took 49.5 ms of CPU with readFileSync and the whole of /proc listed, 25.0 ms
 * like this with the children read from /proc/PID/task/PID/children (medians of 3 alternating runs
 * of 20 scans). The scan runs on the main thread once per interval, beside the load's threads.
 */
const procBuf = Buffer.allocUnsafe(4096);
function readProcFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return procBuf.toString('latin1', 0, readSync(fd, procBuf, 0, procBuf.length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The direct children of `pid`, from each of its threads' children file (Linux 3.5+, with
 * CONFIG_PROC_CHILDREN); undefined where there is none, and then the caller lists /proc.
 */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const out: number[] = [];
  for (const tid of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1');
    } catch {
      return undefined;
    }
    for (const w of text.split(' ')) if (w !== '' && w !== '\n') out.push(Number(w));
  }
  return out;
}

function readStat(pid: number): StatFields | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // comm (field 2) is in parentheses and may hold spaces; fields after it are space separated.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  const cpuTicks = Number(rest[11]) + Number(rest[12]); // utime + stime
  return Number.isFinite(ppid) && Number.isFinite(cpuTicks) ? { ppid, cpuTicks } : undefined;
}

function readStatm(pid: number): { privateBytes: number; sharedBytes: number } | undefined {
  const text = readProcFile(`/proc/${pid}/statm`);
  if (text === undefined) return undefined;
  const [, resident, shared] = text.split(' ').map(Number);
  if (resident === undefined || shared === undefined || !Number.isFinite(resident) || !Number.isFinite(shared)) return undefined;
  return { privateBytes: Math.max(0, resident - shared) * PAGE_BYTES, sharedBytes: shared * PAGE_BYTES };
}

/** The postmaster `rootPid` and its direct children (backends, checkpointer, walwriter, …). */
export function readProcessTree(rootPid: number, atUs: number): ProcReading | undefined {
  const root = readStat(rootPid);
  if (root === undefined) return undefined;
  const pids = [rootPid];
  let cpuTicks = root.cpuTicks;
  const candidates = childrenOf(rootPid) ?? readdirSync('/proc').flatMap((name) => (/^\d+$/.test(name) ? [Number(name)] : []));
  for (const pid of candidates) {
    if (pid === rootPid) continue;
    // A child may have exited since it was listed, and its pid been given to another process.
    const st = readStat(pid);
    if (st === undefined || st.ppid !== rootPid) continue;
    pids.push(pid);
    cpuTicks += st.cpuTicks;
  }
  let privateBytes = 0;
  let sharedMax = 0;
  for (const pid of pids) {
    const m = readStatm(pid);
    if (m === undefined) continue;
    privateBytes += m.privateBytes;
    sharedMax = Math.max(sharedMax, m.sharedBytes);
  }
  return { atUs, cpuUs: (cpuTicks * 1_000_000) / TICKS_PER_S, memoryBytes: privateBytes + sharedMax, processes: pids.length };
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
