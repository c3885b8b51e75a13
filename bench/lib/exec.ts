/**
 * Run a benchmark client and measure it from outside: wall time, and the CPU time (user + sys) of
 * the client's whole process tree.
 *
 * Why a shell: Node cannot read a child's rusage, but a POSIX shell's `times` builtin prints the
 * user and sys time of all the children it has waited for (and theirs, transitively), after the
 * child exited — so nothing is lost between the last sample and the exit, and worker threads
 * (pgbench -j, pgsurge -j) are included since they are threads of the one child. The shell also
 * reports the child's pid on fd 3, so RSS can be sampled from /proc/<pid>/status while it runs.
 * `times` has 10 ms resolution; over runs of seconds at tens of thousands of TPS that is < 0.1 µs per
 * transaction. Process start-up and connection set-up are included for both tools alike.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** user + sys of the child process tree, µs. */
  readonly cpuUs: number;
}

export interface ExecOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Called once with the client's pid, when the shell reports it. */
  readonly onPid?: (pid: number) => void;
  readonly timeoutMs?: number;
}

/** Children still running, killed by `killAll` on Ctrl-C or error (the process group of each). */
const running = new Set<number>();

export function killAll(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}

/** "0m1.230s" → µs. */
function clockToUs(s: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(s);
  if (m === null) throw new Error(`cannot parse times output "${s}"`);
  return Math.round((Number(m[1]) * 60 + Number(m[2])) * 1e6);
}

/** Parse `times` output: the second line is the children's "user sys". */
export function parseTimes(out: string): number {
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => /^\d+m/.test(l));
  const children = lines[lines.length - 1];
  if (children === undefined) throw new Error(`no times output in "${out}"`);
  const [user, sys] = children.trim().split(/\s+/);
  if (user === undefined || sys === undefined) throw new Error(`cannot parse times output "${children}"`);
  return clockToUs(user) + clockToUs(sys);
}

const WRAPPER = '"$@" & pid=$!; echo "pid $pid" >&3; wait $pid; st=$?; times >&3; exit $st';

export function execMeasured(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // detached: its own process group, so Ctrl-C reaches us first and we stop the client ourselves.
    const child = spawn('sh', ['-c', WRAPPER, 'sh', cmd, ...args], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const pgid = child.pid;
    if (pgid !== undefined) running.add(pgid);
    let stdout = '';
    let stderr = '';
    let fd3 = '';
    let pidReported = false;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const side = child.stdio[3];
    if (side !== null && side !== undefined && 'on' in side) {
      side.on('data', (d: Buffer) => {
        fd3 += d.toString();
        const m = /^pid (\d+)$/m.exec(fd3);
        if (m !== null && !pidReported) {
          pidReported = true;
          opts.onPid?.(Number(m[1]));
        }
      });
    }
    const timer = setTimeout(
      () => {
        if (pgid !== undefined) process.kill(-pgid, 'SIGKILL');
      },
      opts.timeoutMs ?? 30 * 60_000,
    );
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pgid !== undefined) running.delete(pgid);
      const wallMs = performance.now() - t0;
      let cpuUs = Number.NaN;
      try {
        cpuUs = parseTimes(fd3);
      } catch {
        /* killed before `times` ran: CPU unknown */
      }
      resolve({ code, stdout, stderr, wallMs, cpuUs });
    });
  });
}

/** A "kB" line of /proc/<pid>/status (VmRSS, VmHWM, …) of a live process, KiB; undefined once it is gone. */
function statusKiB(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Resident set size of a live process, KiB; undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  return statusKiB(pid, 'VmRSS');
}

/** Peak resident set size of a live process so far (VmHWM), KiB; undefined once it is gone. */
export function peakRssKiB(pid: number): number | undefined {
  return statusKiB(pid, 'VmHWM');
}

/**
 * Follow a process's peak RSS (VmHWM, which only grows) every `everyMs` until it exits or `stop` is
 * called. The last reading is at most `everyMs` before the exit: a peak reached in that last moment
 * (a result file written at the very end) is missed, for every client alike.
 */
export function watchPeakRss(pid: number, everyMs = 100): { result: { kib: number }; stop: () => void } {
  const result = { kib: Number.NaN };
  const read = (): void => {
    const kib = peakRssKiB(pid);
    if (kib !== undefined) result.kib = Number.isFinite(result.kib) ? Math.max(result.kib, kib) : kib;
  };
  read();
  const timer = setInterval(read, everyMs);
  return { result, stop: () => clearInterval(timer) };
}

/** The environment without PG* variables, so each client connects only where we tell it. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return env;
}

/** utime + stime of a live process (all its threads), µs; undefined once it is gone. */
export function cpuUsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime, stime are 14, 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / CLOCK_TICKS_HZ) * 1e6;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux platform Node supports. */
const CLOCK_TICKS_HZ = 100;

export interface CpuWindow {
  /** CPU µs used between the two marks; NaN if a mark was missed. */
  cpuUs: number;
  /** Wall seconds between the two reads. */
  seconds: number;
}

/**
 * Read a process's CPU at two marks (seconds after `start`) and report the difference: the steady
 * state of a run, without process start-up, connecting and shut-down. The caller picks marks that lie
 * inside the load phase.
 */
export function cpuWindow(pid: number, fromS: number, toS: number): { result: CpuWindow; cancel: () => void } {
  const result: CpuWindow = { cpuUs: Number.NaN, seconds: Number.NaN };
  let first: { cpuUs: number; t: number } | undefined;
  const a = setTimeout(() => {
    const cpuUs = cpuUsOf(pid);
    if (cpuUs !== undefined) first = { cpuUs, t: performance.now() };
  }, fromS * 1000);
  const b = setTimeout(() => {
    const cpuUs = cpuUsOf(pid);
    if (cpuUs === undefined || first === undefined) return;
    result.cpuUs = cpuUs - first.cpuUs;
    result.seconds = (performance.now() - first.t) / 1000;
  }, toS * 1000);
  return {
    result,
    cancel: () => {
      clearTimeout(a);
      clearTimeout(b);
    },
  };
}
