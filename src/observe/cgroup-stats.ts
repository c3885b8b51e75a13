/**
 * CPU and memory of the control group a local server runs in (a container on this host, or a
 * service of its own), found through its postmaster's /proc/PID/cgroup. This is what a container's
 * limits count: memory includes the page cache the group's files use, and CPU every process of the
 * group (also those that are not the postmaster's children).
 *
 * cgroup v2 (one unified hierarchy at the root): cpu.stat `usage_usec`, memory.current, memory.max.
 * cgroup v1 (a hierarchy per controller): cpuacct.usage (ns), memory.usage_in_bytes,
 * memory.limit_in_bytes. A server in the root group has no figures of its own (they would be the
 * machine's): that, and unreadable files, are said as the reason with null figures.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupUsage } from './types.js';

/** Where /proc and the cgroup file system are (tests point them at fixtures). */
export interface CgroupRoots {
  readonly proc: string;
  readonly sys: string;
}
const SYSTEM: CgroupRoots = { proc: '/proc', sys: '/sys/fs/cgroup' };

/** v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages). */
const V1_UNLIMITED = 2 ** 62;

export type CgroupReading =
  | {
      readonly kind: 'group';
      readonly atUs: number;
      readonly path: string;
      readonly cpuUs: number | null;
      readonly memoryBytes: number | null;
      readonly memoryLimitBytes: number | null;
      readonly reason?: string;
    }
  | { readonly kind: 'none'; readonly atUs: number; readonly reason: string };

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

const numberIn = (text: string | undefined): number | null => {
  const v = Number(text?.trim());
  return text === undefined || text.trim() === '' || !Number.isFinite(v) ? null : v;
};

/** /proc/PID/cgroup → the v2 path ("0::PATH") and each v1 controller's path. */
export function parseProcCgroup(text: string): { v2: string | undefined; v1: Map<string, string> } {
  let v2: string | undefined;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (m === null) continue;
    const [, id, controllers = '', path = ''] = m;
    if (id === '0' && controllers === '') v2 = path;
    else for (const c of controllers.split(',')) if (c !== '') v1.set(c, path);
  }
  return { v2, v1 };
}

/** cpu.stat's usage_usec (cgroup v2), µs. */
export function parseCpuStat(text: string): number | null {
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m === null ? null : Number(m[1]);
}

/** The group of process `pid` at `atUs`. */
export function readCgroup(pid: number, atUs: number, roots: CgroupRoots = SYSTEM): CgroupReading {
  const text = read(join(roots.proc, String(pid), 'cgroup'));
  if (text === undefined) return { kind: 'none', atUs, reason: `cannot read ${roots.proc}/${pid}/cgroup` };
  const { v2, v1 } = parseProcCgroup(text);
  const unified = existsSync(join(roots.sys, 'cgroup.controllers'));
  if (unified && v2 !== undefined) {
    if (v2 === '/') return { kind: 'none', atUs, reason: 'the server runs in the root cgroup (no container or group of its own)' };
    const dir = join(roots.sys, v2);
    const cpu = read(join(dir, 'cpu.stat'));
    const mem = numberIn(read(join(dir, 'memory.current')));
    const max = read(join(dir, 'memory.max'))?.trim();
    const missing = [cpu === undefined ? 'cpu.stat' : '', mem === null ? 'memory.current' : ''].filter((x) => x !== '');
    return {
      kind: 'group',
      atUs,
      path: v2,
      cpuUs: cpu === undefined ? null : parseCpuStat(cpu),
      memoryBytes: mem,
      memoryLimitBytes: max === undefined || max === 'max' ? null : numberIn(max),
      ...(missing.length === 0 ? {} : { reason: `${missing.join(' and ')} of cgroup ${v2} not readable` }),
    };
  }
  const memPath = v1.get('memory');
  const cpuPath = v1.get('cpuacct');
  if (memPath === undefined && cpuPath === undefined) return { kind: 'none', atUs, reason: 'no cgroup v2 group nor v1 memory or cpuacct group' };
  if ((memPath ?? '/') === '/' && (cpuPath ?? '/') === '/')
    return { kind: 'none', atUs, reason: 'the server runs in the root cgroup (no container or group of its own)' };
  // A controller left at the root would report the machine: null rather than the wrong figure.
  const cpuNs = cpuPath === undefined || cpuPath === '/' ? null : numberIn(read(join(roots.sys, 'cpuacct', cpuPath, 'cpuacct.usage')));
  const memDir = memPath === undefined || memPath === '/' ? undefined : join(roots.sys, 'memory', memPath);
  const limit = memDir === undefined ? null : numberIn(read(join(memDir, 'memory.limit_in_bytes')));
  const memoryBytes = memDir === undefined ? null : numberIn(read(join(memDir, 'memory.usage_in_bytes')));
  const missing = [cpuNs === null ? 'CPU (cpuacct)' : '', memoryBytes === null ? 'memory' : ''].filter((x) => x !== '');
  return {
    kind: 'group',
    atUs,
    path: memPath !== undefined && memPath !== '/' ? memPath : (cpuPath ?? '/'),
    cpuUs: cpuNs === null ? null : cpuNs / 1000,
    memoryBytes,
    memoryLimitBytes: limit === null || limit >= V1_UNLIMITED ? null : limit,
    ...(missing.length === 0 ? {} : { reason: `no ${missing.join(' and ')} group of its own, or not readable (cgroup v1)` }),
  };
}

/** Usage over the span between two readings (memory as of the later one); null without a reading. */
export function cgroupBetween(a: CgroupReading | undefined, b: CgroupReading | undefined): CgroupUsage | null {
  if (b === undefined) return null;
  if (b.kind === 'none') return { path: null, cpuPct: null, memoryBytes: null, memoryLimitBytes: null, reason: b.reason };
  let cpuPct: number | null = null;
  if (a?.kind === 'group' && a.path === b.path && a.cpuUs !== null && b.cpuUs !== null && b.atUs > a.atUs) {
    cpuPct = Math.round((Math.max(0, b.cpuUs - a.cpuUs) / (b.atUs - a.atUs)) * 1000) / 10;
  }
  return {
    path: b.path,
    cpuPct,
    memoryBytes: b.memoryBytes,
    memoryLimitBytes: b.memoryLimitBytes,
    ...(b.reason === undefined ? {} : { reason: b.reason }),
  };
}
