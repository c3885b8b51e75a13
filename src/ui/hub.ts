/**
 * What the UI serves: the runs this process knows (running or ended since it started), their
 * events, and the run history when there is one. A `pgsurge run --ui` hub holds its one run and
 * starts none; `pgsurge ui`'s starts runs from requests (src/ui/launch.ts).
 */
import { randomBytes } from 'node:crypto';
import type { HistoryEntry, HistoryFilter, HistoryStatus, HistoryStore } from '../history/store.js';
import { EventLog } from './events.js';
import type { LiveRun, RunInfo } from './live-run.js';
import type { DataLoad } from './data-load.js';

/** What the UI needs of the run history: the store's own operations (src/history/store.ts). */
export type RunHistory = Pick<HistoryStore, 'begin' | 'update' | 'markUnfinishedInterrupted' | 'list' | 'get' | 'delete'>;

/** Starts a run from a request body (src/ui/launch.ts); throws RequestError or PgsurgeError when it cannot. */
export type Launcher = (hub: UiHub, body: unknown, opts: { readonly source: 'ui' | 'api'; readonly concurrent: boolean }) => Promise<LiveRun>;

export interface HubOptions {
  /** Runs may be started from the page and the API (`pgsurge ui`); without it they are only watched (`run --ui`). */
  readonly start?: Launcher;
  readonly history?: RunHistory | undefined;
  /** Runs may bring workload modules of their own (`pgsurge ui --allow-module-uploads`). */
  readonly modules?: boolean;
}

/** A short id, unique enough for one machine's history, safe in URLs. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export class UiHub {
  readonly events = new EventLog();
  private readonly runs = new Map<string, LiveRun>();
  /** Data loads started from the page or the API, newest last. */
  readonly loads = new Map<string, DataLoad>();

  constructor(readonly opts: HubOptions) {}

  get history(): RunHistory | undefined {
    return this.opts.history;
  }

  add(run: LiveRun): void {
    this.runs.set(run.id, run);
  }

  get(id: string): LiveRun | undefined {
    return this.runs.get(id);
  }

  /** The runs of this process, newest first. */
  live(): LiveRun[] {
    return [...this.runs.values()].reverse();
  }

  /** Running runs whose target is `target` (a redacted URL or conninfo). */
  runningOn(target: string): LiveRun[] {
    return this.live().filter((r) => !r.isOver() && r.info().target === target);
  }

  forget(id: string): boolean {
    const r = this.runs.get(id);
    if (r === undefined || !r.isOver()) return false;
    return this.runs.delete(id);
  }

  /** Every run of this process and, when there is a history, the other runs in it: one list, newest first. */
  list(filter: HistoryFilter = {}): (RunInfo | HistoryEntry)[] {
    // The list leaves each run's config out (GET /api/runs/ID has it).
    const mine = this.live().map((r) => ({ ...r.info(), config: {} }));
    const ids = new Set(mine.map((r) => r.id));
    const fromHistory = (this.history?.list(filter) ?? []).filter((e) => !ids.has(e.id));
    const matches = (r: RunInfo): boolean =>
      (filter.workload === undefined || r.workload.includes(filter.workload)) &&
      (filter.target === undefined || r.target.includes(filter.target)) &&
      Object.entries(filter.tags ?? {}).every(([k, v]) => r.tags[k] === v) &&
      (filter.status === undefined || statusOf(r) === filter.status) &&
      (filter.since === undefined || r.createdAt >= filter.since.toISOString()) &&
      (filter.until === undefined || r.createdAt <= filter.until.toISOString());
    const all = [...mine.filter(matches), ...fromHistory];
    return filter.limit === undefined ? all : all.slice(0, filter.limit);
  }
}

/** A run's state in the history's words. */
export function statusOf(r: RunInfo): HistoryStatus {
  return r.state === 'finished' ? 'finished' : r.state === 'interrupted' || r.state === 'failed' ? 'interrupted' : 'running';
}
