/**
 * The shard ↔ coordinator protocol: one JSON message per line. A coordinated part (`run --shard K/N
 * --coordinated`) writes its messages to stdout (all human output goes to stderr) and reads the
 * coordinator's from stdin; over SSH that is the session itself, so a fleet needs no port of its
 * own. Every message is validated on receipt; an unknown or malformed line is an error that names
 * the peer.
 *
 * The exchange: coordinator `env` (the PG* variables to connect with: passwords never travel on a
 * command line) → shard `hello` → coordinator `ping`s (clock offset, as NTP: round trips over the
 * session) answered by `pong` → shard `ready` (every connection open) → coordinator `go` (the start
 * instant on the shard's clock) → shard `interval` per interval (its worker threads' snapshot,
 * merged) → shard `result` (its whole result, shard section included) → end. The coordinator may
 * send `stop` (end gracefully, keep what was measured); the end of its input means the same.
 */
import { z } from '../vendor/zod.js';
import { wireSnapshotSchema } from '../report/shard-schema.js';

const layoutSchema = z.object({ txnTypes: z.array(z.object({ name: z.string(), statements: z.array(z.string()) })) });

export const shardMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), version: z.string(), k: z.number().int().positive(), n: z.number().int().positive() }),
  z.object({ t: z.literal('pong'), id: z.number().int(), nowMs: z.number() }),
  z.object({ t: z.literal('ready'), layout: layoutSchema, intervalMs: z.number().positive() }),
  z.object({ t: z.literal('interval'), s: wireSnapshotSchema }),
  // The part's result: validated by the merge (resultV1Schema) where it is used.
  z.object({ t: z.literal('result'), result: z.record(z.string(), z.unknown()) }),
  z.object({ t: z.literal('error'), message: z.string(), exitCode: z.number().int() }),
]);

export const coordinatorMessageSchema = z.discriminatedUnion('t', [
  // First of all: the PG* environment the part connects with (the password kept off its command line).
  z.object({ t: z.literal('env'), env: z.record(z.string().regex(/^PG[A-Z_]+$/), z.string()) }),
  z.object({ t: z.literal('ping'), id: z.number().int() }),
  z.object({ t: z.literal('go'), startAtMs: z.number() }),
  z.object({ t: z.literal('stop') }),
]);

export type ShardMessage = z.infer<typeof shardMessageSchema>;
export type CoordinatorMessage = z.infer<typeof coordinatorMessageSchema>;

export const encodeMessage = (m: ShardMessage | CoordinatorMessage): string => `${JSON.stringify(m)}\n`;

/** One line as a message of `schema`, or a one-line reason why it is not one. */
export function decodeLine<T>(schema: z.ZodType<T>, line: string): { ok: true; message: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not a protocol line: ${line.length > 120 ? `${line.slice(0, 117)}...` : line}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, message: parsed.data };
}

/** Splits a byte stream into lines and hands each complete one over. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
      nl = buf.indexOf('\n');
    }
  };
}
