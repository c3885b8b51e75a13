/**
 * The server observer (LiveOutput "server"): watches every host while the load runs, on the same
 * interval grid as the client metrics, and diagnoses what it saw at the end.
 *
 * Timing: a snapshot of each host is taken at every grid boundary measureStart + k·intervalMs
 * (timers on the main thread; the load runs in worker threads). Interval k's sample is the
 * difference of the snapshots at boundaries k and k+1, rates over the time actually between them.
 * Nothing here awaits in a hook: start() and interval() return at once; a snapshot still running at
 * the next boundary makes that boundary skipped for the host (the next one covers the longer span),
 * so a slow server never piles up queries. stop() takes a last snapshot at the end of the run, so
 * the last, partial interval is covered too.
 *
 * Stalls: every query has a client-side deadline (samplingDeadline: a server or a network path
 * that stops answering gets no say in it). A snapshot given up on marks its intervals as failed
 * samples ("no answer within N s": the gap in the timeline), the connection is re-opened at a later
 * boundary, and a finding says when sampling stalled and for how long. stop() never waits longer
 * than the deadline in all: what is still running then is abandoned, its intervals marked missing.
 */
import { availableParallelism } from 'node:os';
import type pg from 'pg';
import { openAdminClient, samplingDeadline } from '../driver/admin-client.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { PgsurgeError } from '../errors.js';
import { nowUs } from '../engine/clock.js';
import type { LiveOutput, ResultAdditions, RunContext, RunEnd } from '../output/types.js';
import { CompactLog } from '../util/compact-log.js';
import { readBloat } from './bloat.js';
import { cgroupBetween, readCgroup, type CgroupReading } from './cgroup-stats.js';
import { diagnose } from './diagnosis.js';
import { failedSample, hostSample } from './host-sample.js';
import { ProcFiles, readProcessTree, readSelf, usageBetween, type ProcReading } from './proc-stats.js';
import { findLocalPostmaster } from './local-server.js';
import { machineBetween, missingMachine, readLocalMachine, type MachineReading } from './machine-stats.js';
import { fetchNodeExporter, shownUrl, type ServerMetricsSpec } from './node-exporter.js';
import { findPooler, type PoolerProbe } from './pooler.js';
import { parseSnapshot, readCapabilities, readFacts, snapshotSql, type Capabilities, type HostSnapshot } from './server-queries.js';
import type { CgroupUsage, Finding, HostFacts, HostSample, MachineUsage, PgpoolUsage, PoolerUsage, ProcessUsage, ServerFacts, ServerSample } from './types.js';

export interface ServerObserverOptions {
  /** Workload tables besides pgbench_* (sizes, rows, autovacuum); the run's own (RunContext.tables) are added. */
  readonly tables?: readonly string[];
  /** Called with each interval's sample as soon as every host has it (e.g. for Prometheus). */
  readonly onSample?: (sample: ServerSample) => void;
  /** Called with each host's start facts once read (bloat estimates, e.g. for Prometheus), and with its end facts. */
  readonly onFacts?: (facts: HostFacts) => void;
  /** --server-metrics: node_exporter endpoints for the hosts' machines (see machineSources). */
  readonly serverMetrics?: readonly ServerMetricsSpec[];
}

/** Where a host's machine figures come from. */
type MachineSource = { readonly kind: 'none' } | { readonly kind: 'proc' } | { readonly kind: 'exporter'; readonly url: string; readonly shown: string };

/** A node_exporter answer is awaited at most this long, and never longer than an interval. */
const EXPORTER_DEADLINE_MAX_MS = 5000;

