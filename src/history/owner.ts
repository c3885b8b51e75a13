/**
 * Which process owns something (the history's lock, a run still going on), and whether that process
 * is still there. A process is named by its host, its pid and a token drawn when it started, so
 * that a later process that got the same pid is not taken for it (in this process, at least; of
 * another live process with a reused pid nothing can be told, and it is taken as the owner).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export interface ProcessOwner {
  readonly host: string;
  readonly pid: number;
  readonly token: string;
}

export const THIS_PROCESS: ProcessOwner = Object.freeze({ host: hostname(), pid: process.pid, token: randomBytes(6).toString('hex') });

export const ownerText = (o: ProcessOwner): string => JSON.stringify({ host: o.host, pid: o.pid, token: o.token });

export function parseOwner(text: string | null | undefined): ProcessOwner | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<Record<keyof ProcessOwner, unknown>> | null;
    if (typeof v?.host === 'string' && typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.token === 'string')
      return { host: v.host, pid: v.pid, token: v.token };
  } catch {
    // Not an owner: the caller decides what an unreadable one means.
  }
  return undefined;
}

/** 'gone' when the owner's process has certainly ended; 'unknown' for a process on another host. */
export function ownerState(o: ProcessOwner): 'alive' | 'gone' | 'unknown' {
  if (o.host !== THIS_PROCESS.host) return 'unknown';
  if (o.pid === THIS_PROCESS.pid) return o.token === THIS_PROCESS.token ? 'alive' : 'gone';
  try {
    process.kill(o.pid, 0);
    return 'alive';
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as { code?: string }).code === 'ESRCH' ? 'gone' : 'alive';
  }
}

export const describeOwner = (o: ProcessOwner): string => `process ${o.pid}${o.host === THIS_PROCESS.host ? '' : ` on ${o.host}`}`;
