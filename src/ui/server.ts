/**
 * The UI's HTTP server (fastify): the page, the REST API (documented by /api/openapi.json) and the
 * event stream (SSE: proxies and browsers handle it well, it reconnects by itself and replays from
 * Last-Event-ID). It only reads what the hub already has — intervals are merged on the main thread
 * before they reach it — so serving costs the workers nothing, and a browser that falls behind is
 * dropped (it reconnects and replays) instead of holding events in memory without bound.
 *
 * Safety: on loopback, requests must name a loopback host (no DNS rebinding); off loopback, every
 * request needs the token (Authorization: Bearer, the pgsurge_token cookie the page sets, or
 * ?token= once). A write from another site's page (its Origin) is refused, and bodies are JSON.
 * Nothing here runs a shell; passwords never leave: configs and targets are redacted, errors too.
 */
import { isLoopbackHost } from '../config/listen.js';
import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { PgsurgeError } from '../errors.js';
import { redact } from '../config/redact.js';
import { parseRateHz, parsePositiveInt } from '../config/units.js';
import { renderHtml, reportView } from '../report/html.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { compareSides } from '../report/compare.js';
import { compareView } from '../report/compare-html.js';
import type { ResultV1 } from '../report/result.js';
import type { UiHub } from './hub.js';
import type { HistoryFilter, HistoryStatus } from '../history/store.js';
import type { UiEvent } from './events.js';
import { formFields, RequestError, type FieldProblem } from './run-request.js';
import { appPage } from './page.js';
import { LOADABLE, launchLoad } from './data-load.js';
import { openApiDocument } from './openapi.js';

export interface UiServerOptions {
  readonly host: string;
  readonly port: number;
  /** Required on every request when set (always set off loopback). */
  readonly token: string | undefined;
  /** The environment data loads take their target from when a request names none. */
  readonly env: NodeJS.ProcessEnv;
}

