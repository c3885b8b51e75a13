/**
 * A fresh data directory for a local server: `initdb`, or a copy of a directory `initdb` made once.
 *
 * PGSURGE_INITDB_CACHE names a directory where one freshly made data directory is kept per set of
 * binaries and OS user; each server then starts from a copy of it (`cp -a`). On this 2-core machine
 * initdb takes 1.43 s of wall time and as much CPU, a copy of its 39 MB 0.40 s, and the test suite
 * starts hundreds of servers, so the test runner sets it. Without it nothing is cached: a user's
 * throwaway server is made by initdb every time and leaves nothing behind.
 *
 * Copies share the template's system identifier; nothing in pgsurge tells servers apart by it.
 * The template is complete before anyone sees it: it is made under a temporary name and renamed
 * into place, so concurrent processes either copy a finished template or make their own.
 */
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from './run-program.js';

export interface InitDataDir {
  readonly binDir: string;
  /** Where the data directory goes; it must not exist yet. */
  readonly dataDir: string;
  /** Spawn options that run initdb as the server's OS user ({} for the current user). */
  readonly ids: { readonly uid?: number; readonly gid?: number };
  readonly env: NodeJS.ProcessEnv;
  /** The superuser initdb creates. */
  readonly superuser: string;
}

function initdbArgs(dataDir: string, superuser: string): string[] {
  return ['-D', dataDir, '-U', superuser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
}

/** The template for these binaries and this OS user, made first if missing. */
async function template(spec: InitDataDir, cacheDir: string): Promise<string> {
  const key = createHash('sha256')
    .update(`${spec.binDir}\0${spec.ids.uid ?? ''}\0${spec.superuser}`)
    .digest('hex')
    .slice(0, 16);
  // One directory per key, owned by the server's user: initdb runs as that user and writes there.
  const home = join(cacheDir, `initdb-${key}`);
  const dir = join(home, 'data');
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  mkdirSync(home, { recursive: true, mode: 0o755 });
  if (spec.ids.uid !== undefined && spec.ids.gid !== undefined) chownSync(home, spec.ids.uid, spec.ids.gid);
  const staging = join(home, `staging-${process.pid}-${Date.now()}`);
  try {
    await runProgram(join(spec.binDir, 'initdb'), initdbArgs(staging, spec.superuser), { ids: spec.ids, env: spec.env, code: 'LOCAL_INITDB_FAILED' });
    try {
      renameSync(staging, dir);
    } catch {
      // Another process finished its template first: use that one.
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/** Make `spec.dataDir` a fresh data directory (initdb's, or a copy of the cached template). */
export async function initDataDir(spec: InitDataDir): Promise<void> {
  const cacheDir = process.env['PGSURGE_INITDB_CACHE'];
  if (cacheDir === undefined || cacheDir === '') {
    await runProgram(join(spec.binDir, 'initdb'), initdbArgs(spec.dataDir, spec.superuser), { ids: spec.ids, env: spec.env, code: 'LOCAL_INITDB_FAILED' });
    return;
  }
  const from = await template(spec, cacheDir);
  // As the server's user, so the copy is that user's, with initdb's 0700 modes kept.
  await runProgram('cp', ['-a', from, spec.dataDir], { ids: spec.ids, env: spec.env, code: 'LOCAL_INITDB_FAILED' });
}
