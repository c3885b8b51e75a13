/**
 * A data load started from the page or the API: `pgsurge init` of a built-in workload on a target,
 * in this process, its progress as events (`load`: stage, table, rows of total, rows/s, ETA; at
 * most four a second, and every stage's end) and its end (`end`). pgbench's tables report rows as
 * they are generated; a workload module's setup reports its start, its stages' rows as its
 * `ctx.progress` gives them, and its end.
 */
import { randomBytes } from 'node:crypto';
import { PgsurgeError } from '../errors.js';
import { parseDefines, parsePositiveInt } from '../config/units.js';
import { hasEnvironmentTarget, redactUrl } from '../driver/conninfo.js';
import { openAdminClient } from '../driver/admin-client.js';
import { redact } from '../config/redact.js';
import { BUILTIN_NAMES } from '../config/workload-spec.js';
import { BUILTIN_MODULES, loadBuiltinModule } from '../workload/builtin/registry.js';
import { defaultInitOptions, initPgbench } from '../workload/builtin/pgbench-init.js';
import { rowRate, type InitProgress } from '../workload/init/progress.js';
import { connectFirstHost, urlTarget } from '../cli/target.js';
import { runModuleSetup } from '../cli/prepare-server.js';
import type { SetupProgress } from '../workload/module/api.js';
import { RequestError, type FieldProblem } from './run-request.js';
import type { EventLog } from './events.js';

export type LoadState = 'running' | 'finished' | 'failed';

export interface LoadInfo {
  readonly id: string;
  readonly workload: string;
  readonly target: string;
  readonly scale: number | null;
  readonly state: LoadState;
  readonly createdAt: string;
  readonly elapsedS: number;
  readonly progress: LoadProgress | null;
  readonly error: string | null;
}

/** What a `load` event carries. */
export interface LoadProgress {
  readonly stage: string;
  readonly table: string;
  readonly rows: number;
  readonly totalRows: number;
  readonly rowsPerS: number | null;
  readonly etaS: number | null;
  readonly elapsedS: number;
}

const PROGRESS_EVERY_MS = 250;
/** The workloads whose data a load can create: pgbench's tables and the built-in modules' setups. */
export const LOADABLE: readonly string[] = [...BUILTIN_NAMES, ...Object.keys(BUILTIN_MODULES)];

