/**
 * What bound the load at the step that broke, from the server samples of that step's intervals
 * (same grid, same tS) and the step's own figures. Checked in order, the first that fits wins:
 * client CPU (the generator itself: shard it), server CPU (its processes busy on most cores, or on
 * at least half of a machine that is busy: other programs' CPU is not the server's), lock waits, I/O (checkpoints), a
 * pooler's pool (clients waiting for a server connection), the connection limit, a replica's lag;
 * with none of them, latency: every client was busy.
 */
import type { ServerSample } from '../report/server-schema.js';
import type { LimitStep } from './search.js';

export interface LimitBound {
  readonly kind: 'client-cpu' | 'server-cpu' | 'lock-waits' | 'io' | 'pool' | 'connections' | 'replica-lag' | 'latency';
  /** One line for a person, with the figures that show it. */
  readonly evidence: string;
}

/** Busy share at which a CPU counts as the bound. */
const CPU_BUSY = 0.85;
/** Clients waiting for a pooler's server connection, on average, from which the pool counts as the bound. */
const POOL_WAITING = 0.5;

const mean = (xs: readonly number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
const nums = (xs: readonly (number | null | undefined)[]): number[] => xs.filter((x): x is number => typeof x === 'number');

export function attributeBound(step: LimitStep, samples: readonly ServerSample[], intervalMs: number, clients: number): LimitBound {
  // The step's judged intervals: its first one is its warm-up.
  const fromS = ((step.firstInterval + 1) * intervalMs) / 1000 - 1e-9;
  const toS = (step.lastInterval * intervalMs) / 1000 + 1e-9;
  const inStep = samples.filter((s) => s.tS >= fromS && s.tS <= toS);
  const hosts = inStep.flatMap((s) => s.hosts.filter((h) => h.ok));
  const cores = inStep.find((s) => s.client.cores !== undefined)?.client.cores;

  const clientCpu = mean(nums(inStep.map((s) => s.client.cpuPct)));
  if (clientCpu !== undefined && cores !== undefined && clientCpu >= CPU_BUSY * 100 * cores) {
    return { kind: 'client-cpu', evidence: `client CPU (${Math.round(clientCpu / cores)} % of ${cores} cores): shard the generator (--shard, --fleet)` };
  }
  const machineCpu = mean(nums(hosts.map((h) => h.machine?.cpuPct)));
  const serverCpu = mean(nums(hosts.map((h) => h.process?.cpuPct)));
  if (
    serverCpu !== undefined &&
    cores !== undefined &&
    (serverCpu >= CPU_BUSY * 100 * cores || (machineCpu !== undefined && machineCpu >= CPU_BUSY * 100 && serverCpu / cores >= machineCpu / 2))
  ) {
    return {
      kind: 'server-cpu',
      evidence: `server CPU (${Math.round(serverCpu / cores)} % of ${cores} cores${machineCpu === undefined ? '' : `, machine ${Math.round(machineCpu)} % busy`})`,
    };
  }
  const lockWaits = mean(nums(hosts.map((h) => h.connections?.waitingOnLock)));
  if (lockWaits !== undefined && lockWaits >= 1)
    return { kind: 'lock-waits', evidence: `lock waits (${lockWaits.toFixed(1)} backends waiting on a lock on average)` };
  const checkpoints = nums(hosts.map((h) => h.checkpointsDelta)).reduce((a, b) => a + b, 0);
  const writing = hosts.filter((h) => h.checkpointInProgress === true).length;
  if (checkpoints > 0 || writing > 0) {
    const wal = nums(hosts.map((h) => h.walBytesDelta)).reduce((a, b) => a + b, 0);
    return {
      kind: 'io',
      evidence: `I/O: ${checkpoints} checkpoint(s) in the step, checkpointer writing in ${writing} sample(s), ${Math.round(wal / 1024)} KiB of WAL`,
    };
  }
  // A pooler answers apart from the server behind it: its figures count whether that one answered or not.
  const pooled = inStep.flatMap((s) => s.hosts.flatMap((h) => (h.pooler?.kind !== 'pgbouncer' ? [] : [{ host: h.host, ...h.pooler }])));
  const waiting = mean(nums(pooled.map((p) => p.waiting)));
  if (waiting !== undefined && waiting >= POOL_WAITING) {
    const size = pooled.find((p) => p.poolSize !== null)?.poolSize;
    return {
      kind: 'pool',
      evidence: `the pooler's pool: ${waiting.toFixed(1)} clients waiting for a server connection on average${size == null ? '' : `, pool size ${size}`} (${pooled[0]!.version} at ${pooled[0]!.at})`,
    };
  }
  const full = hosts.find((h) => h.connections !== null && h.maxConnections !== null && h.connections.total >= h.maxConnections);
  if (full !== undefined)
    return { kind: 'connections', evidence: `connections: ${full.connections?.total} of max_connections ${full.maxConnections} on ${full.host}` };
  const lagMs = Math.max(0, ...nums(hosts.flatMap((h) => h.replication.map((r) => r.replayLagMs))));
  if (lagMs >= 1000) return { kind: 'replica-lag', evidence: `a replica's lag (replay ${Math.round(lagMs)} ms behind)` };
  const cpu =
    serverCpu === undefined && clientCpu === undefined
      ? 'no CPU figures sampled'
      : `neither CPU busy: server ${serverCpu === undefined ? 'n/a' : `${Math.round(serverCpu)} %`}, client ${clientCpu === undefined ? 'n/a' : `${Math.round(clientCpu)} %`} of one core`;
  return {
    kind: 'latency',
    evidence: `latency: all ${clients} clients busy (p99 ${step.p99Ms === null ? 'n/a' : `${step.p99Ms.toFixed(1)} ms`}${step.dropped > 0 ? `, ${step.dropped} arrivals dropped/skipped` : ''}); ${cpu}, no lock waits or checkpoints`,
  };
}
