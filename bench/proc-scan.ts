/**
 * The CPU of one scan of a local server's processes (src/observe/proc-stats.ts), which the main
 * thread makes once per interval: a throwaway server with N open connections (idle, or running
 * select-only at full speed with --busy), scanned `scans` times in a row with each /proc file opened
 * and closed per read ("one-off"), then as many times with the files kept open between scans
 * ("kept open"), alternating for `rounds` rounds. CPU per scan is this process's user + system
 * time (process.cpuUsage) over the scans; medians over the rounds, and their ratio.
 *
 *   node dist/bench/proc-scan.js                       500 connections, idle
 *   node dist/bench/proc-scan.js --connections 1000 --busy --write   also write bench/PROC-SCAN.md
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startLocalServer } from '../src/local/server.js';
import { ProcFiles, readProcessTree } from '../src/observe/proc-stats.js';
import { PGBENCH } from './lib/clients.js';
import { cleanEnv } from './lib/exec.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { median } from './lib/stats.js';

const OUT_MD = fileURLToPath(new URL('../../bench/PROC-SCAN.md', import.meta.url));

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '500' },
    scans: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    busy: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const connections = Number(values.connections);
const scans = Number(values.scans);
const rounds = Number(values.rounds);
if (![connections, scans, rounds].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--connections, --scans, --rounds: positive integers');
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

/** CPU µs per scan over `scans` scans of `pid`'s tree, and the processes the last one saw. */
function measure(pid: number, files: ProcFiles | undefined): { usPerScan: number; processes: number } {
  let processes = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < scans; i++) {
    processes = readProcessTree(pid, i, files)?.processes ?? 0;
    files?.sweep();
  }
  const used = process.cpuUsage(before);
  return { usPerScan: (used.user + used.system) / scans, processes };
}

const machine = describeMachine();
const server = await startLocalServer({ settings: { max_connections: String(connections + 50), fsync: 'off' }, log });
const clients: pg.Client[] = [];
let load: ReturnType<typeof spawn> | undefined;
try {
  const conn = { host: server.host, port: server.port, user: server.user, database: server.database };
  if (values.busy) {
    const init = spawn(PGBENCH, ['-i', '-q', '-s', '1', '-h', server.host, '-p', String(server.port), '-U', server.user, server.database], {
      env: cleanEnv(),
      stdio: 'ignore',
    });
    await new Promise((resolve) => init.on('exit', resolve));
    // The load's connections are the scanned backends: all of them busy.
    load = spawn(
      PGBENCH,
      ['-S', '-n', '-c', String(connections), '-j', '2', '-T', '3600', '-h', server.host, '-p', String(server.port), '-U', server.user, server.database],
      {
        env: cleanEnv(),
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 600 && (readProcessTree(server.pid, 0)?.processes ?? 0) < connections; i++) await new Promise((r) => setTimeout(r, 100));
  } else {
    for (let i = 0; i < connections; i++) {
      const c = new pg.Client(conn);
      await c.connect();
      clients.push(c);
    }
  }
  const kept = new ProcFiles();
  const oneOff: number[] = [];
  const keptOpen: number[] = [];
  let processes = 0;
  for (let r = 0; r < rounds; r++) {
    const a = measure(server.pid, undefined);
    const b = measure(server.pid, kept);
    oneOff.push(a.usPerScan);
    keptOpen.push(b.usPerScan);
    processes = b.processes;
    log(`round ${r + 1}: one-off ${(a.usPerScan / 1000).toFixed(2)} ms, kept open ${(b.usPerScan / 1000).toFixed(2)} ms per scan of ${b.processes} processes`);
  }
  kept.close();
  const ratio = median(keptOpen) / median(oneOff);
  const md = [
    '# CPU of one scan of the local server’s processes',
    '',
    `Measured by \`node dist/bench/proc-scan.js --connections ${connections}${values.busy ? ' --busy' : ''} --write\` (bench/proc-scan.ts) on ${new Date().toISOString().slice(0, 10)}, at commit ${machine.commit}.`,
    `Machine: ${machine.nproc} CPUs, ${machine.cpuModel}, Node.js ${machine.node}; load average at the end ${loadAverage()}.`,
    '',
    `A throwaway server with ${connections} connections (${values.busy ? 'pgbench select-only at full speed on all of them' : 'idle'}), ${processes} processes scanned; ${rounds} rounds of ${scans} scans each way, alternating. CPU is the bench process's user + system time.`,
    '',
    '| /proc files | CPU per scan, median ms | rounds, ms |',
    '|---|---|---|',
    `| opened and closed per read | ${(median(oneOff) / 1000).toFixed(2)} | ${oneOff.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    `| kept open between scans | ${(median(keptOpen) / 1000).toFixed(2)} | ${keptOpen.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    '',
    `Kept open / one-off: **${ratio.toFixed(2)}**.`,
    '',
  ].join('\n');
  process.stdout.write(md);
  if (values.write) writeFileSync(OUT_MD, md);
} finally {
  load?.kill('SIGINT');
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await server.stop();
}
