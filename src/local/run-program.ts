/**
 * Run a PostgreSQL tool (initdb, pg_ctl, pg_basebackup, cp) to its end as the servers' OS user,
 * with a deadline: its combined output, or one PgsurgeError with the output's last lines.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { PgsurgeError } from '../errors.js';

export interface ProgramOptions {
  /** Spawn options that run it as the servers' OS user ({} for the current user). */
  readonly ids: { readonly uid?: number; readonly gid?: number };
  readonly env: NodeJS.ProcessEnv;
  /** Killed after this long; default 120 s. */
  readonly timeoutMs?: number;
  /** The error's code; default LOCAL_TOOL_FAILED. */
  readonly code?: string;
}

export async function runProgram(program: string, args: readonly string[], opts: ProgramOptions): Promise<string> {
  const code = opts.code ?? 'LOCAL_TOOL_FAILED';
  const name = basename(program);
  return await new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...opts.ids, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new PgsurgeError(code, `${name}: ${e.message}`, { cause: e }));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (status === 0) resolve(out);
      else {
        const why = signal !== null ? `killed by ${signal}` : `exit code ${status}`;
        reject(new PgsurgeError(code, `${name} ${args.join(' ')} failed (${why}): ${out.trim().split('\n').slice(-6).join('\n')}`));
      }
    });
  });
}
