/**
 * Diagnosis rules: each looks at the client intervals, the server samples and the start/end facts,
 * and names what it sees with the numbers behind it. Rules are pure functions of the recorded data,
 * so `pgsurge report` could re-run them on a saved result, and tests can feed them by hand.
 */
import { median } from '../util/median.js';
import type { Finding, HostFacts, HostSample, ServerFacts, ServerSample } from './types.js';

/** The part of a client interval the rules need (IntervalStats and the result's intervals both fit). */
export interface ClientInterval {
  readonly tS: number;
  readonly tps: number;
  readonly latencyMs: { readonly p99: number | null };
}

export interface DiagnosisInput {
  readonly intervals: readonly ClientInterval[];
  readonly server: readonly ServerSample[];
  readonly facts: { readonly start: ServerFacts; readonly end?: ServerFacts };
}

const THRESHOLDS = {
  clientCpuPct: 90,
  connectionsShare: 0.9,
  cacheHitRatio: 0.99,
  /** Below this many block accesses in the run, a hit ratio says nothing. */
  cacheMinBlocks: 1000,
  spikeFactor: 3,
  replicationLagBytes: 1024 * 1024,
  replicationLagMs: 1000,
} as const;

type Rule = (input: DiagnosisInput) => Finding[];

const pct = (v: number, digits = 1): string => `${(v * 100).toFixed(digits)} %`;
const secs = (atS: readonly number[]): string => {
  const shown = atS.slice(0, 6).map((t) => `${t} s`);
  return atS.length > 6 ? `${shown.join(', ')}, … (${atS.length} intervals)` : shown.join(', ');
};

/** Samples of one host across the run, with the interval start of each. */
function seriesOf(server: readonly ServerSample[], host: string): { tS: number; s: HostSample }[] {
  const out: { tS: number; s: HostSample }[] = [];
  for (const sample of server) {
    const s = sample.hosts.find((h) => h.host === host);
    if (s !== undefined && s.ok) out.push({ tS: sample.tS, s });
  }
  return out;
}

function hostNames(input: DiagnosisInput): string[] {
  const names = new Set<string>(input.facts.start.hosts.map((h) => h.host));
  for (const s of input.server) for (const h of s.hosts) names.add(h.host);
  return [...names];
}

const factsOf = (input: DiagnosisInput, host: string): HostFacts | undefined => input.facts.start.hosts.find((h) => h.host === host);

const clientCpu: Rule = (input) => {
  const cpu = input.server.map((s) => s.client.cpuPct);
  const values = cpu.filter((v): v is number => v !== null);
  if (values.length === 0) return [];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean <= THRESHOLDS.clientCpuPct) return [];
  const atS = input.server.filter((s, i) => (cpu[i] ?? 0) > THRESHOLDS.clientCpuPct).map((s) => s.tS);
  // The client machine's cores as recorded with the samples (results written before they were lack them).
  const cores = input.server.find((s) => s.client.cores !== undefined)?.client.cores;
  return [
    {
      rule: 'client-cpu-bound',
      severity: 'warning',
      message:
        `pgsurge used ${mean.toFixed(0)} % of a CPU core on average (peak ${Math.max(...values).toFixed(0)} %` +
        `${cores === undefined ? '' : `, ${cores} cores on this machine`}): the client may be the bottleneck, so the TPS is a floor ` +
        `of what the server can do and latencies include time spent in pgsurge; use more threads (-j) or another machine`,
      atS,
    },
  ];
};

const connectionsNearMax: Rule = (input) => {
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const max = factsOf(input, host)?.maxConnections ?? 0;
    if (max <= 0) continue;
    const series = seriesOf(input.server, host);
    const peak = Math.max(0, ...series.map(({ s }) => s.connections?.total ?? 0));
    if (peak <= THRESHOLDS.connectionsShare * max) continue;
    const atS = series.filter(({ s }) => (s.connections?.total ?? 0) > THRESHOLDS.connectionsShare * max).map((x) => x.tS);
    out.push({
      rule: 'connections-near-max',
      severity: 'warning',
      message: `${host}: up to ${peak} client connections of max_connections ${max} (${pct(peak / max, 0)}): new connections may be refused (SQLSTATE 53300); use a pooler or raise max_connections`,
      atS,
    });
  }
  return out;
};

