/** How the UI names a run's workloads, target and kind of load, from its config alone. */
import type { RunConfig } from '../config/run-config.js';
import { redactUrl } from '../driver/conninfo.js';

/** A run's workloads as the list shows them ("tpcb-like, select-only@3"). */
export function workloadLabel(cfg: RunConfig): string {
  if (cfg.scenario !== undefined) return cfg.scenario.groups.map((g) => g.name).join(', ');
  return cfg.workloads.map((w) => (w.weight === 1 ? w.name : `${w.name}@${w.weight}`)).join(', ');
}

/** Where the run goes, never with a password: the URL as given (redacted), else the PG* environment or a throwaway server. */
export function targetLabel(cfg: RunConfig, env: NodeJS.ProcessEnv): string {
  if (cfg.url !== undefined) return redactUrl(cfg.url);
  return env['PGHOST'] !== undefined || env['PGDATABASE'] !== undefined || env['PGSERVICE'] !== undefined ? 'PG* environment' : 'throwaway server';
}

export const isOpenLoopConfig = (cfg: RunConfig): boolean => cfg.rateHz !== undefined || cfg.stagesAreRates;
