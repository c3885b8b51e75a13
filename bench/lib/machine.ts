/** What the figures were measured on: machine, versions, commit, load. */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { PGBENCH } from './clients.js';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly pgbench: string;
  readonly commit: string;
}

function out(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

export function describeMachine(): Machine {
  const dirty = out('git', ['status', '--porcelain', '--untracked-files=no']) === '' ? '' : ' (with uncommitted changes in the checkout)';
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    pgbench: out(PGBENCH, ['--version']),
    // A snapshot outside the checkout (git archive, so other engineers' rebuilds of dist/ cannot
    // change the code under test) names its commit in PGSURGE_BENCH_COMMIT.
    commit: process.env['PGSURGE_BENCH_COMMIT'] ?? out('git', ['rev-parse', '--short', 'HEAD']) + dirty,
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
}
