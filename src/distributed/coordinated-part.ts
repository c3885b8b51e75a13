/**
 * A part run by a coordinator (`run --shard K/N --coordinated`): the shard's end of protocol.ts.
 * It says hello, answers the coordinator's pings with its clock, reports ready with its metrics
 * layout once every connection is open, starts at the instant the coordinator's `go` names, sends
 * each interval's snapshot as soon as its worker threads have all reported it, and its result at
 * the end. A `stop`, the end of its input (the coordinator or its SSH session went away) or a line
 * it cannot read stops the run gracefully: what was measured is still sent.
 */
import type { ShardPart } from '../executor/types.js';
import type { MetricsLayout } from '../metrics/types.js';
import type { ResultV1 } from '../report/result.js';
import type { WireSnapshot } from '../report/shard-schema.js';
import { coordinatorMessageSchema, decodeLine, encodeMessage, lineReader, type ShardMessage } from './protocol.js';

export interface PartIO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  /** Ends the part's side of the transport once its last message is written (HTTP: the request). */
  end?(): void;
}

export class CoordinatedPart {
  private go: ((startAtMs: number) => void) | null = null;
  private envResolve: ((env: Record<string, string>) => void) | null = null;
  private env: Record<string, string> | null = null;
  private stopped = false;

  constructor(
    private readonly io: PartIO,
    private readonly part: ShardPart,
    private readonly version: string,
    /** Called once when the coordinator asks the part to stop (or can no longer be heard). */
    private readonly onStop: (why: string) => void,
  ) {}

  start(): void {
    this.send({ t: 'hello', version: this.version, k: this.part.k, n: this.part.n });
    const read = lineReader((line) => {
      const d = decodeLine(coordinatorMessageSchema, line);
      if (!d.ok) return this.stop(`the coordinator sent ${d.reason}`);
      const m = d.message;
      if (m.t === 'env') {
        this.env = m.env;
        this.envResolve?.(m.env);
      } else if (m.t === 'ping') this.send({ t: 'pong', id: m.id, nowMs: Date.now() });
      else if (m.t === 'go') this.go?.(m.startAtMs);
      else this.stop('stopped by the coordinator');
    });
    this.io.stdin.on('data', read);
    this.io.stdin.on('end', () => this.stop('the coordinator went away (its input ended)'));
    this.io.stdin.on('error', () => this.stop('the coordinator went away (its input failed)'));
  }

  /** The PG* variables the coordinator sends first (the password of its URL among them). */
  environment(timeoutMs = 30_000): Promise<Record<string, string>> {
    if (this.env !== null) return Promise.resolve(this.env);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the coordinator sent no environment within ${timeoutMs / 1000} s`)), timeoutMs);
      this.envResolve = (env) => {
        clearTimeout(timer);
        resolve(env);
      };
    });
  }

  /** Every connection is open: say so, and wait for the coordinator's start instant. */
  awaitStart(layout: MetricsLayout, intervalMs: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.stopped) {
        reject(new Error('stopped by the coordinator before the start'));
        return;
      }
      this.go = resolve;
      this.send({ t: 'ready', layout: { txnTypes: layout.txnTypes.map((t) => ({ name: t.name, statements: [...t.statements] })) }, intervalMs });
    });
  }

  interval(s: WireSnapshot): void {
    this.send({ t: 'interval', s });
  }

  result(result: ResultV1): void {
    this.send({ t: 'result', result: result as unknown as Record<string, unknown> });
  }

  error(message: string, exitCode: number): void {
    this.send({ t: 'error', message, exitCode });
  }

  /** The run is over: stop listening, so that the process can end. */
  close(): void {
    this.stopped = true;
    this.io.stdin.removeAllListeners('data');
    this.io.stdin.removeAllListeners('end');
    this.io.stdin.pause();
    this.io.end?.();
  }

  private stop(why: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop(why);
  }

  private send(m: ShardMessage): void {
    this.io.stdout.write(encodeMessage(m));
  }
}
