/**
 * Where a select-only transaction's client CPU goes at few and at many clients: pgbench, the Node.js
 * floor (bench/node-floor.ts) and pgsurge, each profiled with Linux perf over the same window of its
 * load phase. It answers "what is left" when bench/MANY-CLIENTS.md marks client CPU per transaction
 * FAIL: which part (kernel, runtime, JavaScript) grows with the client count, and in which functions.
 *
 *   npm run bench:many-profile                 2 rounds, -c 8 and -c 500, 8 s windows
 *   … -- --write                               also write bench/MANY-PROFILE.md
 *   Options: --clients 8,500  --rounds N  --seconds N (window)  --jobs N
 *
 * Needs `perf` (Debian: linux-perf) allowed to sample the clients (root, or perf_event_paranoid ≤ 1).
 *
 * Each run: the client starts with a long -T; when its load has begun (its first progress line; the
 * floor says so on stderr) and WARM_S more seconds have passed, the harness reads the client's CPU
 * (/proc/PID/stat) and the server's committed transactions, samples the client with `perf record`
 * for the window, reads both again, and stops the client. CPU per transaction = Δ CPU / Δ commits
 * (bench/lib/load-window.ts's counter); perf's samples split it by where they landed. JavaScript
 * is seen through `--perf-basic-prof` (NODE_OPTIONS), which only names the JIT's code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_SETTINGS, runMain, serverVersion, settingsText, withBenchServer } from './lib/bench-server.js';
import { PGBENCH, PGSURGE_BIN, type Target } from './lib/clients.js';
import { cleanEnv, cpuUsOf } from './lib/exec.js';
import { CommitCounter } from './lib/load-window.js';
import { intArg } from './lib/args.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { median } from './lib/stats.js';

const OUT_MD = fileURLToPath(new URL('../../bench/MANY-PROFILE.md', import.meta.url));
const NODE_FLOOR = fileURLToPath(new URL('./node-floor.js', import.meta.url));
const SCALE = 10;
/** After the load begins: backends' first statements and the JIT's first compilations are not the steady state. */
const WARM_S = 3;
const PERF_HZ = 999;
const START_TIMEOUT_MS = 120_000;

const { values } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    clients: { type: 'string', default: '8,500' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    jobs: { type: 'string' },
  },
});

const clientCounts = values.clients.split(',').map((v) => intArg('clients', v.trim(), 0));
const rounds = intArg('rounds', values.rounds, 2);
const windowS = intArg('seconds', values.seconds, 8);
const jobs = intArg('jobs', values.jobs, availableParallelism());
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

type Who = 'pgbench' | 'node-floor' | 'pgsurge';
const WHO: readonly Who[] = ['pgbench', 'node-floor', 'pgsurge'];
/** Where a sample landed: the kernel, the program's own binary (V8, libuv, Node's C++; pgbench), its libraries, JIT-compiled JavaScript. */
type Part = 'kernel' | 'program' | 'libpq' | 'libc' | 'JavaScript (JIT)' | 'other';
const PARTS: readonly Part[] = ['kernel', 'program', 'libpq', 'libc', 'JavaScript (JIT)', 'other'];

interface Profile {
  readonly cpuUsPerTxn: number;
  readonly commitRate: number;
  /** µs per transaction by part. */
  readonly parts: ReadonlyMap<Part, number>;
  /** µs per transaction by JavaScript function (JIT code only), name and place. */
  readonly functions: ReadonlyMap<string, number>;
}

function partOf(dso: string): Part {
  if (dso.startsWith('[kernel')) return 'kernel';
  if (dso.startsWith('[JIT]')) return 'JavaScript (JIT)';
  if (dso === 'node' || dso === 'pgbench') return 'program';
  if (dso.startsWith('libpq')) return 'libpq';
  if (dso.startsWith('libc')) return 'libc';
  return 'other';
}

