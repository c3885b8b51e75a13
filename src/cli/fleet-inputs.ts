/**
 * The run's own files (pgbench scripts, workload modules) for a fleet's parts: each machine gets
 * them over its SSH session, written by the remote shell before pgsurge starts there, at a path
 * that is the same on every machine (`/tmp/pgsurge-RUNID/NAME`), so the parts' options agree and
 * their transaction types keep their names. Sent in the session's command (base64 through
 * `base64 -d`), so they are bounded in size; a module's own imports are not shipped.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { usageError } from '../errors.js';
import type { WorkloadSpec } from '../workload/resolve.js';
import { shellQuote } from './fleet-quote.js';

/** The remote command line and its argument list have limits (ARG_MAX, sshd's): stay well under. */
const MAX_BYTES = 512 * 1024;

export interface FleetInputs {
  /** Local path → path on the machines. */
  readonly paths: ReadonlyMap<string, string>;
  /** The POSIX shell lines that write them on a machine, before its part starts ('' when none). */
  readonly script: string;
}

export function fleetInputs(workloads: readonly WorkloadSpec[], runId: string): FleetInputs {
  const files = [...new Set(workloads.filter((w) => w.kind !== 'builtin').map((w) => w.name))];
  if (files.length === 0) return { paths: new Map(), script: '' };
  const dir = `/tmp/pgsurge-${runId}`;
  const paths = new Map<string, string>();
  const byName = new Map<string, string>();
  let total = 0;
  const writes: string[] = [];
  for (const f of files) {
    const name = basename(f);
    const other = byName.get(name);
    if (other !== undefined)
      throw usageError('BAD_OPTIONS', `--fleet: ${other} and ${f} have the same name; the machines get one directory of files: rename one`);
    byName.set(name, f);
    total += statSync(f).size;
    if (total > MAX_BYTES)
      throw usageError(
        'BAD_OPTIONS',
        `--fleet: the run's files are over ${MAX_BYTES / 1024} KB: put them on the machines and run the parts with --shard K/N, then pgsurge merge`,
      );
    paths.set(f, `${dir}/${name}`);
    const tmp = `${dir}/.${name}.$$`;
    // Written aside and moved into place: parts on one machine (--shards-per-host) never read half a file.
    writes.push(`printf %s ${shellQuote(readFileSync(f).toString('base64'))} | base64 -d > "${tmp}" && mv -f "${tmp}" ${shellQuote(`${dir}/${name}`)}`);
  }
  return { paths, script: [`mkdir -p ${shellQuote(dir)}`, ...writes].join(' && ') };
}

/** A workload argument as given (`file@weight`) with the file's path on the machines. */
export function remoteSpec(spec: string, paths: ReadonlyMap<string, string>): string {
  for (const [local, remote] of paths) {
    if (spec === local) return remote;
    if (spec.startsWith(`${local}@`)) return `${remote}${spec.slice(local.length)}`;
  }
  return spec;
}
