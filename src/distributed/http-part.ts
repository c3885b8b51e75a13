/**
 * A part's end of the protocol over HTTP (`run --shard K/N --coordinator URL`): one request, `POST
 * /v1/parts/K`, held open for the whole run; its body carries the part's messages and the response
 * the coordinator's (http-parts.ts). The part starts before its coordinator may be listening (pods
 * of one Job start in any order), so connecting is retried until `waitMs` has passed; a refusal
 * (wrong token, a part number taken, another run) is final at once.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgsurgeError } from '../errors.js';
import type { ShardPart } from '../executor/types.js';
import type { PartIO } from './coordinated-part.js';

export interface PartConnection extends PartIO {
  /** Ends the request (the part's last message was written). */
  end(): void;
}

const RETRY_MS = 1_000;
const SAY_EVERY_MS = 30_000;

export async function connectToCoordinator(
  baseUrl: string,
  part: ShardPart,
  opts: { readonly token?: string | undefined; readonly waitMs: number; readonly log: (line: string) => void },
): Promise<PartConnection> {
  const url = new URL(`/v1/parts/${part.k}`, baseUrl);
  const started = Date.now();
  let lastSaid = started;
  for (;;) {
    const attempt = await tryConnect(url, opts.token);
    if (attempt.ok) {
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      attempt.res.pipe(stdin);
      // The request's end or failure is the coordinator going away: the part's input ends.
      attempt.res.on('error', () => stdin.end());
      attempt.req.on('error', () => stdin.end());
      stdout.pipe(attempt.req);
      return { stdin, stdout, end: () => stdout.end() };
    }
    if (attempt.final) throw new PgsurgeError('COORDINATOR', `--coordinator ${baseUrl}: ${attempt.why}`);
    const now = Date.now();
    if (now - started >= opts.waitMs)
      throw new PgsurgeError('COORDINATOR', `--coordinator ${baseUrl}: not reachable within ${Math.round(opts.waitMs / 1000)} s (${attempt.why})`);
    if (now - lastSaid >= SAY_EVERY_MS) {
      lastSaid = now;
      opts.log(`pgsurge: waiting for the coordinator at ${baseUrl} (${attempt.why})`);
    }
    await sleep(RETRY_MS);
  }
}

type Attempt = { ok: true; req: ClientRequest; res: IncomingMessage } | { ok: false; final: boolean; why: string };

function tryConnect(url: URL, token: string | undefined): Promise<Attempt> {
  return new Promise((resolve) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      // Its own connection, closed with the run: nothing pooled keeps the process alive.
      agent: false,
      headers: { 'content-type': 'application/x-ndjson', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    });
    // Until the answer comes: a connection refused or reset is worth another try.
    const onError = (e: NodeJS.ErrnoException): void => resolve({ ok: false, final: false, why: e.code ?? e.message });
    req.once('error', onError);
    req.once('response', (res) => {
      req.off('error', onError);
      if (res.statusCode === 200) {
        resolve({ ok: true, req, res });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.length + body.length > 500 ? '' : c));
      res.on('end', () => {
        req.destroy();
        // 502–504: a proxy or Service in front with no coordinator behind it yet.
        const final = !(res.statusCode !== undefined && res.statusCode >= 502 && res.statusCode <= 504);
        resolve({ ok: false, final, why: `HTTP ${res.statusCode ?? '?'}${body.trim() === '' ? '' : `: ${body.trim()}`}` });
      });
    });
    // Headers go out now; the body follows as the part's messages are written.
    req.flushHeaders();
  });
}
