/**
 * CPU, memory, disk and network of a whole machine: cumulative counters at one moment (a
 * MachineReading), read from this machine's /proc or from a node_exporter (node-exporter.ts), and
 * the usage over the span between two readings. Both sources count the same things, so the
 * figures mean the same whichever one a host got:
 * - CPU: busy = all modes except idle and iowait (node_exporter's node_cpu_seconds_total modes are
 *   /proc/stat's first eight columns; guest time is inside user there and not a mode of its own).
 * - memory: MemTotal and MemAvailable (the kernel's estimate of what can be had without swapping).
 * - disk: bytes read and written, and reads and writes completed (IOPS), by whole devices, not partitions (a partition's I/O is also its
 *   device's) nor ram/loop devices (node_exporter's default device exclusion).
 * - network: bytes received and sent by every interface except loopback.
 */
import { readFileSync } from 'node:fs';
import type { MachineUsage } from './types.js';

/** USER_HZ: clock ticks per second in /proc/stat. 100 on every Linux ABI Node runs on. */
const TICKS_PER_S = 100;
/** /proc/diskstats counts 512-byte sectors whatever the device's sector size. */
const SECTOR_BYTES = 512;
/** Partitions and pseudo devices: node_exporter's default --collector.diskstats.device-exclude. */
export const EXCLUDED_DISK = /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** Cumulative counters of one machine at `atUs`; null where the source did not have the figure. */
export interface MachineReading {
  readonly atUs: number;
  readonly cpuBusyS: number | null;
  readonly cpuTotalS: number | null;
  readonly memoryTotalBytes: number | null;
  readonly memoryAvailableBytes: number | null;
  readonly diskReadBytes: number | null;
  readonly diskWrittenBytes: number | null;
  /** Reads and writes completed. */
  readonly diskReads: number | null;
  readonly diskWrites: number | null;
  readonly netReceiveBytes: number | null;
  readonly netTransmitBytes: number | null;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

function procCpu(): { busyS: number; totalS: number } | null {
  const line = readText('/proc/stat')?.split('\n', 1)[0];
  if (line?.startsWith('cpu ') !== true) return null;
  // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice).
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 5 || f.some((x) => !Number.isFinite(x))) return null;
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busyS: (total - idle) / TICKS_PER_S, totalS: total / TICKS_PER_S };
}

function procMemory(): { total: number | null; available: number | null } {
  const text = readText('/proc/meminfo') ?? '';
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m === null ? null : Number(m[1]) * 1024;
  };
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

function procDisk(): { read: number; written: number; reads: number; writes: number } | null {
  const text = readText('/proc/diskstats');
  if (text === undefined) return null;
  let read = 0;
  let written = 0;
  let reads = 0;
  let writes = 0;
  for (const line of text.split('\n')) {
    // major minor name reads merged sectors_read ms writes merged sectors_written ...
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (name === undefined || f.length < 10 || EXCLUDED_DISK.test(name)) continue;
    reads += Number(f[3]);
    read += Number(f[5]) * SECTOR_BYTES;
    writes += Number(f[7]);
    written += Number(f[9]) * SECTOR_BYTES;
  }
  return [read, written, reads, writes].every(Number.isFinite) ? { read, written, reads, writes } : null;
}

function procNet(): { rx: number; tx: number } | null {
  const text = readText('/proc/net/dev');
  if (text === undefined) return null;
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === 'lo') continue;
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ...
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return Number.isFinite(rx) && Number.isFinite(tx) ? { rx, tx } : null;
}

/** This machine, from /proc (small synchronous reads, once per interval on the main thread). */
export function readLocalMachine(atUs: number): MachineReading {
  const cpu = procCpu();
  const mem = procMemory();
  const disk = procDisk();
  const net = procNet();
  return {
    atUs,
    cpuBusyS: cpu?.busyS ?? null,
    cpuTotalS: cpu?.totalS ?? null,
    memoryTotalBytes: mem.total,
    memoryAvailableBytes: mem.available,
    diskReadBytes: disk?.read ?? null,
    diskWrittenBytes: disk?.written ?? null,
    diskReads: disk?.reads ?? null,
    diskWrites: disk?.writes ?? null,
    netReceiveBytes: net?.rx ?? null,
    netTransmitBytes: net?.tx ?? null,
  };
}

/** Per second of the span; null when either side lacks the counter, 0 when it went back (a reset). */
function ratePerS(a: number | null, b: number | null, spanS: number): number | null {
  if (a === null || b === null || spanS <= 0) return null;
  return Math.round((Math.max(0, b - a) / spanS) * 10) / 10;
}

/** Usage over the span between two readings (gauges as of the later one). */
export function machineBetween(a: MachineReading | undefined, b: MachineReading, source: string): MachineUsage {
  const spanS = a === undefined ? 0 : (b.atUs - a.atUs) / 1e6;
  let cpuPct: number | null = null;
  if (a?.cpuBusyS != null && a.cpuTotalS != null && b.cpuBusyS !== null && b.cpuTotalS !== null && b.cpuTotalS > a.cpuTotalS) {
    const pct = ((b.cpuBusyS - a.cpuBusyS) / (b.cpuTotalS - a.cpuTotalS)) * 100;
    cpuPct = Math.round(Math.min(100, Math.max(0, pct)) * 10) / 10;
  }
  return {
    source,
    cpuPct,
    memoryTotalBytes: b.memoryTotalBytes,
    memoryAvailableBytes: b.memoryAvailableBytes,
    diskReadBytesPerS: ratePerS(a?.diskReadBytes ?? null, b.diskReadBytes, spanS),
    diskWriteBytesPerS: ratePerS(a?.diskWrittenBytes ?? null, b.diskWrittenBytes, spanS),
    diskReadsPerS: ratePerS(a?.diskReads ?? null, b.diskReads, spanS),
    diskWritesPerS: ratePerS(a?.diskWrites ?? null, b.diskWrites, spanS),
    netReceiveBytesPerS: ratePerS(a?.netReceiveBytes ?? null, b.netReceiveBytes, spanS),
    netTransmitBytesPerS: ratePerS(a?.netTransmitBytes ?? null, b.netTransmitBytes, spanS),
  };
}

/** An interval whose machine figures are missing, and why. */
export function missingMachine(source: string, error: string): MachineUsage {
  return {
    source,
    cpuPct: null,
    memoryTotalBytes: null,
    memoryAvailableBytes: null,
    diskReadBytesPerS: null,
    diskWriteBytesPerS: null,
    diskReadsPerS: null,
    diskWritesPerS: null,
    netReceiveBytesPerS: null,
    netTransmitBytesPerS: null,
    error,
  };
}
