/**
 * The history's lock: one process at a time reads or writes the database, for the few
 * milliseconds an operation takes.
 *
 * Why not SQLite's locking alone: node-sqlite3-wasm's file layer locks with a bare directory
 * FILE.lock (mkdir), at one level for readers and writers alike. That excludes other processes
 * well, but says nothing about who holds it: a process killed while holding it would lock everyone
 * else out for good. This lock is a file FILE.pgsurge-lock, created only if it does not exist
 * (O_EXCL, atomic), that names the process holding it (owner.ts), so a lock whose process has ended
 * is taken over at once. Every pgsurge process takes it before it opens the database (database.ts),
 * so SQLite's own lock never waits. (A file rather than a directory: a create and an unlink cost a
 * sixth of a mkdir and an rmdir here.)
 *
 * A lock with no readable owner (its maker died between creating and writing it, a window of
 * microseconds) is taken over when older than ORPHAN_MS; one owned by a process on another host (a
 * history on a shared file system) when older than FOREIGN_STALE_MS, far beyond any operation's
 * length.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PgsurgeError } from '../errors.js';
import { describeOwner, ownerState, parseOwner, THIS_PROCESS } from './owner.js';

const ORPHAN_MS = 10_000;
const FOREIGN_STALE_MS = 60_000;
/** Longest pause between two tries: short, as a holder keeps the lock for milliseconds. */
const MAX_PAUSE_MS = 25;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread without spinning (SQLite's own busy handler spins in WebAssembly). */
const sleepMs = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** Locks this process holds: an operation does not take the lock it is already in. */
const held = new Set<string>();

export const lockFileOf = (file: string): string => `${file}.pgsurge-lock`;

/** Runs `fn` holding the lock of `file`; waits up to `timeoutMs` for another process's operation to end. */
export function withFileLock<T>(file: string, timeoutMs: number, fn: () => T): T {
  const lock = lockFileOf(file);
  if (held.has(lock)) throw new PgsurgeError('INTERNAL', `history ${file}: an operation inside another one`);
  const mine = acquire(file, lock, timeoutMs);
  held.add(lock);
  try {
    return fn();
  } finally {
    held.delete(lock);
    release(lock, mine);
  }
}

function acquire(file: string, lock: string, timeoutMs: number): string {
  // The process, and this acquisition (so that a release removes only its own).
  const mine = JSON.stringify({ ...THIS_PROCESS, lock: randomBytes(4).toString('hex') });
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS)) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw new PgsurgeError('HISTORY_UNWRITABLE', `history ${file}: cannot lock it (${errnoOf(e) ?? String(e)} on ${lock})`);
      if (takeOverIfStale(lock)) continue;
      if (Date.now() >= deadline) {
        const owner = parseOwner(readOwner(lock));
        throw new PgsurgeError(
          'HISTORY_BUSY',
          `history ${file} is in use by ${owner === undefined ? 'another process' : describeOwner(owner)}: waited ${timeoutMs / 1000} s (remove ${lock} if no pgsurge is running)`,
        );
      }
      sleepMs(pauseMs + Math.random() * pauseMs);
      continue;
    }
    try {
      writeSync(fd, mine);
    } catch (e) {
      rmSync(lock, { force: true });
      throw new PgsurgeError('HISTORY_UNWRITABLE', `history ${file}: cannot lock it (${errnoOf(e) ?? String(e)} writing ${lock})`);
    } finally {
      closeSync(fd);
    }
    return mine;
  }
}

function readOwner(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether the lock was stale and has been removed (then the caller tries again at once). */
function takeOverIfStale(lock: string): boolean {
  const text = readOwner(lock);
  const owner = parseOwner(text);
  const age = ageMs(lock);
  if (age === undefined) return true; // gone meanwhile
  const state = owner === undefined ? undefined : ownerState(owner);
  const stale = state === undefined ? age > ORPHAN_MS : state === 'gone' || (state === 'unknown' && age > FOREIGN_STALE_MS);
  if (!stale) return false;
  // Moved aside first (atomic), then checked: if another process took over the stale lock and made
  // its own between our look and the move, we moved theirs, and it goes back.
  const aside = `${lock}.stale-${THIS_PROCESS.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return true; // someone else moved it: try again
  }
  if (readOwner(aside) !== text) {
    try {
      renameSync(aside, lock);
      return false;
    } catch {
      // A third process made a lock meanwhile: theirs stands; this one is dropped below.
    }
  }
  rmSync(aside, { force: true });
  return true;
}

function release(lock: string, mine: string): void {
  // Only our own: had our lock been taken over (we were stopped for a minute), it is theirs now.
  if (readOwner(lock) === mine) rmSync(lock, { force: true });
}
