/**
 * Sequential vs parallel load of the purchases workload (`-D jobs=N`), with the server's CPU and
 * I/O over each load.
 *
 *   node dist/bench/purchases-jobs.js --url URL --postmaster PID [--rows 20000000] [--months 12] [--jobs 1,2,4]
 *
 * Each load is `pgsurge init purchases` (customers, products, purchases; no indexes), from scratch.
 * The server's figures come from /proc for the postmaster PID and its children, polled every
 * 250 ms: CPU (utime + stime) and bytes read and written at the storage layer (/proc/PID/io,
 * read_bytes / write_bytes). A process that exits between two polls loses at most its last 250 ms,
 * so the CPU figures are lower bounds. Needs to run as the server's user or root.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProcSample {
  cpuTicks: number;
  readBytes: number;
  writeBytes: number;
}

const TICKS_PER_S = 100; // USER_HZ on Linux

function readProc(pid: number): { ppid: number; sample: ProcSample } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces: state is field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    const cpuTicks = Number(rest[11]) + Number(rest[12]);
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
    return { ppid, sample: { cpuTicks, readBytes: field('read_bytes'), writeBytes: field('write_bytes') } };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** The last seen figures of the postmaster and each of its children, by pid, since `start`. */
class ServerWatch {
  private readonly first = new Map<number, ProcSample>();
  private readonly last = new Map<number, ProcSample>();
  /** After the first poll, a new process started during the load: all its figures count. */
  private started = false;
  constructor(private readonly postmaster: number) {}

  poll(): void {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      const p = readProc(pid);
      if (p === undefined || (pid !== this.postmaster && p.ppid !== this.postmaster)) continue;
      if (!this.first.has(pid)) this.first.set(pid, this.started ? { cpuTicks: 0, readBytes: 0, writeBytes: 0 } : p.sample);
      this.last.set(pid, p.sample);
    }
    this.started = true;
  }

  totals(): { cpuS: number; readMb: number; writeMb: number } {
    let ticks = 0;
    let read = 0;
    let write = 0;
    for (const [pid, l] of this.last) {
      const f = this.first.get(pid)!;
      ticks += l.cpuTicks - f.cpuTicks;
      read += l.readBytes - f.readBytes;
      write += l.writeBytes - f.writeBytes;
    }
    return { cpuS: ticks / TICKS_PER_S, readMb: read / 2 ** 20, writeMb: write / 2 ** 20 };
  }
}

async function load(url: string, rows: number, months: number, jobs: number, postmaster: number): Promise<string> {
  const args = ['dist/src/cli/bin.js', 'init', 'purchases', '--url', url, '-D', `purchases=${rows}`, '-D', `months=${months}`, '-D', `jobs=${jobs}`];
  args.push('-D', 'stages=customers,products,purchases');
  const loadAvgBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const watch = new ServerWatch(postmaster);
  watch.poll();
  const t0 = performance.now();
  const timer = setInterval(() => watch.poll(), 250);
  let stderr = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', resolve);
  });
  clearInterval(timer);
  watch.poll();
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`jobs=${jobs}: exit ${code}\n${stderr}`);
  const line = /purchases: purchases: (\S+ \S?) ?rows in ([0-9.]+) s \(([^)]+)\)/.exec(stderr);
  const t = watch.totals();
  const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `| ${jobs} | ${line?.[2] ?? '?'} | ${line?.[3] ?? '?'} | ${wallS.toFixed(1)} | ${t.cpuS.toFixed(1)} | ${(t.cpuS / wallS).toFixed(2)} | ${t.readMb.toFixed(0)} | ${t.writeMb.toFixed(0)} | ${loadAvgBefore} → ${loadAvg} |`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      postmaster: { type: 'string' },
      rows: { type: 'string', default: '20000000' },
      months: { type: 'string', default: '12' },
      jobs: { type: 'string', default: '1,2,4' },
    },
  });
  if (values.url === undefined || values.postmaster === undefined) throw new Error('--url and --postmaster are required');
  const rows = Number(values.rows);
  console.log(`${new Date().toISOString()}: ${rows} rows, ${values.months} months, jobs ${values.jobs}`);
  console.log(
    '| jobs | purchases load s (pgsurge) | rows/s (pgsurge) | init wall s | server CPU s | server cores busy (mean) | server read MiB | server write MiB | machine load average (1, 5, 15 min) before → after |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const jobs of values.jobs.split(',').map(Number)) {
    console.log(await load(values.url, rows, Number(values.months), jobs, Number(values.postmaster)));
  }
}

await main();
