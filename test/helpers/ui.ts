/**
 * `pgsurge ui` (or `run --ui`) as a child process, with its URL read from what it prints, and a
 * small JSON client for its API. The child is stopped (SIGINT, then SIGKILL) in `stop`, which
 * callers register with `after` so that a failing test leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, cleanEnv } from './cli.js';

export interface UiProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The run id in a `run --ui` page address (undefined for `pgsurge ui`). */
  readonly runId: string | undefined;
  stderr(): string;
  stdout(): string;
  /** The exit code once it has ended. */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function startUiProcess(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv(), timeoutMs = 60_000): Promise<UiProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    let found = false;
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pgsurge ${args.join(' ')} printed no address within ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /(?:UI|live page) at (http:\/\/[^/\s]+)\/\S*?(?:#\/runs\/(\S+))?$/m.exec(err);
      if (m !== null && !found) {
        found = true;
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          runId: m[2],
          stderr: () => err,
          stdout: () => out,
          exited,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
            const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
            const code = await exited;
            clearTimeout(killer);
            return code;
          },
        });
      }
    });
    void exited.then((code) => {
      if (!found) {
        clearTimeout(timer);
        reject(new Error(`pgsurge ${args.join(' ')} exited (${code}) before printing its address\n${err}`));
      }
    });
  });
}

export interface ApiResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by each test
  readonly text: string;
  readonly headers: Headers;
}

export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface SseEvent {
  readonly id: number;
  readonly type: string;
  readonly data: { id: number; type: string; run: string; data: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Reads an SSE stream until `stop` says so (or the stream ends); returns the events read. */
export async function readEvents(
  url: string,
  stop: (e: SseEvent, all: readonly SseEvent[]) => boolean,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<SseEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers, signal: ac.signal });
    if (res.status !== 200 || res.body === null) throw new Error(`${url}: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
        );
        if (fields['data'] === undefined) continue;
        const e: SseEvent = { id: Number(fields['id']), type: fields['event'] ?? 'message', data: JSON.parse(fields['data']) };
        events.push(e);
        if (stop(e, events)) return events;
      }
    }
    return events;
  } catch (e) {
    if (ac.signal.aborted && events.length > 0) return events;
    throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}
