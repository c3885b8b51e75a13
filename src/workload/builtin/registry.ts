/**
 * Built-in workloads written with the module API (src/workload/module/api.ts), by name. They load
 * straight from the package (no bundling) in the main thread and in every worker. pgbench's three
 * built-in scripts are separate: they are pgbench scripts (src/workload/pgbench/builtin-scripts.ts).
 */
import type { WorkloadDefinition } from '../module/api.js';

type Loader = () => Promise<WorkloadDefinition>;

/** Name → loader. Each entry is a module under src/workload/builtin/ with a default export. */
export const BUILTIN_MODULES: Readonly<Record<string, Loader>> = Object.freeze({
  'inference-writes': async () => (await import('./inference-writes.js')).default as unknown as WorkloadDefinition,
  'bulk-insert': async () => (await import('./bulk-insert.js')).default as unknown as WorkloadDefinition,
  'vector-search': async () => (await import('./vector-search.js')).default as unknown as WorkloadDefinition,
  purchases: async () => (await import('./purchases.js')).default as unknown as WorkloadDefinition,
  'ha-writes': async () => (await import('./ha-writes.js')).default as unknown as WorkloadDefinition,
});

export function isBuiltinModule(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTIN_MODULES, name);
}

export async function loadBuiltinModule(name: string): Promise<WorkloadDefinition> {
  const load = BUILTIN_MODULES[name];
  if (load === undefined) throw new Error(`no built-in workload module "${name}"`);
  return await load();
}
