/**
 * From the run's workload specs (built-in names, pgbench scripts, workload modules, each with a
 * weight) to sources and programs, with every file read and checked before anything starts.
 */
import { basename, resolve } from 'node:path';
import { readUserFile } from '../config/user-file.js';
import { BUILTIN_SCRIPTS, type BuiltinScriptName } from './pgbench/builtin-scripts.js';
import { buildPrograms, type WorkloadSource } from './sources.js';
import type { TxnProgram } from './types.js';
import type { WorkloadDefinition } from './module/api.js';
import { loadWorkloadModule, resolveModuleOptions, unknownModuleOptions } from './module/load.js';
import { isBuiltinModule, loadBuiltinModule } from './builtin/registry.js';

/** Why a script could not be read, in words, with what to do. */
const SCRIPT_READ_REASONS: Readonly<Record<string, string>> = {
  EISDIR: 'it is a directory; give a script file',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
};

export interface WorkloadSpec {
  readonly kind: 'builtin' | 'file' | 'module';
  readonly name: string;
  readonly weight: number;
}

export interface ResolvedWorkloads {
  readonly sources: WorkloadSource[];
  readonly programs: TxnProgram[];
  /** A built-in pgbench workload is among them: its tables must exist (or be created). */
  readonly usesPgbenchTables: boolean;
  readonly modules: readonly { readonly file: string; readonly def: WorkloadDefinition; readonly options: Readonly<Record<string, unknown>> }[];
  /** -D names no module declares and no pgbench script may use (a warning, not an error). */
  readonly unusedDefines: readonly string[];
}

export async function resolveWorkloads(specs: readonly WorkloadSpec[], defines: Readonly<Record<string, string>>): Promise<ResolvedWorkloads> {
  const sources: WorkloadSource[] = [];
  const modules: { file: string; def: WorkloadDefinition; options: Readonly<Record<string, unknown>> }[] = [];
  const seen = new Map<string, number>();
  const unique = (name: string): string => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n > 1 ? `${name}#${n}` : name;
  };
  let usesPgbenchTables = false;
  let onlyModules = true;
  const unknown = new Set<string>();
  for (const w of specs) {
    if (w.kind === 'builtin') {
      usesPgbenchTables = true;
      onlyModules = false;
      sources.push({ kind: 'pgbench', name: unique(w.name), text: BUILTIN_SCRIPTS[w.name as BuiltinScriptName], weight: w.weight, file: undefined });
    } else if (w.kind === 'file') {
      onlyModules = false;
      const text = readUserFile(w.name, 'SCRIPT_UNREADABLE', 'script', SCRIPT_READ_REASONS);
      sources.push({ kind: 'pgbench', name: unique(basename(w.name)), text, weight: w.weight, file: w.name });
    } else {
      const builtin = w.kind === 'module' && isBuiltinModule(w.name);
      const file = builtin ? `builtin:${w.name}` : resolve(w.name);
      const def = builtin ? await loadBuiltinModule(w.name) : await loadWorkloadModule(file);
      const options = resolveModuleOptions(w.name, def.options, defines);
      for (const d of unknownModuleOptions(def.options, defines)) unknown.add(d);
      modules.push({ file, def, options });
      const name = unique(builtin ? w.name : (def.name ?? basename(w.name).replace(/\.[^.]+$/, '')));
      sources.push({ kind: 'module', name, file, weight: w.weight, options });
    }
  }
  const programs = await buildPrograms(sources);
  return { sources, programs, usesPgbenchTables, modules, unusedDefines: onlyModules ? [...unknown] : [] };
}

/** The workloads of several groups (scenarios) as one: all programs, in group order. */
export function mergeResolved(all: readonly ResolvedWorkloads[]): ResolvedWorkloads {
  return {
    sources: all.flatMap((r) => r.sources),
    programs: all.flatMap((r) => r.programs),
    usesPgbenchTables: all.some((r) => r.usesPgbenchTables),
    modules: all.flatMap((r) => r.modules),
    unusedDefines: [...new Set(all.flatMap((r) => r.unusedDefines))],
  };
}
