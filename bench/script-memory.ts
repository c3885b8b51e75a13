/**
 * Memory per script statement: pgsurge and pgbench run pgbench scripts of N `select 1;` lines
 * (5,000, 50,000 and 550,000 by default) once to the end (-t 1, one client) against one throwaway
 * server, each under /usr/bin/time -v for its peak RSS. Memory per statement = (RSS(largest) − RSS(smallest)) / (statements between
 * them); the target is ≤ 10 KB per statement. pgsurge's result must also have one per-statement
 * entry per script line, each with its executions counted.
 *
 *   node dist/bench/script-memory.js                    5000,50000,550000, -M simple
 *   node dist/bench/script-memory.js --sizes 2000,20000 --protocol prepared
 *   … --write                                           also write bench/SCRIPT-MEMORY.md
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalServer } from '../src/local/server.js';
import { PGBENCH, PGSURGE_BIN } from './lib/clients.js';
import { cleanEnv } from './lib/exec.js';
import { describeMachine, loadAverage } from './lib/machine.js';

const TARGET_KB_PER_STATEMENT = 10;
const OUT_MD = fileURLToPath(new URL('../../bench/SCRIPT-MEMORY.md', import.meta.url));

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000,50000,550000' },
    protocol: { type: 'string', default: 'simple' },
    'pgbench-timeout': { type: 'string', default: '120' },
    write: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const protocol = values.protocol;
if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n <= 0) || !['simple', 'extended', 'prepared'].includes(protocol)) {
  throw new Error('--sizes: two or more positive integers; --protocol: simple, extended or prepared');
}
/** pgbench 15 reads a script in time quadratic in its length (5,000 statements 2 s, 50,000 52 s here): it is stopped after this. */
const pgbenchTimeoutS = Number(values['pgbench-timeout']);
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

interface Measured {
  readonly maxRssKiB: number;
  readonly wallS: number;
  readonly status: number | null;
  readonly stderr: string;
}

/** Runs `cmd` under /usr/bin/time -v; peak RSS of the process (all its threads) and wall time. */
function timed(cmd: string, args: readonly string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolve({ maxRssKiB: m ? Number(m[1]) : NaN, wallS: Number(process.hrtime.bigint() - started) / 1e9, status, stderr });
    });
  });
}

