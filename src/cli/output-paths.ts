/**
 * Where a run's outputs go, checked before anything starts: an hour of load must not end in
 * "cannot write". Each problem is one line naming the option as typed, the path and why
 * ("--json /nonexistent/x.json: directory /nonexistent does not exist").
 *
 * A check cannot promise the write at the end will succeed (the disk may fill, a directory may be
 * removed meanwhile), so writing goes through `writeOutputFile`, which never throws: the caller
 * writes every other output and reports the failed ones.
 */
import { closeSync, openSync, statSync, unlinkSync, accessSync, constants, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { usageError } from '../errors.js';

export interface OutputRequest {
  /** The option as the user typed it: "--json", "--out". */
  readonly option: string;
  readonly path: string;
  /** A file to write, or a directory to create (if needed) and fill. */
  readonly kind: 'file' | 'dir';
}

/** A file the run reads (script, module, scenario), with the option that named it, for messages. */
export interface InputFile {
  readonly path: string;
  /** How the user gave it: "-f my.sql", "scenario.yaml". */
  readonly given: string;
}

export interface OutputFailure {
  readonly option: string;
  readonly path: string;
  readonly reason: string;
}

const errnoOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

function statOrError(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (e) {
    return errnoOf(e) ?? String(e);
  }
}

/**
 * The nearest ancestor of `abs` that exists, and whether a file stands where a directory should:
 * `{ dir }` when `dir` exists and is a directory; `{ file }` when a path component is not one.
 */
function nearestExisting(abs: string): { dir: string } | { file: string } | { error: string; at: string } {
  const chain: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  // From the root down: the first component that is not a directory decides.
  let last = chain[0]!;
  for (const p of chain) {
    const st = statOrError(p);
    if (st === 'ENOENT') return { dir: last };
    if (typeof st === 'string') return { error: st, at: p };
    if (!st.isDirectory()) return { file: p };
    last = p;
  }
  return { dir: last };
}

/** Why no file can be created in the existing directory `dir`, or undefined when one can. */
function cannotCreateIn(dir: string): string | undefined {
  const probe = join(dir, `.pgsurge-write-check-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    const code = errnoOf(e);
    switch (code) {
      case 'EACCES':
      case 'EPERM':
        return `no permission to create files in ${dir}`;
      case 'EROFS':
        return `${dir} is on a read-only file system`;
      case 'ENOSPC':
        return `no space left on the device of ${dir}`;
      default:
        // /proc, /sys and the like refuse new files with ENOENT.
        return `files cannot be created in ${dir} (${code ?? String(e)})`;
    }
  }
  try {
    unlinkSync(probe);
  } catch {
    // Removing the probe is tidiness only; the check has its answer.
  }
  return undefined;
}

/** A path as typed, quoted when it would not read as one (empty, spaces). */
const shown = (path: string): string => (path === '' || /\s/.test(path) ? JSON.stringify(path) : path);

/** Why `req` cannot be written as far as can be told now, or undefined when it can. */
export function outputPathProblem(req: OutputRequest): string | undefined {
  const { path, kind } = req;
  if (path.trim() === '') return 'an empty path';
  if (path.includes('\0')) return 'the path contains a NUL byte';
  const abs = resolve(path);
  if (kind === 'file' && (path.endsWith(sep) || path.endsWith('/'))) return 'names a directory (it ends with /); give a file name';
  const st = statOrError(abs);
  if (typeof st !== 'string') {
    if (kind === 'file') {
      if (st.isDirectory()) return 'is a directory; give a file name';
      if (st.isFIFO()) return 'is a named pipe; give a regular file';
      try {
        accessSync(abs, constants.W_OK);
      } catch (e) {
        const code = errnoOf(e);
        return code === 'EROFS' ? 'is on a read-only file system' : `the file is not writable (${code ?? String(e)})`;
      }
      return undefined;
    }
    if (!st.isDirectory()) return 'is an existing file, not a directory; give a directory (it is created if missing)';
    return cannotCreateIn(abs);
  }
  if (st !== 'ENOENT' && st !== 'ENOTDIR') return `cannot be reached (${st})`;
  // It does not exist: the directory it goes in (for --out: the nearest ancestor, the rest is created).
  const parent = dirname(abs);
  const near = nearestExisting(kind === 'file' ? parent : abs);
  if ('file' in near) return `${near.file} is a file, not a directory`;
  if ('error' in near) return `${near.at} cannot be reached (${near.error})`;
  if (kind === 'file' && near.dir !== parent) return `directory ${dirname(path)} does not exist`;
  return cannotCreateIn(near.dir);
}

/**
 * Every problem with the outputs, before anything starts: each path on its own, two outputs on
 * one file, and an output that would overwrite one of the run's inputs. Throws a usage error
 * (exit 2) listing them.
 */
export function checkOutputPaths(requests: readonly OutputRequest[], inputs: readonly InputFile[] = []): void {
  const problems: string[] = [];
  const seen = new Map<string, OutputRequest>();
  const inputByPath = new Map(inputs.map((i) => [resolve(i.path), i]));
  for (const req of requests) {
    const why = outputPathProblem(req);
    if (why !== undefined) {
      problems.push(`${req.option} ${shown(req.path)}: ${why}`);
      continue;
    }
    const abs = resolve(req.path);
    const before = seen.get(abs);
    if (before !== undefined)
      problems.push(`${req.option} ${req.path}: the same ${req.kind === 'dir' ? 'directory' : 'file'} as ${before.option}; give each output its own`);
    seen.set(abs, req);
    const input = inputByPath.get(abs);
    if (input !== undefined && req.kind === 'file')
      problems.push(`${req.option} ${req.path}: that is an input of the run (${input.given}); writing there would destroy it`);
  }
  if (problems.length === 0) return;
  const [first, ...rest] = problems;
  throw usageError('OUTPUT_PATH', `${first!}${rest.length > 0 ? `; and ${rest.length} more output problem${rest.length === 1 ? '' : 's'}:` : ''}`, rest);
}

/** Write `text` to an output; a failure is returned (with why, checked again now), never thrown. */
export function writeOutputFile(req: Omit<OutputRequest, 'kind'>, text: () => string): OutputFailure | undefined {
  try {
    writeFileSync(req.path, text());
    return undefined;
  } catch (e) {
    return { option: req.option, path: req.path, reason: failureReason({ ...req, kind: 'file' }, e) };
  }
}

/** Why a write failed: what the path check sees now (a removed directory…), else the system's code. */
export function failureReason(req: OutputRequest, e: unknown): string {
  const now = outputPathProblem(req);
  const code = errnoOf(e);
  if (now !== undefined) return code === undefined ? now : `${now} (${code})`;
  return code ?? (e instanceof Error ? e.message : String(e));
}

/** One line per failed output: "--json PATH: not written: WHY". */
export function formatOutputFailure(f: OutputFailure): string {
  return `${f.option} ${shown(f.path)}: not written: ${f.reason}`;
}
