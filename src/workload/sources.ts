/**
 * Workload sources → transaction programs. The main thread and every worker thread call
 * `buildPrograms` on the same sources and get the same programs in the same order (runners hold
 * closures, so programs cannot be sent between threads; their sources can).
 */
import { compileScript } from './pgbench/compile.js';
import type { TxnProgram } from './types.js';
import type { WorkloadDefinition } from './module/api.js';
import { isReadOnlySql } from './read-only.js';
import { modulePrograms } from './module/program.js';
import { loadBuiltinModule } from './builtin/registry.js';

export type WorkloadSource =
  | {
      readonly kind: 'pgbench';
      readonly name: string;
      readonly text: string;
      readonly weight: number;
      readonly file: string | undefined;
    }
  | {
      readonly kind: 'module';
      /** Workload name: the module's own name, else its file name without extension. */
      readonly name: string;
      /** Absolute path of the module, or "builtin:NAME" for a built-in module workload. */
      readonly file: string;
      readonly weight: number;
      /** Resolved option values (structured-clone data). */
      readonly options: Readonly<Record<string, unknown>>;
    };

/**
 * A user's workload module. Its loader (and zod, for the module's options) is imported only when a run
 * has one: every worker thread builds its programs here, and a pgbench script needs neither.
 */
async function loadModuleFile(file: string): Promise<WorkloadDefinition> {
  const { loadWorkloadModule } = await import('./module/load.js');
  return await loadWorkloadModule(file);
}

export async function buildPrograms(sources: readonly WorkloadSource[]): Promise<TxnProgram[]> {
  const programs: TxnProgram[] = [];
  for (const s of sources) {
    if (s.kind === 'pgbench') {
      const p = compileScript(s.text, { name: s.name, weight: s.weight, ...(s.file === undefined ? {} : { file: s.file }) });
      programs.push({ ...p, read: isReadOnlySql(p.statements) });
    } else {
      const def = s.file.startsWith('builtin:') ? await loadBuiltinModule(s.file.slice('builtin:'.length)) : await loadModuleFile(s.file);
      programs.push(...modulePrograms(def, { name: s.name, file: s.file, options: s.options, weight: s.weight }));
    }
  }
  return programs;
}
