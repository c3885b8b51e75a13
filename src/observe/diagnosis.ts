/**
 * Diagnosis rules: each looks at the client intervals, the server samples and the start/end facts,
 * and names what it sees with the numbers behind it. Rules are pure functions of the recorded data,
 * so `pgsurge report` could re-run them on a saved result, and tests can feed them by hand.
 */
import { median } from '../util/median.js';
import { pgpoolReads, poolWait } from './diagnosis-pooler.js';
import { bloat, longTransactions } from './diagnosis-upkeep.js';
import type { Finding, HostFacts, HostSample, ServerFacts, ServerSample } from './types.js';

/** The part of a client interval the rules need (IntervalStats and the result's intervals both fit). */
export interface ClientInterval {
  readonly tS: number;
  readonly tps: number;
  readonly latencyMs: { readonly p99: number | null; readonly mean?: number | null };
}

/** A window in which the clients could not write (the result's failover.outages), seconds from the measured start. */
export interface OutageWindow {
  readonly startS: number;
  readonly endS: number;
}

export interface DiagnosisInput {
  readonly intervals: readonly ClientInterval[];
  readonly server: readonly ServerSample[];
  readonly facts: { readonly start: ServerFacts; readonly end?: ServerFacts };
  /** Outages the clients measured (failover runs); absent when nobody measured them. */
  readonly outages?: readonly OutageWindow[];
}

const THRESHOLDS = {
  clientCpuPct: 90,
  /** Share of all cores the server's processes used for an interval to count as CPU-bound. */
  serverCpuShare: 0.85,
  /** Saturated intervals needed before the server is called CPU-bound (one is a blip). */
  serverCpuIntervals: 3,
  connectionsShare: 0.9,
  cacheHitRatio: 0.99,
  /** Below this many block accesses in the run, a hit ratio says nothing. */
  cacheMinBlocks: 1000,
  spikeFactor: 3,
  replicationLagBytes: 1024 * 1024,
  replicationLagMs: 1000,
  /** A standby is "busier" when its work is at least this many times the primary's over the same intervals. */
  busierFactor: 1.5,
} as const;

/**
 * PostgreSQL's default block size. The facts do not record block_size; a server built with another
 * one only shifts the point from which the cache rule judges (see cacheHitRatio).
 */
const BLOCK_BYTES = 8192;

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

/**
 * Some interval measured a transaction. Rules about the client's own figures judge only such runs:
 * without load (`pgsurge monitor`, or a run where nothing succeeded) pgsurge's CPU says nothing
 * about the server's throughput.
 */
const hadClientLoad = (input: DiagnosisInput): boolean => input.intervals.some((i) => i.tps > 0 || i.latencyMs.p99 !== null);