interface HostState {
  readonly spec: HostSpec;
  /** Credentials and TLS for this host (a --replica URL has its own). */
  readonly conn: ConnInfo;
  readonly label: string;
  client: pg.Client | undefined;
  caps: Capabilities | undefined;
  sql: string;
  busy: boolean;
  /** Last successful snapshot, and the boundary it was taken at. */
  last: { boundary: number; snap: HostSnapshot } | undefined;
  /** Intervals below this have a sample. */
  doneThrough: number;
  readonly samples: Map<number, HostSample>;
  startFacts: HostFacts | undefined;
  /** Intervals whose sample failed (no answer, an error): for the stall finding. */
  readonly missing: { k: number; message: string }[];
  /** The server's postmaster when it is visible in this machine's /proc (its processes are sampled). */
  postmasterPid: number | undefined;
  /** Readings of the postmaster's process tree, per boundary. */
  readonly procReadings: Map<number, ProcReading | undefined>;
  /** Readings of the postmaster's control group, per boundary. */
  readonly cgroupReadings: Map<number, CgroupReading>;
  machine: MachineSource;
  /** The last machine reading, and the boundary it was taken at. */
  lastMachine: { boundary: number; reading: MachineReading } | undefined;
  /** A failing node_exporter is said once per host. */
  machineWarned: boolean;
  /** The pooler found at the load's host (src/observe/pooler.ts), read alongside each snapshot. */
  pooler: PoolerProbe | undefined;
}

/**
 * Each host's machine source: `host=URL` by the host's name or host:port; bare URLs in order to
 * the hosts (the k-th bare URL to the k-th sampled host); otherwise /proc when the server is local.
 * Returns the mappings that name no sampled host, to be said.
 */
function machineSources(hosts: readonly HostState[], specs: readonly ServerMetricsSpec[]): string[] {
  const unmatched: string[] = [];
  const bare = specs.filter((m) => m.host === undefined);
  hosts.forEach((h, i) => {
    const named = specs.find((m) => m.host !== undefined && (m.host === h.spec.host || m.host === h.label));
    const m = named ?? bare[i];
    if (m !== undefined) h.machine = { kind: 'exporter', url: m.url, shown: shownUrl(m.url) };
    else if (h.postmasterPid !== undefined) h.machine = { kind: 'proc' };
  });
  for (const m of specs) {
    if (m.host !== undefined && !hosts.some((h) => m.host === h.spec.host || m.host === h.label)) {
      unmatched.push(`--server-metrics ${m.host}=${shownUrl(m.url)}: no sampled host is ${m.host} (hosts: ${hosts.map((h) => h.label).join(', ')})`);
    }
  }
  if (bare.length > hosts.length)
    unmatched.push(`--server-metrics: ${bare.length} URLs without HOST= for ${hosts.length} sampled host(s); the extra ones are not used`);
  return unmatched;
}

