/**
 * Where the run history lives, and what must be true of that file before SQLite is loaded (the CLI
 * checks a run's history before the load starts, without loading SQLite).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** $PGSURGE_HISTORY, else $XDG_DATA_HOME/pgsurge/history.db, else ~/.local/share/pgsurge/history.db. */
export function defaultHistoryPath(env: NodeJS.ProcessEnv): string {
  const own = env['PGSURGE_HISTORY'];
  if (own !== undefined && own !== '') return own;
  // The XDG spec: a relative $XDG_DATA_HOME is invalid and is to be ignored.
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'pgsurge', 'history.db');
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : homedir();
  return join(home, '.local', 'share', 'pgsurge', 'history.db');
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Why `file` cannot be a history, as far as its first bytes tell, or undefined: it is missing
 * (it will be created), empty, or an SQLite database (whether it is pgsurge's is known once open).
 */
export function historyFileProblem(file: string): string | undefined {
  let fd: number;
  try {
    if (!statSync(file).isFile()) return 'is not a regular file';
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === 'ENOENT' ? undefined : `cannot be read (${code ?? String(e)})`;
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n === 0) return undefined;
    return n === head.length && head.toString('latin1') === SQLITE_HEADER ? undefined : 'is not an SQLite database (not a pgsurge history)';
  } finally {
    closeSync(fd);
  }
}
