/**
 * The coordinator's end of the protocol over HTTP, for parts that dial in (Kubernetes pods, or any
 * machines running `run --shard K/N --coordinator URL`): each part holds one request open, `POST
 * /v1/parts/K`, whose body carries its messages and whose response carries the coordinator's, one
 * JSON line each (protocol.ts, the same lines an SSH session carries). Each part is a PeerProcess
 * from the start, so coordinator.ts drives them exactly as it drives SSH sessions; its pipes are
 * joined to the request when the part connects.
 *
 * The same listener serves what a user fetches: `GET /result.json` and `/report.html` once the run
 * is over (503 while it runs), and `GET /healthz`.
 *
 * Rules: a token, when set, is required of every part (`Authorization: Bearer`); a part number
 * outside 1..N is 404, a second connection for a part that has one is 409 (a duplicate part is
 * never merged twice). A part whose connection ends before its result is lost, as a part whose
 * SSH session ends is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { PgsurgeError } from '../errors.js';
import { parseListen } from '../config/listen.js';
import type { PeerProcess } from './coordinator.js';

/** What the listener serves once the run is over. */
export interface ServedResult {
  readonly json: string;
  readonly html: string;
}

export interface PartsListener {
  /** Part K's peer (1-based), the same object for the whole run. */
  readonly peers: readonly PeerProcess[];
  /** "host:port" it listens on (the real port when given port 0). */
  readonly address: string;
  /** From now on `/result.json` and `/report.html` answer with these. */
  serveResult(result: ServedResult): void;
  close(): Promise<void>;
}

interface Slot {
  readonly k: number;
  readonly toPart: PassThrough;
  readonly fromPart: PassThrough;
  readonly stderr: PassThrough;
  readonly done: (end: { code: number | null; signal: NodeJS.Signals | null }) => void;
  req: IncomingMessage | null;
  ended: boolean;
}

const sameToken = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

export async function listenForParts(
  listen: string,
  n: number,
  opts: { readonly token?: string | undefined; readonly log: (line: string) => void; readonly option?: string },
): Promise<PartsListener> {
  const { host, port } = parseListen(listen, opts.option ?? '--parts-listen');
  const slots: Slot[] = [];
  const peers: PeerProcess[] = [];
  for (let k = 1; k <= n; k++) {
    const toPart = new PassThrough();
    const fromPart = new PassThrough();
    const stderr = new PassThrough();
    let done!: Slot['done'];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => (done = resolve));
    const slot: Slot = {
      k,
      toPart,
      fromPart,
      stderr,
      done: (e) => (slot.ended ? undefined : ((slot.ended = true), stderr.end(), done(e))),
      req: null,
      ended: false,
    };
    slots.push(slot);
    peers.push({
      name: `part ${k}/${n}`,
      k,
      stdin: toPart,
      stdout: fromPart,
      stderr,
      kill: (signal) => {
        // A part not connected yet is given up; a connected one loses its connection (it stops, as
        // a part whose coordinator went away does).
        slot.req?.socket.destroy();
        if (!fromPart.writableEnded) fromPart.end();
        slot.done({ code: null, signal });
      },
      exited,
    });
  }
  let served: ServedResult | undefined;
  const attach = (slot: Slot, req: IncomingMessage, res: ServerResponse): void => {
    slot.req = req;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    slot.toPart.pipe(res);
    req.pipe(slot.fromPart);
    opts.log(`pgsurge: part ${slot.k}/${n} connected from ${req.socket.remoteAddress ?? '?'}`);
    // The part's messages end with its request; whatever it sent has been read by then.
    slot.fromPart.on('end', () => {
      res.end();
      slot.done({ code: 0, signal: null });
    });
    req.on('close', () => {
      if (!req.complete) {
        slot.stderr.write('its connection closed before it finished\n');
        if (!slot.fromPart.writableEnded) slot.fromPart.end();
      }
    });
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const answer = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${body}\n`);
    };
    if (req.method === 'GET' && url.pathname === '/healthz') return answer(200, 'ok');
    if (req.method === 'GET' && (url.pathname === '/result.json' || url.pathname === '/report.html')) {
      if (served === undefined) return answer(503, 'the run is not over yet');
      const json = url.pathname === '/result.json';
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/html; charset=utf-8' });
      res.end(json ? served.json : served.html);
      return;
    }
    const m = /^\/v1\/parts\/(\d+)$/.exec(url.pathname);
    if (m === null) return answer(404, 'not found');
    if (req.method !== 'POST') return answer(405, 'POST only');
    if (opts.token !== undefined && !sameToken(req.headers.authorization ?? '', `Bearer ${opts.token}`))
      return answer(401, 'wrong or missing token (PGSURGE_COORDINATOR_TOKEN)');
    const slot = slots[Number(m[1]) - 1];
    if (slot === undefined) return answer(404, `no part ${m[1]} in a run of ${n} parts`);
    if (slot.req !== null || slot.ended) return answer(409, `part ${slot.k}/${n} is connected already (or has ended): a part runs once`);
    attach(slot, req, res);
  });
  // A part's request lasts the whole run: no request or idle deadline may end it.
  server.requestTimeout = 0;
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new PgsurgeError('BAD_LISTEN', `${opts.option ?? '--parts-listen'} ${listen}: cannot listen there: ${e.code ?? e.message}`, { exitCode: 2 })),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    peers,
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    serveResult: (r) => (served = r),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of slots) s.req?.socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