export class DataLoad {
  readonly id = `load-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  private readonly createdAt = new Date();
  private state: LoadState = 'running';
  private progress: LoadProgress | null = null;
  private error: string | null = null;
  private lastEventMs = 0;
  private endedAtMs: number | undefined;

  constructor(
    readonly workload: string,
    readonly target: string,
    readonly scale: number | null,
    private readonly events: EventLog,
  ) {}

  report(p: LoadProgress, force = false): void {
    const stageChanged = this.progress?.stage !== p.stage || this.progress.table !== p.table;
    this.progress = p;
    const now = Date.now();
    if (!force && !stageChanged && p.rows !== p.totalRows && now - this.lastEventMs < PROGRESS_EVERY_MS) return;
    this.lastEventMs = now;
    this.events.append('load', this.id, p);
  }

  end(error?: string): void {
    this.state = error === undefined ? 'finished' : 'failed';
    this.error = error ?? null;
    this.endedAtMs = Date.now();
    this.events.append('end', this.id, { state: this.state, error: this.error, elapsedS: this.elapsed() });
  }

  isOver(): boolean {
    return this.state !== 'running';
  }

  private elapsed(): number {
    return ((this.endedAtMs ?? Date.now()) - this.createdAt.getTime()) / 1000;
  }

  info(): LoadInfo {
    return {
      id: this.id,
      workload: this.workload,
      target: this.target,
      scale: this.scale,
      state: this.state,
      createdAt: this.createdAt.toISOString(),
      elapsedS: Math.round(this.elapsed() * 10) / 10,
      progress: this.progress,
      error: this.error,
    };
  }
}

/** A pgbench table's progress with its rate and time left. */
function withRate(p: InitProgress): LoadProgress {
  const rate = p.totalRows > 0 ? rowRate(p.rows, p.elapsedS) : null;
  return {
    stage: p.step,
    table: p.table,
    rows: p.rows,
    totalRows: p.totalRows,
    rowsPerS: rate === null ? null : Math.round(rate),
    etaS: rate === null || rate <= 0 ? null : Math.round(((p.totalRows - p.rows) / rate) * 10) / 10,
    elapsedS: Math.round(p.elapsedS * 100) / 100,
  };
}

/**
 * A module's setup reports rows done per stage; each stage's rate and time left count from its own
 * first report (rows done before it, e.g. by an earlier resumed setup, took no time now).
 */
export function stageRates(stage: string, report: (p: LoadProgress) => void, now: () => number = Date.now): (p: SetupProgress) => void {
  let current: { name: string; t0: number; rows0: number } | undefined;
  return (p) => {
    if (current?.name !== p.stage) current = { name: p.stage, t0: now(), rows0: p.rows };
    const elapsedS = (now() - current.t0) / 1000;
    const rate = rowRate(p.rows - current.rows0, elapsedS);
    report({
      stage,
      table: p.stage,
      rows: p.rows,
      totalRows: p.totalRows,
      rowsPerS: rate === null ? null : Math.round(rate),
      etaS: rate === null || rate <= 0 || p.totalRows <= 0 ? null : Math.round((Math.max(0, p.totalRows - p.rows) / rate) * 10) / 10,
      elapsedS: Math.round(elapsedS * 100) / 100,
    });
  };
}

/** Checks the request (a RequestError names the fields) and starts the load in the background. */
export function launchLoad(body: unknown, env: NodeJS.ProcessEnv, events: EventLog): DataLoad {
  const problems: FieldProblem[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError([{ field: null, message: 'expected a JSON object' }]);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (!['workload', 'url', 'scale', 'define'].includes(k)) problems.push({ field: k, message: 'not a field of a data load (workload, url, scale, define)' });
  const workload = b['workload'];
  if (typeof workload !== 'string' || !LOADABLE.includes(workload))
    problems.push({ field: 'workload', message: `expected one of ${LOADABLE.join(', ')}, got ${JSON.stringify(workload)}` });
  const url = b['url'];
  if (url !== undefined && typeof url !== 'string') problems.push({ field: 'url', message: 'expected a libpq URL or key=value string' });
  if (url === undefined && !hasEnvironmentTarget(env))
    problems.push({ field: 'url', message: 'a data load needs a target (a throwaway server would be gone before a run could use it)' });
  let scale: number | null = null;
  const defines: string[] = [];
  const attempt = (field: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      problems.push({ field, message: e instanceof Error ? e.message : String(e) });
    }
  };
  if (b['scale'] !== undefined) attempt('scale', () => (scale = parsePositiveInt(String(b['scale']), '-s/--scale')));
  if (b['define'] !== undefined) {
    if (!Array.isArray(b['define']) || !b['define'].every((d) => typeof d === 'string'))
      problems.push({ field: 'define', message: 'expected a list of NAME=VALUE' });
    else defines.push(...(b['define'] as string[]));
  }
  attempt('define', () => parseDefines(defines));
  let target: ReturnType<typeof urlTarget> | undefined;
  if (problems.length === 0) attempt('url', () => (target = urlTarget(url as string | undefined, env)));
  if (problems.length > 0 || target === undefined) throw new RequestError(problems);
  const name = workload as string;
  const load = new DataLoad(name, url === undefined ? 'PG* environment' : redactUrl(url as string), scale, events);
  const t = target;
  void (async () => {
    try {
      const { client, host } = await connectFirstHost(t.conn);
      try {
        if ((BUILTIN_NAMES as readonly string[]).includes(name)) {
          await initPgbench(() => openAdminClient(t.conn, host), { ...defaultInitOptions(scale ?? 1), onProgress: (p) => load.report(withRate(p)) });
        } else {
          const def = await loadBuiltinModule(name);
          const { resolveModuleOptions } = await import('../workload/module/load.js');
          const options = resolveModuleOptions(name, def.options, parseDefines(defines));
          const t0 = Date.now();
          const stage = `setup of ${name}`;
          load.report({ stage, table: '', rows: 0, totalRows: 0, rowsPerS: null, etaS: null, elapsedS: 0 }, true);
          if (def.setup !== undefined)
            await runModuleSetup(
              name,
              def,
              client,
              t.conn,
              host,
              options,
              stageRates(stage, (p) => load.report(p)),
            );
          load.report({ stage, table: '', rows: 0, totalRows: 0, rowsPerS: null, etaS: 0, elapsedS: (Date.now() - t0) / 1000 }, true);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
      load.end();
    } catch (e) {
      load.end(e instanceof PgsurgeError ? e.message : redact(e instanceof Error ? e.message : String(e)));
    }
  })();
  return load;
}