const clientCpu: Rule = (input) => {
  if (!hadClientLoad(input)) return [];
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

/**
 * The server's own processes (sampled from /proc when the server is on this machine) kept most of
 * the machine's cores busy: throughput is bound by the server's CPU. The cores are this machine's,
 * recorded with the client's figures: the process figures exist only for a server on this machine.
 */
const serverCpu: Rule = (input) => {
  if (!hadClientLoad(input)) return [];
  const cores = input.server.find((s) => s.client.cores !== undefined)?.client.cores;
  if (cores === undefined) return [];
  const busyPct = THRESHOLDS.serverCpuShare * 100 * cores;
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const series = seriesOf(input.server, host).filter(({ s }) => s.process?.cpuPct !== null && s.process?.cpuPct !== undefined);
    const busy = series.filter(({ s }) => (s.process?.cpuPct ?? 0) >= busyPct);
    if (busy.length < THRESHOLDS.serverCpuIntervals) continue;
    const meanBusy = busy.reduce((a, { s }) => a + (s.process?.cpuPct ?? 0), 0) / busy.length;
    out.push({
      rule: 'server-cpu-bound',
      severity: 'info',
      message:
        `${host}: PostgreSQL kept ${(meanBusy / cores).toFixed(0)} % of ${cores} cores busy in ${busy.length} of ${series.length} intervals: ` +
        `the server's CPU bounds the throughput there (more load only queues); cheaper statements, fewer round trips or more cores raise it`,
      atS: busy.map((x) => x.tS),
    });
  }
  return out;
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

/**
 * Index of the first sample from which the buffer cache can be full: until the blocks read since the
 * start add up to shared_buffers, every read may be filling an empty buffer (data just loaded, a
 * freshly started server), which is warm-up and not a working set that does not fit. Without the
 * size of shared_buffers, the second half of the run.
 */
function warmFrom(series: readonly { s: HostSample }[], sharedBuffersBytes: number | undefined): number {
  if (sharedBuffersBytes === undefined || sharedBuffersBytes <= 0) return series.length >> 1;
  const blocks = sharedBuffersBytes / BLOCK_BYTES;
  let read = 0;
  for (let i = 0; i < series.length; i++) {
    if (read >= blocks) return i;
    read += series[i]!.s.blksReadDelta ?? 0;
  }
  return series.length;
}

const cacheHitRatio: Rule = (input) => {
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const all = seriesOf(input.server, host);
    const sb = factsOf(input, host)?.sharedBuffersBytes;
    const series = all.slice(warmFrom(all, sb));
    const hit = series.reduce((a, { s }) => a + (s.blksHitDelta ?? 0), 0);
    const read = series.reduce((a, { s }) => a + (s.blksReadDelta ?? 0), 0);
    if (hit + read < THRESHOLDS.cacheMinBlocks) continue;
    const ratio = hit / (hit + read);
    if (ratio >= THRESHOLDS.cacheHitRatio) continue;
    const since = series.length < all.length ? ` from ${series[0]!.tS} s on, once shared_buffers could be full,` : '';
    out.push({
      rule: 'cache-hit-ratio-low',
      severity: 'warning',
      message:
        `${host}: buffer cache hit ratio ${pct(ratio, 2)}${since} (${read} blocks read outside shared_buffers, ${hit} hits)` +
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

/** What the samples show of servers going away: hosts that could not be sampled, standbys promoted. */
interface ServerEvents {
  /** Sample indexes (same as interval indexes) with an event. */
  readonly at: ReadonlySet<number>;
  readonly lines: readonly string[];
}

function serverEvents(input: DiagnosisInput): ServerEvents {
  const at = new Set<number>();
  const lines: string[] = [];
  for (const host of hostNames(input)) {
    const own = input.server.map((sample) => sample.hosts.find((h) => h.host === host));
    // A host never sampled at all was not reachable to begin with: that is not an outage in the run.
    if (!own.some((h) => h?.ok === true)) continue;
    const down = own.flatMap((h, i) => (h !== undefined && !h.ok ? [i] : []));
    if (down.length > 0) {
      for (const i of down) at.add(i);
      lines.push(`${host} could not be sampled at ${secs(down.map((i) => input.server[i]!.tS))} (down, restarting or not answering)`);
    }
    let role: boolean | null = null;
    own.forEach((h, i) => {
      if (h === undefined || !h.ok || h.inRecovery === null) return;
      if (role === true && !h.inRecovery) {
        at.add(i);
        lines.push(`${host} left recovery (promoted) at ${input.server[i]!.tS} s`);
      }
      role = h.inRecovery;
    });
  }
  return { at, lines };
}

/** Interval length (s) of the grid, from the intervals themselves (1 s when there are fewer than two). */
function gridS(intervals: readonly ClientInterval[]): number {
  const a = intervals[0];
  const b = intervals[1];
  return a !== undefined && b !== undefined && b.tS > a.tS ? b.tS - a.tS : 1;
}

/**
 * Interval indexes inside or next to an outage (measured by the clients, or seen in the samples). A
 * restarted or promoted server checkpoints (end of recovery, shutdown) and its counters move, so a
 * latency spike there is the outage, not a checkpoint.
 */
function outageIntervals(input: DiagnosisInput, events: ServerEvents): Set<number> {
  const inside = new Set(events.at);
  const lenS = gridS(input.intervals);
  input.intervals.forEach((iv, i) => {
    if ((input.outages ?? []).some((o) => iv.tS < o.endS && iv.tS + lenS > o.startS)) inside.add(i);
  });
  // A monitor's result has server samples but no client intervals: the grid is the longer of the two.
  const length = Math.max(input.intervals.length, input.server.length);
  const out = new Set<number>();
  for (const i of inside) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < length) out.add(j);
  return out;
}

const checkpointSpike: Rule = (input) => {
  const atS: number[] = [];
  const parts: string[] = [];
  const outage = outageIntervals(input, serverEvents(input));
  for (const spike of latencySpikes(input.intervals)) {
    if (outage.has(spike.index)) continue;
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

/** The outage itself: measured by the clients (failover section) or seen in the samples, with the latency spikes it explains. */
const serverOutage: Rule = (input) => {
  const events = serverEvents(input);
  const measured = input.outages ?? [];
  if (measured.length === 0 && events.lines.length === 0) return [];
  const outage = outageIntervals(input, events);
  const spikes = latencySpikes(input.intervals).filter((s) => outage.has(s.index));
  const parts = [
    ...measured.map((o) => `writes failed from ${o.startS} s to ${o.endS} s (${(o.endS - o.startS).toFixed(2)} s; see the failover section)`),
    ...events.lines,
  ];
  const spikeS = spikes.map((s) => input.intervals[s.index]!.tS);
  const explains = spikes.length === 0 ? '' : `; the latency spikes at ${secs(spikeS)} are this outage, not checkpoints`;
  return [
    {
      rule: 'server-outage',
      severity: 'warning',
      message: `the server was unavailable: ${parts.join('; ')}${explains}`,
      atS: [...outage].sort((a, b) => a - b).map((i) => input.intervals[i]?.tS ?? input.server[i]?.tS ?? i),
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

/** One measure of how busy a host was in one sample (null: not measured). */
interface WorkMeasure {
  readonly name: string;
  /** Below this (mean per sample), a standby is not busy whatever the primary does. */
  readonly floor: number;
  readonly of: (s: HostSample) => number | null;
  readonly show: (v: number) => string;
}

/** In order of preference: the first one both sides have decides; the others are shown beside it. */
const WORK_MEASURES: readonly WorkMeasure[] = [
  { name: 'transactions', floor: 1, of: (s) => s.commitsPerS, show: (v) => `${v.toFixed(0)} commits/s` },
  {
    name: 'rows read',
    floor: 100,
    of: (s) => (s.tuplesPerS === null ? null : s.tuplesPerS.returned + s.tuplesPerS.fetched),
    show: (v) => `${v.toFixed(0)} rows read/s`,
  },
  { name: 'CPU', floor: 5, of: (s) => s.process?.cpuPct ?? null, show: (v) => `${v.toFixed(0)} % CPU` },
  { name: 'active backends', floor: 1, of: (s) => s.connections?.active ?? null, show: (v) => `${v.toFixed(1)} active backends` },
];

/** Mean of a measure over the given samples of a host (null when none of them has it). */
function meanOf(samples: readonly HostSample[], m: WorkMeasure): number | null {
  const values = samples.map(m.of).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * A standby doing more than the primary (read routing that sends everything to a replica, or the
 * application pointed at the wrong host). Roles come from each sample, so a standby promoted during
 * the run is judged only while it was a standby, against the primary of those same intervals.
 * Memory is context in the message, never the reason: equal work on unequal servers is no finding.
 */
const replicaBusier: Rule = (input) => {
  const out: Finding[] = [];
  for (const host of hostNames(input)) {
    const standby: HostSample[] = [];
    const primary: HostSample[] = [];
    const primaryHosts = new Set<string>();
    for (const sample of input.server) {
      const own = sample.hosts.find((h) => h.host === host);
      if (own === undefined || !own.ok || own.inRecovery !== true) continue;
      const p = sample.hosts.find((h) => h.ok && h.inRecovery === false);
      if (p === undefined) continue;
      standby.push(own);
      primary.push(p);
      primaryHosts.add(p.host);
    }
    const shown = WORK_MEASURES.flatMap((m) => {
      const sv = meanOf(standby, m);
      const pv = meanOf(primary, m);
      return sv === null || pv === null ? [] : [{ m, sv, pv }];
    });
    const decisive = shown[0];
    if (decisive === undefined) continue;
    const { m, sv, pv } = decisive;
    if (sv < m.floor || sv < THRESHOLDS.busierFactor * pv) continue;
    const primaryName = [...primaryHosts].join(', ');
    const figures = shown.map((x) => `${x.m.show(x.sv)} vs ${x.m.show(x.pv)}`);
    const sf = factsOf(input, host);
    const pf = factsOf(input, [...primaryHosts][0] ?? '');
    const memory =
      sf !== undefined && pf !== undefined && sf.sharedBuffersBytes !== pf.sharedBuffersBytes
        ? `; shared_buffers ${(sf.sharedBuffersBytes / 1048576).toFixed(0)} MB vs ${(pf.sharedBuffersBytes / 1048576).toFixed(0)} MB on the primary`
        : '';
    const share = sv / (sv + pv);
    out.push({
      rule: 'replica-busier-than-primary',
      severity: 'warning',
      message:
        `standby ${host} had ${pct(share, 0)} of the ${m.name} of it and the primary ${primaryName} together ` +
        `(${figures.join(', ')}, standby vs primary)${memory}: it carries the load while the primary idles; check where reads are routed`,
      atS: input.server.filter((x) => x.hosts.some((h) => h.host === host && h.ok && h.inRecovery === true)).map((x) => x.tS),
    });
  }
  return out;
};

const RULES: readonly Rule[] = [
  clientCpu,
  serverCpu,
  connectionsNearMax,
  cacheHitRatio,
  serverOutage,
  checkpointSpike,
  lockWaits,
  replicationLag,
  autovacuum,
  replicaBusier,
  longTransactions,
  bloat,
  poolWait,
  pgpoolReads,
];

export function diagnose(input: DiagnosisInput): Finding[] {
  return RULES.flatMap((rule) => rule(input));
}