const cacheHitRatio: Rule = (input) => {
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const series = seriesOf(input.server, host);
    const hit = series.reduce((a, { s }) => a + (s.blksHitDelta ?? 0), 0);
    const read = series.reduce((a, { s }) => a + (s.blksReadDelta ?? 0), 0);
    if (hit + read < THRESHOLDS.cacheMinBlocks) continue;
    const ratio = hit / (hit + read);
    if (ratio >= THRESHOLDS.cacheHitRatio) continue;
    const sb = factsOf(input, host)?.sharedBuffersBytes;
    out.push({
      rule: 'cache-hit-ratio-low',
      severity: 'warning',
      message:
        `${host}: buffer cache hit ratio ${pct(ratio, 2)} (${read} blocks read outside shared_buffers, ${hit} hits)` +
        `${sb === undefined ? '' : `; shared_buffers is ${(sb / 1048576).toFixed(1)} MB`}: the working set does not fit, reads go to the OS cache or disk`,
      atS: series.filter(({ s }) => s.cacheHitRatio !== null && s.cacheHitRatio < THRESHOLDS.cacheHitRatio).map((x) => x.tS),
    });
  }
  return out;
};

/** Intervals whose p99 is more than spikeFactor × the run's median p99. */
function latencySpikes(intervals: readonly ClientInterval[]): { index: number; p99: number; median: number }[] {
  const p99s = intervals.map((i) => i.latencyMs.p99).filter((v): v is number => v !== null);
  if (p99s.length < 3) return [];
  const med = median(p99s)!; // not null: at least 3 values
  return intervals.flatMap((iv, index) =>
    iv.latencyMs.p99 !== null && iv.latencyMs.p99 > THRESHOLDS.spikeFactor * med ? [{ index, p99: iv.latencyMs.p99, median: med }] : [],
  );
}

const checkpointSpike: Rule = (input) => {
  const atS: number[] = [];
  const parts: string[] = [];
  for (const spike of latencySpikes(input.intervals)) {
    const tS = input.intervals[spike.index]!.tS;
    // A checkpoint's counter moves when it finishes: look at the interval itself and its neighbours.
    const near = [spike.index - 1, spike.index, spike.index + 1].map((i) => input.server[i]).filter((s) => s !== undefined);
    const hit = near.flatMap((s) => s.hosts.filter((h) => (h.checkpointsDelta ?? 0) > 0 || h.checkpointInProgress === true));
    if (hit.length === 0) continue;
    atS.push(tS);
    parts.push(
      `at ${tS} s p99 ${spike.p99.toFixed(1)} ms (run median ${spike.median.toFixed(1)} ms) with a checkpoint on ${[...new Set(hit.map((h) => h.host))].join(', ')}`,
    );
  }
  if (atS.length === 0) return [];
  return [
    {
      rule: 'checkpoint-latency-spike',
      severity: 'warning',
      message: `latency spikes coincide with checkpoints: ${parts.join('; ')}; consider a larger max_wal_size or checkpoint_completion_target`,
      atS,
    },
  ];
};

const lockWaits: Rule = (input) => {
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const series = seriesOf(input.server, host).filter(({ s }) => (s.connections?.waitingOnLock ?? 0) > 0);
    if (series.length === 0) continue;
    const peak = Math.max(...series.map(({ s }) => s.connections!.waitingOnLock));
    const events = new Map<string, number>();
    for (const { s } of series) for (const w of s.waitEvents) if (w.event.startsWith('Lock:')) events.set(w.event, (events.get(w.event) ?? 0) + w.count);
    const top = [...events.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const atS = series.map((x) => x.tS);
    out.push({
      rule: 'lock-waits',
      severity: 'warning',
      message: `${host}: up to ${peak} client${peak === 1 ? '' : 's'} waiting on a lock${top === undefined ? '' : ` (${top})`} at ${secs(atS)}`,
      atS,
    });
  }
  return out;
};

/** Lag that ends high and whose second half is well above its first half. */
function growing(values: readonly number[], floor: number): boolean {
  if (values.length < 4) return false;
  const half = values.length >> 1;
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const last = values[values.length - 1]!;
  return last > floor && mean(values.slice(half)) > 1.5 * mean(values.slice(0, half)) + floor / 10;
}

