/**
 * The state file of `pgsurge local up`: everything later commands (status, kill-primary, promote,
 * down) need to find the cluster again — ports, directories, the current primary, PgBouncer's pid.
 * Location: $PGSURGE_LOCAL_STATE, else $XDG_RUNTIME_DIR/pgsurge-local/state.json, else
 * <tmpdir>/pgsurge-local-<uid>/state.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PgsurgeError } from '../errors.js';
import type { NodeSpec } from './pg-node.js';

export interface PgBouncerState {
  readonly port: number;
  readonly pid: number;
  /** Its config, auth file and log. */
  readonly dir: string;
}

export interface ClusterState {
  readonly version: 1;
  /** Parent of every node's directory; removed by `down`. */
  readonly baseDir: string;
  readonly binDir: string;
  readonly database: string;
  readonly sync: boolean;
  /** Node 0 is the first primary; after a promotion `primary` names another. */
  readonly nodes: readonly NodeSpec[];
  readonly primary: string;
  readonly pgbouncer?: PgBouncerState | undefined;
  /** Pgpool-II in front of every node (it finds the primary itself, and balances reads over the others). */
  readonly pgpool?: PgBouncerState | undefined;
  /** A PgBouncer in front of that Pgpool-II (both poolers stacked). */
  readonly pgbouncerPgpool?: PgBouncerState | undefined;
  /** A PgBouncer in front of each node, in the order of `nodes` (the other stacking: Pgpool-II's backends). */
  readonly nodeBouncers?: readonly PgBouncerState[] | undefined;
  /** A Pgpool-II whose backends are `nodeBouncers`. */
  readonly pgpoolPgbouncer?: PgBouncerState | undefined;
  /**
   * The login role that poolers authenticate with a password (made with a pooler): owner of the
   * database. Its password is in this file, which is private to the user (0600).
   */
  readonly login?: { readonly user: string; readonly password: string } | undefined;
}

export function statePath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['PGSURGE_LOCAL_STATE'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime !== '' && existsSync(runtime)) return join(runtime, 'pgsurge-local', 'state.json');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `pgsurge-local-${uid}`, 'state.json');
}

export function readState(file: string): ClusterState | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PgsurgeError('LOCAL_BAD_STATE', `the state file ${file} is not valid JSON (remove it once its servers are gone)`, { cause: e });
  }
  const s = parsed as Partial<ClusterState>;
  if (s.version !== 1 || !Array.isArray(s.nodes) || typeof s.baseDir !== 'string' || typeof s.primary !== 'string') {
    throw new PgsurgeError('LOCAL_BAD_STATE', `the state file ${file} is not a pgsurge local cluster state (version 1)`);
  }
  return s as ClusterState;
}

/** Write atomically (rename), private to the user. */
export function writeState(file: string, state: ClusterState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}