export function createServerObserver(opts: ServerObserverOptions = {}): LiveOutput {
  let tables: readonly string[] = opts.tables ?? [];
  let ctx: RunContext | undefined;
  let hosts: HostState[] = [];
  /** Servers a pooler stopped sending the run to (followPooler): their gaps are still findings. */
  const retired: HostState[] = [];
  let measureStartUs = 0;
  let timer: NodeJS.Timeout | undefined;
  let nextBoundary = 0;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  // Aborted at the end of stop(): a connect still under way then is given up at once.
  const abandoned = new AbortController();
  // The local servers' /proc files, open from one boundary to the next until sampling ends.
  const procFiles = new ProcFiles();
  abandoned.signal.addEventListener('abort', () => procFiles.close(), { once: true });
  // Per boundary: readings of pgsurge itself and of the local server's processes.
  const selfReadings = new Map<number, ProcReading>();
  const localMachine = new Map<number, MachineReading>();
  // The timeline, kept compactly until the result is written (an hour of objects would be ~11 MiB).
  const emitted = new CompactLog<ServerSample>();
  // Recorded with every sample, so the diagnosis reads the client machine's size from the result.
  const cores = availableParallelism();

  const tell = (facts: HostFacts): void => {
    try {
      opts.onFacts?.(facts);
    } catch {
      /* a listener's failure must not stop sampling */
    }
  };

  const connect = async (h: HostState): Promise<pg.Client> => {
    if (h.client !== undefined) return h.client;
    const client = await openAdminClient(h.conn, h.spec, { deadline: samplingDeadline(ctx!.intervalMs), signal: abandoned.signal });
    // The server gives up on a slow sampling query itself; the client-side deadline covers a server
    // (or path) that does not answer at all.
    try {
      await client.query(`set statement_timeout = ${Math.max(1000, ctx!.intervalMs * 2)}`);
      h.caps ??= await readCapabilities(client);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    h.sql = snapshotSql(h.caps, tables);
    if (abandoned.signal.aborted) {
      // stop() has closed the hosts' connections already: this one would be left open.
      await client.end().catch(() => undefined);
      throw new Error('sampling abandoned at the end of the run');
    }
    h.client = client;
    return client;
  };

  /** Connects to a host and reads its start facts. */
  const openHost = async (h: HostState): Promise<pg.Client> => {
    const client = await connect(h);
    h.startFacts = await factsWithBloat(client, h.label, h.caps!, tables);
    tell(h.startFacts);
    if (h.postmasterPid === undefined) h.postmasterPid = await localPostmaster(client, h.spec);
    return client;
  };

  /**
   * Behind a pooler, the server panels come from the servers themselves, not from whichever server
   * connection the pooler hands the observer: the servers it sends the run's database to are
   * sampled in its place (with the run's credentials), the first one carrying the pool figures.
   * One that cannot be reached leaves the sampling through the pooler, said once.
   */
  const sampleBehindPooler = async (c: RunContext): Promise<void> => {
    const front = hosts.find((h) => h.pooler !== undefined);
    const probe = front?.pooler;
    if (front === undefined || probe === undefined) return;
    const through = 'server figures come through the pooler, from whichever server connection it hands out';
    let behind: HostSpec[];
    try {
      behind = await probe.backends();
    } catch (e) {
      c.warn?.(`${probe.version} at ${front.label} did not say which server it uses (${e instanceof Error ? e.message : String(e)}): ${through}`);
      return;
    }
    if (behind.length === 0) {
      c.warn?.(`${probe.version} at ${front.label} reaches its server over a Unix socket: ${through}`);
      return;
    }
    const servers: HostState[] = [];
    for (const spec of behind) {
      const known = hosts.find((h) => same2(spec)(h.spec));
      if (known !== undefined) {
        servers.push(known);
        continue;
      }
      const h = newHost(spec, front.conn, undefined);
      try {
        await openHost(h);
        servers.push(h);
      } catch (e) {
        await h.client?.end().catch(() => undefined);
        await Promise.all(servers.filter((x) => !hosts.includes(x)).map((x) => x.client?.end().catch(() => undefined)));
        c.warn?.(
          `the server behind ${probe.version} at ${front.label} is ${h.label}, which pgsurge cannot reach (${e instanceof Error ? e.message : String(e)}): ${through}`,
        );
        return;
      }
    }
    servers[0]!.pooler = probe;
    front.pooler = undefined;
    hosts = hosts.flatMap((h) => (h === front ? servers.filter((x) => !hosts.includes(x)) : [h]));
    if (!hosts.includes(servers[0]!)) hosts.unshift(servers[0]!);
    await front.client?.end().catch(() => undefined);
    front.client = undefined;
  };

  /**
   * --observe-server: the servers named are sampled in place of the load's host (and of what a
   * pooler there leads to), each with its own credentials; the pool figures of a pooler found at
   * the load's host go with the first of them. One that cannot be reached fails the run before
   * the load, naming it: the user asked for its figures.
   */
  const sampleNamed = async (c: RunContext, front: HostState | undefined): Promise<void> => {
    const named: HostState[] = [];
    try {
      for (const conn of c.observeServers ?? []) {
        for (const spec of conn.hosts) {
          if (named.some((n) => same2(spec)(n.spec))) continue;
          const h = newHost(spec, conn, undefined);
          named.push(h);
          try {
            await openHost(h);
          } catch (e) {
            throw new PgsurgeError('OBSERVE_SERVER', `--observe-server ${h.label}: cannot sample it: ${e instanceof Error ? e.message : String(e)}`, {
              exitCode: 2,
            });
          }
        }
      }
    } catch (e) {
      abandoned.abort();
      await Promise.all([...named, ...hosts].map((h) => h.client?.end().catch(() => undefined)));
      await Promise.all(hosts.map((h) => h.pooler?.close()));
      throw e;
    }
    if (named.length === 0) return;
    if (front?.pooler !== undefined) {
      named[0]!.pooler = front.pooler;
      front.pooler = undefined;
    }
    const kept = hosts.filter((h) => h !== front && !named.some((n) => same2(n.spec)(h.spec)));
    for (const h of hosts) if (!kept.includes(h)) await h.client?.end().catch(() => undefined);
    hosts = [...named, ...kept];
  };

  const processAt = (h: HostState, boundary: number, prev: number): ProcessUsage | null => {
    if (h.postmasterPid === undefined) return null;
    return usageBetween(h.procReadings.get(prev), h.procReadings.get(boundary));
  };

  /** The host's machine over the span ending at `boundary` (null when it has no source). */
  const machineAt = async (h: HostState, boundary: number): Promise<MachineUsage | null> => {
    const src = h.machine;
    switch (src.kind) {
      case 'none':
        return null;
      case 'proc': {
        const reading = localMachine.get(boundary);
        if (reading === undefined) return null;
        const usage = machineBetween(h.lastMachine?.reading, reading, 'proc');
        h.lastMachine = { boundary, reading };
        return usage;
      }
      case 'exporter': {
        const deadlineMs = Math.round(Math.min(EXPORTER_DEADLINE_MAX_MS, Math.max(200, ctx!.intervalMs * 0.9)));
        try {
          const reading = await fetchNodeExporter(src.url, deadlineMs, nowUs);
          const usage = machineBetween(h.lastMachine?.reading, reading, src.shown);
          h.lastMachine = { boundary, reading };
          return usage;
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          if (!h.machineWarned) {
            h.machineWarned = true;
            ctx?.warn?.(`--server-metrics ${src.shown}: ${reason}; machine figures of ${h.label} are missing while it does not answer (the run goes on)`);
          }
          return missingMachine(src.shown, reason);
        }
      }
    }
  };

  const snapshotHost = async (h: HostState, boundary: number): Promise<void> => {
    h.busy = true;
    const atUs = nowUs();
    // The machine is read alongside the snapshot, never after it, so both cover the same span.
    const machine = machineAt(h, boundary);
    const pooler = h.pooler?.sample();
    try {
      const client = await connect(h);
      const res = (await client.query(h.sql)) as unknown as { rows: Record<string, unknown>[] }[];
      const snap = parseSnapshot(res, Math.round((atUs + nowUs()) / 2));
      const m = await machine;
      const p = await pooler;
      if (h.last !== undefined) {
        for (let k = h.doneThrough; k < boundary; k++) {
          const cgroup =
            h.postmasterPid === undefined ? null : sharedWithSelf(cgroupBetween(h.cgroupReadings.get(h.last.boundary), h.cgroupReadings.get(boundary)));
          h.samples.set(k, { ...hostSample(h.label, h.last.snap, snap, processAt(h, boundary, h.last.boundary)), machine: m, cgroup, ...poolerOf(p) });
        }
      }
      h.last = { boundary, snap };
      h.doneThrough = boundary;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      markMissing(h, boundary, message, await machine, await pooler);
      // A broken connection is re-opened at the next boundary (e.g. after a failover).
      await h.client?.end().catch(() => undefined);
      h.client = undefined;
      if (h.pooler?.kind === 'pgbouncer') await followPooler(h, boundary);
    } finally {
      h.busy = false;
    }
  };

  /**
   * The server behind a PgBouncer stopped answering: if the pooler now sends the run's database to
   * another server (re-pointed after a promotion, as a managed pooler follows its primary), that
   * one is sampled in its place from this boundary on, under its own name, carrying the pool
   * figures. While the pooler still names the silent one, nothing changes (asked again next time).
   */
  const followPooler = async (h: HostState, boundary: number): Promise<void> => {
    const probe = h.pooler!;
    const next = (await probe.backends().catch(() => []))[0];
    if (next === undefined || same2(next)(h.spec) || hosts.some((x) => same2(next)(x.spec)) || stopped) return;
    const n = newHost(next, h.conn, undefined);
    try {
      const client = await openHost(n);
      const res = (await client.query(n.sql)) as unknown as { rows: Record<string, unknown>[] }[];
      n.last = { boundary, snap: parseSnapshot(res, nowUs()) };
    } catch {
      await n.client?.end().catch(() => undefined);
      return;
    }
    if (stopped || !hosts.includes(h)) {
      await n.client?.end().catch(() => undefined);
      return;
    }
    // Intervals sampled (or marked missing) up to here stay as they were, under the old name.
    for (const [k, sample] of h.samples) n.samples.set(k, sample);
    retired.push(h);
    n.doneThrough = h.doneThrough;
    if (n.postmasterPid !== undefined) n.machine = { kind: 'proc' };
    n.pooler = probe;
    h.pooler = undefined;
    hosts = hosts.map((x) => (x === h ? n : x));
  };

  const markMissing = (h: HostState, boundary: number, message: string, machine: MachineUsage | null = null, pooler?: PoolerUsage | PgpoolUsage): void => {
    for (let k = h.doneThrough; k < boundary; k++) {
      h.samples.set(k, { ...failedSample(h.label, message), machine, ...poolerOf(pooler) });
      h.missing.push({ k, message });
    }
    h.doneThrough = Math.max(h.doneThrough, boundary);
  };

  /** Emit, in order, every interval that all hosts have a sample for. */
  const emitReady = (): void => {
    for (;;) {
      const k = emitted.length;
      if (!hosts.every((h) => h.samples.has(k)) || !selfReadings.has(k + 1)) return;
      const intervalMs = ctx!.intervalMs;
      const sample: ServerSample = {
        tS: (k * intervalMs) / 1000,
        durationS: Math.round((selfReadings.get(k + 1)!.atUs - selfReadings.get(k)!.atUs) / 1000) / 1000,
        hosts: hosts.map((h) => h.samples.get(k)!),
        client: { ...(usageBetween(selfReadings.get(k), selfReadings.get(k + 1)) ?? { cpuPct: null, memoryBytes: null, processes: 1 }), cores },
      };
      emitted.push(sample);
      for (const h of hosts) h.samples.delete(k);
      for (const listener of [opts.onSample, ctx!.serverSample]) {
        try {
          listener?.(sample);
        } catch {
          /* a listener's failure must not stop sampling */
        }
      }
    }
  };

  /** Take boundary `b`: process readings now, then one snapshot per host that is not busy. */
  const takeBoundary = (b: number): Promise<void> => {
    const at = nowUs();
    selfReadings.set(b, readSelf(at));
    for (const h of hosts) {
      if (h.postmasterPid === undefined) continue;
      h.procReadings.set(b, readProcessTree(h.postmasterPid, at, procFiles));
      h.cgroupReadings.set(b, readCgroup(h.postmasterPid, at));
    }
    procFiles.sweep();
    if (hosts.some((h) => h.machine.kind === 'proc')) localMachine.set(b, readLocalMachine(at));
    const tasks = hosts.filter((h) => !h.busy).map((h) => snapshotHost(h, b));
    const all = Promise.allSettled(tasks).then(() => {
      emitReady();
      // Readings only matter as the start of a later span.
      for (const m of [selfReadings, localMachine, ...hosts.flatMap((h) => [h.procReadings, h.cgroupReadings])]) {
        for (const key of m.keys()) if (key < b - 1 && key < emitted.length) m.delete(key);
      }
    });
    inFlight.add(all);
    void all.finally(() => inFlight.delete(all));
    return all;
  };

  const schedule = (): void => {
    if (stopped) return;
    const dueUs = measureStartUs + nextBoundary * ctx!.intervalMs * 1000;
    timer = setTimeout(
      () => {
        void takeBoundary(nextBoundary);
        nextBoundary += 1;
        schedule();
      },
      Math.max(0, (dueUs - nowUs()) / 1000),
    );
  };

  const observer: LiveOutput = {
    name: 'server',

    async open(c: RunContext): Promise<void> {
      ctx = c;
      tables = [...new Set([...(opts.tables ?? []), ...(c.tables ?? [])])];
      const same = (a: HostSpec): boolean => a.host === c.host.host && a.port === c.host.port;
      const specs = c.conn.hosts.some(same) ? c.conn.hosts : [c.host, ...c.conn.hosts];
      // Read-routing replicas are sampled too: the routing's findings need both sides.
      const replicas = (c.replicaConn?.hosts ?? []).filter((r, i, all) => !specs.some(same2(r)) && all.findIndex(same2(r)) === i);
      const all = [...specs.map((spec) => ({ spec, conn: c.conn })), ...replicas.map((spec) => ({ spec, conn: c.replicaConn! }))];
      hosts = all.map(({ spec, conn }) => newHost(spec, conn, c.localServer !== undefined && same(spec) ? c.localServer.pid : undefined));
      // The load's host must answer (the run checked it); other hosts may be down, e.g. a standby.
      const opening = hosts.map(async (h) => {
        try {
          const client = await openHost(h);
          if (same(h.spec)) h.pooler = await poolerAt(client, h, c, abandoned.signal);
        } catch (e) {
          if (same(h.spec)) throw e;
          // Another host may be down: it has no start facts, and its samples say why.
        }
      });
      try {
        await Promise.all(opening);
      } catch (e) {
        // A failed open is never stopped: no connection of this output may outlive it.
        abandoned.abort();
        await Promise.allSettled(opening);
        await Promise.all(hosts.map((h) => h.client?.end().catch(() => undefined)));
        await Promise.all(hosts.map((h) => h.pooler?.close()));
        throw e;
      }
      if ((c.observeServers ?? []).length > 0)
        await sampleNamed(
          c,
          hosts.find((h) => same(h.spec)),
        );
      else await sampleBehindPooler(c);
      for (const line of machineSources(hosts, opts.serverMetrics ?? [])) c.warn?.(line);
    },

    start(startUs: number): void {
      measureStartUs = startUs;
      nextBoundary = 0;
      schedule();
    },

    async stop(end: RunEnd): Promise<ResultAdditions | undefined> {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (ctx === undefined) return undefined;
      // A second signal (now or while stopping): hand over what there is, without waiting.
      const stopNow = end.stopNow;
      if (stopNow?.aborted === true) return handOver(end);
      let onAbort: (() => void) | undefined;
      const now = new Promise<ResultAdditions>((resolve) => {
        onAbort = () => resolve(handOver(end));
        stopNow?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        return await Promise.race([stopGracefully(end, ctx.intervalMs), now]);
      } finally {
        if (onAbort !== undefined) stopNow?.removeEventListener('abort', onAbort);
      }
    },
  };

  /** Set once handOver() ran: a graceful stop still under way then returns nothing more. */
  let handedOver = false;

  /**
   * The samples emitted so far, each interval not yet sampled marked missing (a snapshot under way
   * is abandoned), the findings of those: at once, synchronously. The connections are closed in
   * the background (end() destroys a stalled one after its grace).
   */
  const handOver = (end: RunEnd): ResultAdditions => {
    handedOver = true;
    abandoned.abort();
    const finalBoundary = Math.max(end.intervals.length, emitted.length);
    if (measureStartUs > 0) {
      // Each interval needs pgsurge's own reading at both ends; boundaries not taken get this one.
      const reading = readSelf(nowUs());
      for (let b = emitted.length; b <= finalBoundary; b++) if (!selfReadings.has(b)) selfReadings.set(b, reading);
      for (const h of hosts) if (h.doneThrough < finalBoundary) markMissing(h, finalBoundary, STOPPED_AT_ONCE);
      emitReady();
    }
    for (const h of hosts) {
      void h.client?.end().catch(() => undefined);
      void h.pooler?.close();
      h.client = undefined;
    }
    return additions(end, []);
  };

  /** The result's sections from what was sampled, with the end facts read (maybe none). */
  const additions = (end: RunEnd, endFacts: HostFacts[]): ResultAdditions => {
    const intervalMs = ctx!.intervalMs;
    const server = emitted.toArray().slice(0, end.intervals.length);
    const facts: { start: ServerFacts; end: ServerFacts } = {
      start: { hosts: hosts.flatMap((h) => (h.startFacts === undefined ? [] : [h.startFacts])) },
      end: { hosts: endFacts },
    };
    const findings = [...samplingGaps([...retired, ...hosts], end.intervals.length, intervalMs), ...diagnose({ intervals: end.intervals, server, facts })];
    return { server, serverFacts: facts, findings };
  };

  const stopGracefully = async (end: RunEnd, intervalMs: number): Promise<ResultAdditions | undefined> => {
    // All of stop() waits at most one sampling deadline: the end of the run is never delayed by
    // a server that stopped answering. What still runs after that is abandoned.
    const deadlineMs = samplingDeadline(intervalMs).ms;
    const untilUs = nowUs() + deadlineMs * 1000;
    // Snapshots under way get one interval (at least 1 s) to finish: one still running then is
    // late already, and waiting for it would hold back the other hosts' last samples too. Its
    // host gets no final snapshot.
    const inFlightUntilUs = Math.min(untilUs, nowUs() + Math.max(1_000, intervalMs) * 1000);
    await waitUntil(Promise.allSettled([...inFlight]), inFlightUntilUs);
    if (handedOver) return undefined;
    // The last boundary: the end of the run (covers the last, possibly partial, interval).
    const finalBoundary = Math.max(end.intervals.length, emitted.length);
    if (measureStartUs > 0 && hosts.some((h) => h.doneThrough < finalBoundary)) {
      if (!selfReadings.has(finalBoundary)) await waitUntil(takeBoundary(finalBoundary), untilUs);
      else {
        const due = hosts.filter((h) => !h.busy && h.doneThrough < finalBoundary);
        await waitUntil(Promise.allSettled(due.map((h) => snapshotHost(h, finalBoundary))), untilUs);
      }
      if (handedOver) return undefined;
      for (const h of hosts) {
        if (h.doneThrough < finalBoundary) markMissing(h, finalBoundary, 'no answer by the end of the run (sampling abandoned)');
      }
      emitReady();
    }
    const endFacts: HostFacts[] = [];
    for (const h of hosts) {
      if (handedOver) return undefined;
      const client = h.client;
      h.client = undefined;
      if (client !== undefined && !h.busy) {
        // End facts are best effort, within what is left of the wait.
        const facts = await waitUntil(
          factsWithBloat(client, h.label, h.caps!, tables).catch(() => undefined),
          untilUs,
        );
        if (facts !== undefined) {
          endFacts.push(facts);
          tell(facts);
        }
      }
      // A query still running on it is abandoned: end() then closes the socket at once.
      await client?.end().catch(() => undefined);
      await h.pooler?.close();
    }
    abandoned.abort();
    return additions(end, endFacts);
  };

  return observer;
}

/** Why an interval has no server sample when a second signal stopped the run at once. */
const STOPPED_AT_ONCE = 'not sampled: the run was stopped at once by a second signal';

/** `p`, or undefined once the monotonic clock passes `untilUs` (p goes on, unobserved). */
async function waitUntil<T>(p: Promise<T>, untilUs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, (untilUs - nowUs()) / 1000));
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The most gaps named per host: a flapping host must not flood the findings. */
const MAX_GAPS_PER_HOST = 3;

/** One finding per run of consecutive intervals a host has no sample for (a stall, a failover). */
function samplingGaps(hosts: readonly HostState[], intervals: number, intervalMs: number): Finding[] {
  const out: Finding[] = [];
  for (const h of hosts) {
    const ks = h.missing.filter((m) => m.k < intervals).sort((x, y) => x.k - y.k);
    const runs: { first: number; last: number; message: string }[] = [];
    for (const m of ks) {
      const cur = runs[runs.length - 1];
      if (cur !== undefined && m.k === cur.last + 1) cur.last = m.k;
      else runs.push({ first: m.k, last: m.k, message: m.message });
    }
    for (const r of runs.slice(0, MAX_GAPS_PER_HOST)) {
      const atS = Array.from({ length: r.last - r.first + 1 }, (_, i) => ((r.first + i) * intervalMs) / 1000);
      out.push({
        rule: 'server-sampling-gap',
        severity: 'warning',
        message: `server sampling of ${h.label} ${/no answer/.test(r.message) ? 'stalled' : 'failed'} at ${(r.first * intervalMs) / 1000} s for ${((r.last - r.first + 1) * intervalMs) / 1000} s: ${r.message}; those intervals have no server figures`,
        atS,
      });
    }
  }
  return out;
}

const same2 =
  (a: HostSpec) =>
  (b: HostSpec): boolean =>
    a.host === b.host && a.port === b.port;

/** pgsurge's own control group (read once): a server in the same one is not measured apart from pgsurge. */
let ownCgroup: string | null | undefined;
function sharedWithSelf(u: CgroupUsage | null): CgroupUsage | null {
  if (u?.path == null) return u;
  if (ownCgroup === undefined) {
    const own = readCgroup(process.pid, 0);
    ownCgroup = own.kind === 'group' ? own.path : null;
  }
  if (u.path !== ownCgroup) return u;
  const shared = 'the same group as pgsurge itself: its figures include pgsurge';
  return { ...u, reason: u.reason === undefined ? shared : `${shared}; ${u.reason}` };
}

const poolerOf = (p: PoolerUsage | PgpoolUsage | undefined): { pooler?: PoolerUsage | PgpoolUsage } => (p === undefined ? {} : { pooler: p });

/** The pooler in front of the load's host, if any: best effort (a failed check leaves the pool figures out, never the run). */
async function poolerAt(client: pg.Client, h: HostState, c: RunContext, signal: AbortSignal): Promise<PoolerProbe | undefined> {
  try {
    return await findPooler(client, h.conn, h.spec, { deadline: samplingDeadline(c.intervalMs), signal, warn: c.warn });
  } catch {
    return undefined;
  }
}

function newHost(spec: HostSpec, conn: ConnInfo, postmasterPid: number | undefined): HostState {
  return {
    spec,
    conn,
    label: `${spec.host}:${spec.port}`,
    client: undefined,
    caps: undefined,
    sql: '',
    busy: false,
    last: undefined,
    doneThrough: 0,
    samples: new Map(),
    startFacts: undefined,
    missing: [],
    postmasterPid,
    procReadings: new Map(),
    cgroupReadings: new Map(),
    machine: { kind: 'none' },
    lastMachine: undefined,
    machineWarned: false,
    pooler: undefined,
  };
}

/** Start or end facts with the bloat estimates (read only then: they are catalog-wide reads). */
async function factsWithBloat(client: pg.Client, host: string, caps: Capabilities, tables: readonly string[]): Promise<HostFacts> {
  const facts = await readFacts(client, host, caps, tables);
  return { ...facts, bloat: await readBloat(client, tables) };
}

/** The postmaster's pid when the server is on this machine; undefined when not, or not provable. */
async function localPostmaster(client: pg.Client, spec: HostSpec): Promise<number | undefined> {
  try {
    const check = await findLocalPostmaster(client, spec);
    return check.kind === 'local' ? check.postmasterPid : undefined;
  } catch {
    return undefined; // the check is best effort: a server that cannot be proven local is not sampled from /proc
  }
}
