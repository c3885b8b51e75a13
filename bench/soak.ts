/**
 * Soak (requirement: "a 1-hour run at full speed keeps RSS flat after its first minute", at -c 16 and
 * -c 1000): one pgsurge run per client count, all at the same time against one throwaway server, each
 * process's RSS and CPU read from /proc every few seconds; per client count the RSS from minute 1 to
 * the end and a PASS/FAIL on it (bench/lib/soak-report.ts).
 *
 *   npm run bench:soak                          full: 60 minutes, -c 16 and -c 1000 together
 *   npm run bench:soak -- --quick               harness check: 1 minute (also when CI=true)
 *   … --write                                   also write bench/SOAK.md and bench/soak-samples.json
 *
 * Options: --minutes N  --clients 16,1000  --jobs N  --scale N  --sample-seconds N
 *          --builtin select-only|tpcb-like
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_SETTINGS, runMain, serverVersion, settingsText, withBenchServer } from './lib/bench-server.js';
import { ClientFailed, PGSURGE_BIN, type Target, type Workload } from './lib/clients.js';
import { cleanEnv, cpuUsOf, execMeasured, peakRssKiB, rssKiB } from './lib/exec.js';
import { intArg } from './lib/args.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { errorLine } from './lib/many-cases.js';
import { soakMarkdown, type Sample, type SoakOutcome, type SoakRun } from './lib/soak-report.js';

const OUT_MD = fileURLToPath(new URL('../../bench/SOAK.md', import.meta.url));
const OUT_SAMPLES = fileURLToPath(new URL('../../bench/soak-samples.json', import.meta.url));
/** Seconds a run may take beyond its -T (start-up, connecting 1000 clients, grace, the result) before it counts as hung. */
const HANG_MARGIN_S = 600;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    clients: { type: 'string', default: '16,1000' },
    jobs: { type: 'string' },
    scale: { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '10' },
    builtin: { type: 'string', default: 'select-only' },
  },
});

const quick = values.quick || process.env['CI'] === 'true';
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const minutes = intArg('minutes', values.minutes, quick ? 1 : 60);
const clients = values.clients.split(',').map((s) => intArg('clients', s.trim(), 0));
const jobs = intArg('jobs', values.jobs, availableParallelism());
const scale = intArg('scale', values.scale, 10);
const sampleS = intArg('sample-seconds', values['sample-seconds'], 10);
const builtin = values.builtin as Workload['builtin'];
if (builtin !== 'select-only' && builtin !== 'tpcb-like') throw new Error(`--builtin: select-only or tpcb-like, got "${values.builtin}"`);

/** The runs are concurrent, so their connections add up; +100 for the harness and pgsurge's samplers. */
const settings = { ...BENCH_SETTINGS, max_connections: clients.reduce((a, b) => a + b, 0) + 100 };

const pgsurgeArgs = (c: number): string[] => ['-b', builtin, '-c', String(c), '-j', String(jobs), '-T', `${minutes * 60}s`, '-n', '-M', 'prepared'];

/** The fields of pgsurge's result (schema pgsurge.result/v1) read here; startedAt is the measured phase's start. */
interface PgsurgeResult {
  startedAt: string;
  durationS: number;
  summary: { transactions: number; tps: number; failed: number; connectingS?: number };
}

/** One pgsurge run, read from /proc every `sampleS` seconds while it lives. */
async function soakRun(target: Target, c: number): Promise<SoakRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-soak-'));
  const json = join(dir, 'result.json');
  const samples: Sample[] = [];
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  const spawnedAtMs = Date.now();
  try {
    const r = await execMeasured(PGSURGE_BIN, ['run', '--url', target.url, ...pgsurgeArgs(c), '--json', json], {
      env: cleanEnv(),
      timeoutMs: (minutes * 60 + HANG_MARGIN_S) * 1000,
      onPid: (pid) => {
        const read = (): void => {
          const rss = rssKiB(pid);
          const hwm = peakRssKiB(pid);
          const cpuUs = cpuUsOf(pid);
          if (rss === undefined || hwm === undefined || cpuUs === undefined) return; // gone
          samples.push({ tS: Math.round(performance.now() - t0) / 1000, rssKiB: rss, hwmKiB: hwm, cpuS: cpuUs / 1e6 });
        };
        timer = setInterval(read, sampleS * 1000);
      },
    });
    clearInterval(timer);
    let outcome: SoakOutcome;
    if (r.code !== 0) {
      outcome = { ok: false, error: errorLine(new ClientFailed('pgsurge', r.code, r.stderr + r.stdout)) };
      log(`-c ${c}: ${outcome.error}\n${r.stderr.trim().split('\n').slice(-10).join('\n')}`);
    } else {
      const result = JSON.parse(readFileSync(json, 'utf8')) as PgsurgeResult;
      const s = result.summary;
      const loadFromS = (Date.parse(result.startedAt) - spawnedAtMs) / 1000;
      outcome = {
        ok: true,
        transactions: s.transactions,
        tps: s.tps,
        failed: s.failed,
        connectingS: s.connectingS ?? Number.NaN,
        loadFromS,
        loadToS: loadFromS + result.durationS,
      };
      log(`-c ${c}: ${s.tps.toFixed(0)} tps, ${s.failed} failed, ${samples.length} readings`);
    }
    return { clients: c, samples, outcome };
  } finally {
    clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  log(`load average ${loadBefore}; ${minutes} min, -c ${clients.join(' and -c ')} at the same time${quick ? '; quick mode' : ''}`);
  return withBenchServer(
    scale,
    log,
    async (target) => {
      const postgres = await serverVersion(target);
      log(`${postgres}; starting ${clients.length} pgsurge runs of ${minutes} min`);
      const runs = await Promise.all(clients.map((c) => soakRun(target, c)));
      const loadAfter = loadAverage();
      const m = describeMachine();
      const command = `node dist/bench/soak.js ${process.argv.slice(2).join(' ')}`.trim();
      const md = soakMarkdown(
        {
          command,
          startedAt,
          machine: `${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB memory`,
          loadBefore,
          loadAfter,
          versions: `Node.js ${m.node}; server ${postgres}`,
          commit: m.commit,
          mode: `${quick ? 'quick' : 'full'}: ${minutes} min, ${builtin}, -c ${clients.join(' and -c ')} concurrently, -j ${jobs}, a reading every ${sampleS} s`,
          settings: `settings: ${settingsText(settings)}`,
          scale,
          pgsurgeArgs: `--url URL -b ${builtin} -c N -j ${jobs} -T ${minutes * 60}s -n -M prepared --json FILE`,
          sampleSeconds: sampleS,
          minutes,
        },
        runs,
      );
      process.stdout.write(`\n${md}`);
      if (values.write) {
        writeFileSync(OUT_MD, md);
        writeFileSync(
          OUT_SAMPLES,
          `${JSON.stringify({ command, startedAt: startedAt.toISOString(), commit: m.commit, sampleSeconds: sampleS, runs }, null, 1)}\n`,
        );
        log(`wrote ${OUT_MD} and ${OUT_SAMPLES}`);
      }
      return runs.every((r) => r.outcome.ok) ? 0 : 1;
    },
    settings,
  );
}

runMain(main);