/** "JS:*onBytes file:///…/dist/src/driver/session.js:190:15" → "onBytes (driver/session.js)". */
function functionName(sym: string): string {
  const m = /^JS:[*^~]?(\S*) (\S+?)(?::\d+)*$/.exec(sym);
  if (m === null) return sym;
  const place = m[2]!.replace(/^file:\/\/.*?\/dist\/(src|bench)\//, '');
  return `${m[1] === '' ? '(anonymous)' : m[1]} (${place})`;
}

/** Shares of perf's samples by dso and symbol: `perf report --sort dso,sym`, each line "  12.34%  dso  [.] sym". */
function readPerf(file: string): { byDso: Map<string, number>; bySym: Map<string, number> } {
  const r = spawnSync('perf', ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '--stdio'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`perf report failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  const byDso = new Map<string, number>();
  const bySym = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(\S.*?)\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (m === null) continue;
    const share = Number(m[1]) / 100;
    const dso = m[2]!.trim();
    byDso.set(dso, (byDso.get(dso) ?? 0) + share);
    if (dso.startsWith('[JIT]')) {
      const f = functionName(m[3]!.trim());
      bySym.set(f, (bySym.get(f) ?? 0) + share);
    }
  }
  return { byDso, bySym };
}

function command(who: Who, target: Target, clients: number): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const env = cleanEnv();
  const long = '600';
  if (who === 'pgbench') {
    const args = ['-b', 'select-only', '-c', String(clients), '-j', String(jobs), '-T', long, '-M', 'prepared', '-n', '-P', '1'];
    return { cmd: PGBENCH, args: [...args, '-h', target.host, '-p', String(target.port), '-U', target.user, target.database], env };
  }
  env['NODE_OPTIONS'] = '--perf-basic-prof';
  if (who === 'node-floor') {
    const args = [NODE_FLOOR, target.host, String(target.port), target.user, target.database, String(clients), String(jobs), long, String(SCALE)];
    return { cmd: process.execPath, args, env };
  }
  // As a user runs it: the program itself (its first line's settings), server sampling on.
  const args = [
    'run',
    '--url',
    target.url,
    '-b',
    'select-only',
    '-c',
    String(clients),
    '-j',
    String(jobs),
    '-T',
    `${long}s`,
    '-M',
    'prepared',
    '-n',
    '-P',
    '1',
  ];
  return { cmd: PGSURGE_BIN, args, env };
}

/** Resolves when the client's output shows its load has begun; rejects when it exits first. */
function loadBegun(child: ChildProcess, who: Who): Promise<void> {
  const sign = /^progress:|load started/m;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${who}: no load within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const on = (d: Buffer): void => {
      out = (out + d.toString('utf8')).slice(-4096);
      if (sign.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${who} exited (${code}) before its load began:\n${out.slice(-600)}`));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function profileOne(who: Who, target: Target, clients: number, counter: CommitCounter, dir: string): Promise<Profile> {
  const { cmd, args, env } = command(who, target, clients);
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await loadBegun(child, who);
    await sleep(WARM_S * 1000);
    const file = join(dir, `${who}-${clients}.data`);
    const c0 = await counter.read();
    const t0 = performance.now();
    const cpu0 = cpuUsOf(pid);
    const perf = spawnSync('perf', ['record', '-F', String(PERF_HZ), '-p', String(pid), '-o', file, '--', 'sleep', String(windowS)], { encoding: 'utf8' });
    const cpu1 = cpuUsOf(pid);
    const c1 = await counter.read();
    const seconds = (performance.now() - t0) / 1000;
    if (perf.status !== 0) throw new Error(`perf record failed: ${perf.stderr.trim().split('\n').pop() ?? ''}`);
    if (cpu0 === undefined || cpu1 === undefined) throw new Error(`${who} exited during the window`);
    const txns = c1 - c0;
    if (!(txns > 0)) throw new Error(`${who}: no transaction committed in the window`);
    const cpuUsPerTxn = (cpu1 - cpu0) / txns;
    const { byDso, bySym } = readPerf(file);
    const total = [...byDso.values()].reduce((a, b) => a + b, 0);
    const parts = new Map<Part, number>();
    for (const [dso, share] of byDso) parts.set(partOf(dso), (parts.get(partOf(dso)) ?? 0) + (share / total) * cpuUsPerTxn);
    const functions = new Map<string, number>();
    for (const [f, share] of bySym) functions.set(f, (share / total) * cpuUsPerTxn);
    return { cpuUsPerTxn, commitRate: txns / seconds, parts, functions };
  } finally {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await exited;
    rmSync(`/tmp/perf-${pid}.map`, { force: true }); // --perf-basic-prof's symbol map
  }
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

function markdown(results: ReadonlyMap<string, Profile[]>, facts: string[]): string {
  const key = (who: Who, c: number): string => `${who} -c ${c}`;
  const med = (ps: readonly Profile[], pick: (p: Profile) => number): number => median(ps.map(pick));
  const lines: string[] = [];
  lines.push('# Many clients: where the client CPU per transaction goes', '');
  lines.push(
    `Written by \`node dist/bench/many-profile.js --write\` (bench/many-profile.ts). select-only, \`-M prepared\`, \`-j ${jobs}\`, one`,
    `throwaway server (scale ${SCALE}); per client count, pgbench, the Node.js floor and pgsurge in turn, ${rounds} round(s). Each figure is`,
    `the median over the rounds. The machine is shared and noisy: read the ratios and the split, not the absolute figures.`,
    '',
    ...facts.map((f) => `- ${f}`),
    '',
    '## CPU per transaction and where it went (µs)',
    '',
    `CPU: the client process's user + sys over a ${windowS} s window of its load, per transaction the server committed in it.`,
    "The split: perf's samples in that window by where they landed. program: the client's own binary (pgbench; for",
    "Node, `node`: V8's builtins and garbage collector, libuv, Node's C++). JavaScript (JIT): compiled JavaScript code",
    '(code still in the interpreter counts under program).',
    '',
    `| clients | client | runs | TPS (server) | CPU µs/txn | ratio to pgbench | ${PARTS.join(' | ')} |`,
    `|---|---|---|---|---|---|${PARTS.map(() => '---').join('|')}|`,
  );
  for (const c of clientCounts) {
    const base = results.get(key('pgbench', c)) ?? [];
    for (const who of WHO) {
      const ps = results.get(key(who, c)) ?? [];
      if (ps.length === 0) {
        lines.push(`| ${c} | ${who} | 0 | | | | ${PARTS.map(() => '').join(' | ')} |`);
        continue;
      }
      const cpu = med(ps, (p) => p.cpuUsPerTxn);
      const ratio = who === 'pgbench' || base.length === 0 ? '' : (cpu / med(base, (p) => p.cpuUsPerTxn)).toFixed(2);
      const parts = PARTS.map((part) => f1(med(ps, (p) => p.parts.get(part) ?? 0)));
      lines.push(`| ${c} | ${who} | ${ps.length} | ${Math.round(med(ps, (p) => p.commitRate))} | ${f1(cpu)} | ${ratio} | ${parts.join(' | ')} |`);
    }
  }
  lines.push('', '## JavaScript by function (µs per transaction, JIT code)', '');
  lines.push("The functions that cost pgsurge the most at the largest client count, beside their cost at the others and the floor's total.", '');
  const top = clientCounts[clientCounts.length - 1]!;
  const fnMed = (who: Who, c: number, f: string): number => med(results.get(key(who, c)) ?? [], (p) => p.functions.get(f) ?? 0);
  const names = new Set<string>();
  for (const p of results.get(key('pgsurge', top)) ?? []) for (const f of p.functions.keys()) names.add(f);
  const ranked = [...names].map((f) => [f, fnMed('pgsurge', top, f)] as const).sort((a, b) => b[1] - a[1]);
  lines.push(`| function | ${clientCounts.map((c) => `pgsurge -c ${c}`).join(' | ')} | growth |`, `|---|${clientCounts.map(() => '---').join('|')}|---|`);
  for (const [f] of ranked.slice(0, 12)) {
    const vs = clientCounts.map((c) => fnMed('pgsurge', c, f));
    const growth = vs[0]! > 0 ? `${(vs[vs.length - 1]! / vs[0]!).toFixed(1)}×` : '';
    lines.push(`| ${f.replace(/\|/g, '\\|')} | ${vs.map(f1).join(' | ')} | ${growth} |`);
  }
  const js = (who: Who, c: number): number => med(results.get(key(who, c)) ?? [], (p) => p.parts.get('JavaScript (JIT)') ?? 0);
  lines.push(`| all JavaScript, pgsurge | ${clientCounts.map((c) => f1(js('pgsurge', c))).join(' | ')} | |`);
  lines.push(`| all JavaScript, node-floor | ${clientCounts.map((c) => f1(js('node-floor', c))).join(' | ')} | |`);
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<number> {
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('perf is not installed (Debian: apt-get install linux-perf)');
  const maxClients = Math.max(...clientCounts);
  const settings = { ...BENCH_SETTINGS, max_connections: maxClients + 100 };
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-profile-'));
  const loadBefore = loadAverage();
  try {
    return await withBenchServer(
      SCALE,
      log,
      async (target) => {
        const counter = await CommitCounter.open(target);
        const results = new Map<string, Profile[]>();
        try {
          for (let r = 0; r < rounds; r++) {
            for (const c of clientCounts) {
              for (const who of WHO) {
                log(`round ${r + 1}/${rounds}: ${who} -c ${c}`);
                try {
                  const p = await profileOne(who, target, c, counter, dir);
                  log(`  ${f1(p.cpuUsPerTxn)} µs/txn at ${Math.round(p.commitRate)} TPS`);
                  const k = `${who} -c ${c}`;
                  results.set(k, [...(results.get(k) ?? []), p]);
                } catch (e) {
                  log(`  failed: ${e instanceof Error ? e.message : String(e)}`);
                }
                await sleep(2000); // the backends of the client just stopped go away
              }
            }
          }
          const m = describeMachine();
          const facts = [
            `Date: ${new Date().toISOString()}`,
            `Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}; load average (1, 5, 15 min) before ${loadBefore}, after ${loadAverage()}`,
            `${m.node === process.version ? `Node.js ${m.node}` : m.node}; ${m.pgbench}; server ${await serverVersion(target)}; ${spawnSync('perf', ['--version'], { encoding: 'utf8' }).stdout.trim()}`,
            `Commit: ${m.commit}`,
            `Server settings: ${settingsText(settings)}; perf record -F ${PERF_HZ} over ${windowS} s, ${WARM_S} s after the load began`,
          ];
          const md = markdown(results, facts);
          process.stdout.write(md);
          if (values.write) writeFileSync(OUT_MD, md);
          return [...results.values()].length === clientCounts.length * WHO.length ? 0 : 1;
        } finally {
          await counter.close();
        }
      },
      settings,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