interface Row {
  readonly statements: number;
  readonly pgsurge: Measured;
  readonly pgbench: Measured;
  /** Per-statement entries in pgsurge's result, and how many of them counted an execution. */
  readonly entries: number;
  readonly executed: number;
  readonly transactions: number;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-script-memory-'));
  const server = await startLocalServer({ settings: { fsync: 'off', synchronous_commit: 'off' }, log });
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      const script = join(dir, `select-${n}.sql`);
      writeFileSync(script, 'select 1;\n'.repeat(n));
      const json = join(dir, `result-${n}.json`);
      log(`pgsurge, ${n} statements`);
      const pgsurge = await timed(process.execPath, [
        PGSURGE_BIN,
        'run',
        '--url',
        server.url,
        '-f',
        script,
        '-c',
        '1',
        '-t',
        '1',
        '-M',
        protocol,
        '-n',
        '-r',
        '--json',
        json,
      ]);
      if (pgsurge.status !== 0) throw new Error(`pgsurge exited with ${pgsurge.status}:\n${pgsurge.stderr}`);
      const result = JSON.parse(readFileSync(json, 'utf8')) as {
        summary: { transactions: number };
        transactionTypes: Record<string, { statements: { count: number }[] }>;
      };
      const statements = Object.values(result.transactionTypes)[0]?.statements ?? [];
      log(`pgbench, ${n} statements`);
      // timeout(1) exits 124 when it stopped pgbench; /usr/bin/time still reports pgbench's peak RSS (a reaped child's).
      const pgbench = await timed('timeout', [String(pgbenchTimeoutS), PGBENCH, '-n', '-f', script, '-c', '1', '-t', '1', '-M', protocol, server.url]);
      if (pgbench.status !== 0 && pgbench.status !== 124) throw new Error(`pgbench exited with ${pgbench.status}:\n${pgbench.stderr}`);
      rows.push({
        statements: n,
        pgsurge,
        pgbench,
        entries: statements.length,
        executed: statements.filter((s) => s.count > 0).length,
        transactions: result.summary.transactions,
      });
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const perStatementKb = (last.pgsurge.maxRssKiB - first.pgsurge.maxRssKiB) / (last.statements - first.statements);
  const pgbenchKb = (last.pgbench.maxRssKiB - first.pgbench.maxRssKiB) / (last.statements - first.statements);
  const complete = rows.every((r) => r.entries === r.statements);
  const pass = perStatementKb <= TARGET_KB_PER_STATEMENT && complete;
  const machine = describeMachine();
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  const md = [
    '# Memory per script statement',
    '',
    `Written by \`node dist/bench/script-memory.js --sizes ${sizes.join(',')} --protocol ${protocol} --write\` (bench/script-memory.ts).`,
    'Scripts of N `select 1;` lines, each run once to the end by one client, the two clients one after the',
    'other on one throwaway server (fsync off):',
    `\`pgsurge run -f SCRIPT -c 1 -t 1 -M ${protocol} -n -r --json …\` and \`pgbench -n -f SCRIPT -c 1 -t 1 -M ${protocol}\`; peak RSS from \`/usr/bin/time -v\`.`,
    '',
    `- Date: ${startedAt.toISOString()}`,
    `- Machine: ${machine.nproc} CPUs, ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB; load average before ${loadBefore}, after ${loadAverage()}`,
    `- Node.js ${machine.node}; ${machine.pgbench}; commit ${machine.commit}`,
    '',
    '| statements | pgsurge peak RSS MiB | pgsurge wall s | transactions | per-statement entries (executed) | pgbench peak RSS MiB |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.statements} | ${mib(r.pgsurge.maxRssKiB)} | ${r.pgsurge.wallS.toFixed(1)} | ${r.transactions} | ${r.entries} (${r.executed}) | ${mib(r.pgbench.maxRssKiB)}${r.pgbench.status === 124 ? ` (stopped after ${pgbenchTimeoutS} s, unfinished)` : ''} |`,
    ),
    '',
    '| target | measured | result |',
    '|---|---|---|',
    `| memory per statement ≤ ${TARGET_KB_PER_STATEMENT} KB: (RSS(${last.statements}) − RSS(${first.statements})) / ${last.statements - first.statements} | pgsurge ${perStatementKb.toFixed(2)} KB (pgbench ${pgbenchKb.toFixed(3)} KB${last.pgbench.status === 124 ? ', at least' : ''}) | ${perStatementKb <= TARGET_KB_PER_STATEMENT ? 'PASS' : 'FAIL'} |`,
    `| every script statement has its entry in the result | ${complete ? 'yes' : 'no'} | ${complete ? 'PASS' : 'FAIL'} |`,
    '',
    'Wall time includes start-up (compiling the script in the main thread and in the worker, priming). With',
    '-M prepared pgsurge also prepares every statement before the run, one round trip each, on its priming',
    'stand-in server and on the real one; pgbench prepares each statement when it first runs it. pgbench',
    `reads a script in time quadratic in its length, so it is stopped after ${pgbenchTimeoutS} s (--pgbench-timeout): its`,
    'figure is then its peak RSS until then, and its per-statement figure a lower bound.',
    '',
    'Before per-statement histograms were made sparse (commit 005af0a, measured by hand on 2026-12-07 with',
    '`pgsurge run -f SCRIPT -c 1 -T 5s -n -r`, -M prepared): 5,000 statements 1,575 MiB peak RSS (about 300 KB',
    'per statement: a 94 KB WebAssembly histogram per statement in the worker and a 188 KB one on the main',
    'thread); 50,000 statements still starting after 10 minutes at 10.1 GiB, stopped; 550,000 killed at 23.6 GB',
    '(the issue).',
    '',
  ].join('\n');
  process.stdout.write(md);
  if (values.write) writeFileSync(OUT_MD, md);
  return pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
