/**
 * Built-in workloads written with the module API (src/workload/module/api.ts), by name. They load
 * straight from the package (no bundling) in the main thread and in every worker. pgbench's three
 * built-in scripts are separate: they are pgbench scripts (src/workload/pgbench/builtin-scripts.ts);
 * BUILTIN_WORKLOADS lists both kinds with one line each (what `run --help` prints).
 */
import type { WorkloadDefinition } from '../module/api.js';
import type { BuiltinScriptName } from '../pgbench/builtin-scripts.js';

type Loader = () => Promise<WorkloadDefinition>;

interface ModuleEntry {
  /** One line for `run --help`: what the workload does, in the user's words. */
  readonly description: string;
  readonly load: Loader;
}

/** Each entry is a module under src/workload/builtin/ with a default export. */
const MODULES: Readonly<Record<string, ModuleEntry>> = {
  'inference-writes': {
    description: 'LLM-gateway writes: up to 4 writes per request with large JSON payloads (optionally made on the server)',
    load: async () => (await import('./inference-writes.js')).default as unknown as WorkloadDefinition,
  },
  'bulk-insert': {
    description: 'ingestion: one batch of rows per transaction, by multi-row VALUES or unnest arrays',
    load: async () => (await import('./bulk-insert.js')).default as unknown as WorkloadDefinition,
  },
  'vector-search': {
    description: 'similarity search over embeddings: top-k in one or several namespaces, fetch by id, insert (pgvector or cube)',
    load: async () => (await import('./vector-search.js')).default as unknown as WorkloadDefinition,
  },
  purchases: {
    description: 'read-heavy API over a large monthly-partitioned dataset: latest purchases, one customer, a new purchase',
    load: async () => (await import('./purchases.js')).default as unknown as WorkloadDefinition,
  },
  'ha-writes': {
    description: 'writes that --verify-writes can check after a failover: unique inserts, counters, transfers, reads',
    load: async () => (await import('./ha-writes.js')).default as unknown as WorkloadDefinition,
  },
};

/** Keyed by BuiltinScriptName, so a new pgbench script does not compile without its line. */
const PGBENCH_DESCRIPTIONS: Readonly<Record<BuiltinScriptName, string>> = {
  'tpcb-like': "pgbench's default: update an account, a teller and a branch, insert into history (the default workload)",
  'simple-update': "pgbench's simple-update: update an account and insert into history (no teller or branch updates)",
  'select-only': "pgbench's select-only: read one account's balance by primary key",
};

/** Name → loader. */
export const BUILTIN_MODULES: Readonly<Record<string, Loader>> = Object.freeze(Object.fromEntries(Object.entries(MODULES).map(([name, m]) => [name, m.load])));

export interface BuiltinWorkloadInfo {
  readonly name: string;
  /** pgbench: one of pgbench's scripts; module: written with the module API (has setup, options). */
  readonly kind: 'pgbench' | 'module';
  readonly description: string;
}

/** Every built-in workload, pgbench's first, with its one line. */
export const BUILTIN_WORKLOADS: readonly BuiltinWorkloadInfo[] = Object.freeze([
  ...Object.entries(PGBENCH_DESCRIPTIONS).map(([name, description]) => ({ name, kind: 'pgbench' as const, description })),
  ...Object.entries(MODULES).map(([name, m]) => ({ name, kind: 'module' as const, description: m.description })),
]);

export function isBuiltinModule(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTIN_MODULES, name);
}

export async function loadBuiltinModule(name: string): Promise<WorkloadDefinition> {
  const load = BUILTIN_MODULES[name];
  if (load === undefined) throw new Error(`no built-in workload module "${name}"`);
  return await load();
}