export interface UiServer {
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

/** A browser further behind than this is dropped; it reconnects and replays from its last event id. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

const sameToken = (given: string | undefined, token: string): boolean => {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

function cookieToken(req: FastifyRequest): string | undefined {
  const m = /(?:^|;\s*)pgsurge_token=([^;]+)/.exec(req.headers.cookie ?? '');
  return m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
}

function bad(reply: FastifyReply, status: number, problems: readonly FieldProblem[]): FastifyReply {
  return reply.code(status).send({ error: problems.map((p) => (p.field === null ? p.message : `${p.field}: ${p.message}`)).join('; '), problems });
}

const notFound = (reply: FastifyReply, id: string): FastifyReply => bad(reply, 404, [{ field: null, message: `no run ${id}` }]);

function queryOf(q: Record<string, string | string[] | undefined>): HistoryFilter | FieldProblem {
  const one = (k: string): string | undefined => (Array.isArray(q[k]) ? q[k][0] : q[k]);
  const out: HistoryFilter = {};
  const workload = one('workload');
  const target = one('target');
  if (workload !== undefined && workload !== '') out.workload = workload;
  if (target !== undefined && target !== '') out.target = target;
  const tags = q['tag'] === undefined ? [] : Array.isArray(q['tag']) ? q['tag'] : [q['tag']];
  for (const t of tags) {
    const eq = t.indexOf('=');
    if (eq <= 0) return { field: 'tag', message: `expected KEY=VALUE, got "${t}"` };
    out.tags = { ...out.tags, [t.slice(0, eq)]: t.slice(eq + 1) };
  }
  for (const k of ['since', 'until'] as const) {
    const v = one(k);
    if (v === undefined || v === '') continue;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) return { field: k, message: `expected an ISO date, got "${v}"` };
    out[k] = d;
  }
  const status = one('status');
  if (status !== undefined && status !== '') {
    if (!['running', 'finished', 'interrupted'].includes(status))
      return { field: 'status', message: `expected running, finished or interrupted, got "${status}"` };
    out.status = status as HistoryStatus;
  }
  const limit = one('limit');
  if (limit !== undefined && limit !== '') {
    if (!/^\d+$/.test(limit) || Number(limit) < 1) return { field: 'limit', message: `expected a positive integer, got "${limit}"` };
    out.limit = Number(limit);
  }
  return out;
}

export async function startUiServer(hub: UiHub, opts: UiServerOptions): Promise<UiServer> {
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const loopback = isLoopbackHost(opts.host);
  const streams = new Set<ServerResponse>();

  app.addHook('onRequest', async (req, reply) => {
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopback && !isLoopbackHost(hostHeader)) return bad(reply, 403, [{ field: null, message: `Host "${hostHeader}" is not this loopback server` }]);
    // A page of another site may POST here (a form needs no preflight: a bodiless stop would pass);
    // browsers name the page's origin on such requests, so only this server's own page may write.
    const origin = req.headers.origin;
    if (req.method !== 'GET' && req.method !== 'HEAD' && origin !== undefined && origin.replace(/^https?:\/\//, '') !== req.headers.host)
      return bad(reply, 403, [{ field: null, message: `a request from another site (${origin}) is refused` }]);
    if (opts.token === undefined) return undefined;
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const query = (req.query as Record<string, string | undefined>)['token'];
    if (sameToken(auth, opts.token) || sameToken(cookieToken(req), opts.token)) return undefined;
    if (sameToken(query, opts.token)) {
      void reply.header('set-cookie', `pgsurge_token=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`);
      return undefined;
    }
    return bad(reply, 401, [{ field: null, message: 'this server needs its token (Authorization: Bearer TOKEN, or open the page with ?token=TOKEN)' }]);
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void bad(reply, status, [{ field: null, message: redact(err.message) }]);
  });
  app.setNotFoundHandler((req, reply) => bad(reply, 404, [{ field: null, message: `no such endpoint: ${req.method} ${req.url.split('?')[0]}` }]));

  app.get('/', (_req, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(appPage({ canStart: hub.opts.start !== undefined })),
  );
  app.get('/api/openapi.json', () => openApiDocument());
  app.get('/api/options', () => ({
    canStart: hub.opts.start !== undefined,
    canUploadModules: hub.opts.start !== undefined && hub.opts.modules === true,
    history: hub.history !== undefined,
    fields: formFields(),
    loadable: LOADABLE,
    lastEventId: hub.events.lastId,
  }));

  app.get('/api/runs', (req, reply) => {
    const q = queryOf(req.query as Record<string, string>);
    if ('message' in q) return bad(reply, 400, [q]);
    return { runs: hub.list(q) };
  });

  app.post('/api/runs', async (req, reply) => {
    const start = hub.opts.start;
    if (start === undefined) return bad(reply, 403, [{ field: null, message: 'this page belongs to one run of pgsurge run --ui; start runs with pgsurge ui' }]);
    const concurrent = (req.query as Record<string, string | undefined>)['concurrent'] === 'true';
    try {
      const run = await start(hub, req.body ?? {}, { source: req.headers['x-pgsurge-source'] === 'ui' ? 'ui' : 'api', concurrent });
      return reply.code(201).header('location', `/api/runs/${run.id}`).send(run.info());
    } catch (e) {
      if (e instanceof RequestError) return bad(reply, 400, e.problems);
      if (e instanceof PgsurgeError) return bad(reply, e.code === 'TARGET_BUSY' ? 409 : 400, [{ field: null, message: e.message }]);
      throw e;
    }
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', (req, reply) => {
    const live = hub.get(req.params.id);
    if (live !== undefined) return live.info();
    const h = hub.history?.get(req.params.id);
    return h === undefined ? notFound(reply, req.params.id) : h.entry;
  });

  app.delete<{ Params: { id: string } }>('/api/runs/:id', (req, reply) => {
    const id = req.params.id;
    const live = hub.get(id);
    if (live !== undefined && !live.isOver()) return bad(reply, 409, [{ field: null, message: `run ${id} is running; stop it first` }]);
    const forgot = hub.forget(id);
    const deleted = hub.history?.delete(id) ?? false;
    return forgot || deleted ? reply.code(204).send() : notFound(reply, id);
  });

  app.post<{ Params: { id: string } }>('/api/runs/:id/stop', (req, reply) => {
    const live = hub.get(req.params.id);
    if (live === undefined) return notFound(reply, req.params.id);
    const immediate = (req.query as Record<string, string | undefined>)['now'] === 'true';
    if (!live.stop(immediate)) return bad(reply, 409, [{ field: null, message: `run ${live.id} has ended already (${live.currentState})` }]);
    return reply.code(202).send(live.info());
  });

  app.post<{ Params: { id: string } }>('/api/runs/:id/adjust', (req, reply) => {
    const live = hub.get(req.params.id);
    if (live === undefined) return notFound(reply, req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body))
      return bad(reply, 400, [{ field: null, message: 'expected a JSON object: {"rate": "400"} or {"clients": 8}' }]);
    if (live.fixedLoad !== undefined) return bad(reply, 409, [{ field: null, message: live.fixedLoad }]);
    const kind = live.info().loadKind;
    const field = kind === 'rate' ? 'rate' : 'clients';
    const other = kind === 'rate' ? 'clients' : 'rate';
    if (body[other] !== undefined)
      return bad(reply, 400, [
        {
          field: other,
          message: `this run's load is ${kind === 'rate' ? 'a rate (open loop): set "rate"' : 'a number of clients (closed loop): set "clients"'}`,
        },
      ]);
    const v = body[field];
    if (v === undefined)
      return bad(reply, 400, [{ field, message: `missing: the new ${kind === 'rate' ? 'arrivals per second' : 'number of active clients'}` }]);
    let target: number;
    try {
      const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
      target = kind === 'rate' ? parseRateHz(text, 'rate') : parsePositiveInt(text, 'clients');
    } catch (e) {
      return bad(reply, 400, [{ field, message: e instanceof Error ? e.message : String(e) }]);
    }
    const group = typeof body['group'] === 'string' ? body['group'] : undefined;
    const change = live.adjust(target, group);
    if (change === undefined) return bad(reply, 409, [{ field: null, message: `run ${live.id} is not running (${live.currentState})` }]);
    return reply.code(202).send({ change, run: live.info() });
  });

  const resultOf = (id: string): { result: ResultV1; partial: boolean } | undefined => {
    const live = hub.get(id);
    if (live !== undefined) {
      const r = live.currentResult();
      return r === undefined ? undefined : { result: r, partial: !live.isOver() };
    }
    const h = hub.history?.get(id);
    return h?.result == null ? undefined : { result: h.result, partial: h.entry.status === 'running' };
  };
  app.get<{ Params: { id: string; format: string } }>('/api/runs/:id/result.:format', (req, reply) => {
    const r = resultOf(req.params.id);
    if (r === undefined) return notFound(reply, `${req.params.id} with a result yet`);
    void reply.header('x-pgsurge-partial', String(r.partial));
    switch (req.params.format) {
      case 'json':
        return reply.header('content-type', 'application/json').send(JSON.stringify(r.result, null, 2));
      case 'html':
        return reply.header('content-type', 'text/html; charset=utf-8').send(renderHtml(r.result));
      case 'csv':
        return reply.header('content-type', 'text/csv; charset=utf-8').send(formatIntervalsCsv(r.result));
      default:
        return bad(reply, 404, [{ field: 'format', message: `expected json, html or csv, got "${req.params.format}"` }]);
    }
  });
  app.get<{ Params: { id: string } }>('/api/runs/:id/view', (req, reply) => {
    const live = hub.get(req.params.id);
    const view = live?.view();
    if (view !== undefined) return { state: live!.currentState, ...view };
    const r = resultOf(req.params.id);
    if (r === undefined) return live === undefined ? notFound(reply, req.params.id) : { state: live.currentState, title: '', bodyHtml: '', charts: [] };
    return { state: live?.currentState ?? r.result.stop?.reason ?? 'finished', ...reportView(r.result) };
  });
  app.get<{ Params: { id: string } }>('/api/runs/:id/events', (req, reply) => {
    const after = Number((req.query as Record<string, string | undefined>)['after'] ?? 0);
    if (!Number.isInteger(after) || after < 0) return bad(reply, 400, [{ field: 'after', message: 'expected an event id (a non-negative integer)' }]);
    if (hub.get(req.params.id) === undefined && !hub.loads.has(req.params.id)) return notFound(reply, req.params.id);
    return { events: hub.events.since(after, req.params.id) };
  });

  app.post('/api/loads', (req, reply) => {
    if (hub.opts.start === undefined)
      return bad(reply, 403, [{ field: null, message: 'this page belongs to one run of pgsurge run --ui; load data with pgsurge ui' }]);
    try {
      const load = launchLoad(req.body ?? {}, opts.env, hub.events);
      hub.loads.set(load.id, load);
      return reply.code(201).header('location', `/api/loads/${load.id}`).send(load.info());
    } catch (e) {
      if (e instanceof RequestError) return bad(reply, 400, e.problems);
      throw e;
    }
  });
  app.get('/api/loads', () => ({ loads: [...hub.loads.values()].reverse().map((l) => l.info()) }));
  app.get<{ Params: { id: string } }>(
    '/api/loads/:id',
    (req, reply) => hub.loads.get(req.params.id)?.info() ?? bad(reply, 404, [{ field: null, message: `no data load ${req.params.id}` }]),
  );

  app.post('/api/compare', (req, reply) => {
    const body = (req.body ?? {}) as { runs?: unknown; sides?: unknown };
    const sides: unknown = body.sides ?? (Array.isArray(body.runs) ? body.runs.map((id) => [id]) : undefined);
    if (!Array.isArray(sides) || sides.length < 2 || !sides.every((s) => Array.isArray(s) && s.length > 0 && s.every((x) => typeof x === 'string')))
      return bad(reply, 400, [
        { field: 'runs', message: 'expected two or more run ids ("runs"), or two or more lists of run ids ("sides"; the first is the baseline)' },
      ]);
    const missing: string[] = [];
    const built = (sides as string[][]).map((ids) => ({
      label: ids.join('+'),
      runs: ids.flatMap((id) => {
        const r = resultOf(id);
        if (r === undefined || r.partial) {
          missing.push(id);
          return [];
        }
        return [{ label: id, result: r.result }];
      }),
    }));
    if (missing.length > 0) return bad(reply, 400, [{ field: 'runs', message: `no finished result for ${missing.join(', ')}` }]);
    const comparison = compareSides(built);
    return { comparison, view: compareView(comparison) };
  });

  app.get('/api/events', (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const run = q['run'];
    const after = Number(req.headers['last-event-id'] ?? q['after'] ?? 0);
    if (!Number.isInteger(after) || after < 0) return bad(reply, 400, [{ field: 'after', message: 'expected an event id (a non-negative integer)' }]);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (e: UiEvent): void => {
      if (run !== undefined && e.run !== run) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        return;
      }
      res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e, data: e.data })}\n\n`);
    };
    res.write(`retry: 1000\n\n`);
    for (const e of hub.events.since(after, run)) send(e);
    const unsubscribe = hub.events.subscribe(send);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    streams.add(res);
    res.on('close', () => {
      clearInterval(beat);
      unsubscribe();
      streams.delete(res);
    });
    return reply;
  });

  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new PgsurgeError('UI_LISTEN', `cannot listen on ${opts.host}:${opts.port} for the UI: ${why}`, { exitCode: 2 });
  }
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: async () => {
      // Event streams end first, so what was written to them (a run's end) is flushed, not cut.
      for (const res of streams) res.end();
      await new Promise((resolve) => setTimeout(resolve, 50));
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

export { isLoopbackHost } from '../config/listen.js';