const replicationLag: Rule = (input) => {
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const series = seriesOf(input.server, host);
    // On a primary: each standby in pg_stat_replication.
    const peers = new Set(series.flatMap(({ s }) => s.replication.map((r) => `${r.applicationName}@${r.clientAddr ?? 'local'}`)));
    for (const peer of peers) {
      const points = series.flatMap(({ tS, s }) =>
        s.replication.filter((r) => `${r.applicationName}@${r.clientAddr ?? 'local'}` === peer).map((r) => ({ tS, r })),
      );
      const bytes = points.map(({ r }) => r.replayLagBytes ?? 0);
      const ms = points.map(({ r }) => r.replayLagMs ?? 0);
      if (!growing(bytes, THRESHOLDS.replicationLagBytes) && !growing(ms, THRESHOLDS.replicationLagMs)) continue;
      const last = points[points.length - 1]!;
      out.push({
        rule: 'replication-lag-growing',
        severity: 'warning',
        message: `${host} → standby ${peer}: replay lag grew to ${((last.r.replayLagBytes ?? 0) / 1048576).toFixed(1)} MB / ${(last.r.replayLagMs ?? 0).toFixed(0)} ms by ${last.tS} s (from ${((bytes[0] ?? 0) / 1048576).toFixed(1)} MB): the standby does not keep up`,
        atS: points.map((p) => p.tS),
      });
    }
    // On a standby: what it received but has not replayed yet.
    const sb = series.filter(({ s }) => s.standby !== null);
    const sbBytes = sb.map(({ s }) => s.standby!.replayLagBytes ?? 0);
    if (growing(sbBytes, THRESHOLDS.replicationLagBytes)) {
      out.push({
        rule: 'replication-lag-growing',
        severity: 'warning',
        message: `${host} (standby): received but not replayed WAL grew to ${((sbBytes[sbBytes.length - 1] ?? 0) / 1048576).toFixed(1)} MB`,
        atS: sb.map((x) => x.tS),
      });
    }
  }
  return out;
};

const autovacuum: Rule = (input) => {
  const workload = new Set(input.facts.start.hosts.flatMap((h) => h.tables.map((t) => t.name)));
  const seen = new Map<string, number[]>();
  for (const sample of input.server) {
    for (const h of sample.hosts) {
      for (const t of h.autovacuumTables) {
        if (workload.size > 0 && !workload.has(t)) continue;
        const key = `${h.host} ${t}`;
        const list = seen.get(key) ?? [];
        if (!list.includes(sample.tS)) list.push(sample.tS);
        seen.set(key, list);
      }
    }
  }
  return [...seen.entries()].map(([key, atS]) => {
    const [host, table] = key.split(' ');
    return {
      rule: 'autovacuum-on-workload-table',
      severity: 'info' as const,
      message: `${host}: autovacuum or autoanalyze ran on ${table} during the run (at ${secs(atS)}): it competes with the load for I/O and may show as latency`,
      atS,
    };
  });
};

const replicaBusier: Rule = (input) => {
  const hosts = input.facts.start.hosts;
  const primary = hosts.find((h) => !h.inRecovery);
  if (primary === undefined || hosts.length < 2) return [];
  const work = (host: string): number => seriesOf(input.server, host).reduce((a, { s }) => a + (s.commitsPerS ?? 0), 0);
  const peakConns = (host: string): number => Math.max(0, ...seriesOf(input.server, host).map(({ s }) => s.connections?.total ?? 0));
  const primaryWork = work(primary.host);
  const out: Finding[] = [];
  for (const standby of hosts.filter((h) => h.inRecovery)) {
    const standbyWork = work(standby.host);
    if (standbyWork <= primaryWork || standbyWork === 0) continue;
    const why: string[] = [];
    if (standby.sharedBuffersBytes < primary.sharedBuffersBytes) {
      why.push(
        `shared_buffers ${(standby.sharedBuffersBytes / 1048576).toFixed(0)} MB vs ${(primary.sharedBuffersBytes / 1048576).toFixed(0)} MB on the primary`,
      );
    }
    if (peakConns(standby.host) > peakConns(primary.host))
      why.push(`up to ${peakConns(standby.host)} connections vs ${peakConns(primary.host)} on the primary`);
    if (why.length === 0) continue;
    const share = standbyWork / (standbyWork + primaryWork);
    out.push({
      rule: 'replica-busier-than-primary',
      severity: 'warning',
      message: `standby ${standby.host} did ${pct(share, 0)} of the transactions of it and the primary ${primary.host}, with ${why.join(' and ')}`,
    });
  }
  return out;
};

const RULES: readonly Rule[] = [clientCpu, connectionsNearMax, cacheHitRatio, checkpointSpike, lockWaits, replicationLag, autovacuum, replicaBusier];

export function diagnose(input: DiagnosisInput): Finding[] {
  return RULES.flatMap((rule) => rule(input));
}
