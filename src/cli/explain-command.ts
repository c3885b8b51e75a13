/**
 * `pgsurge explain WORKLOAD` and `pgsurge reset WORKLOAD`: the two module commands that act on a
 * workload's schema without load. explain prints EXPLAIN (ANALYZE, BUFFERS) of every statement
 * (src/workload/explain.ts); on a throwaway server the module's setup runs first. reset calls the
 * module's reset hook (its data back to what setup left) on --url or the PG* environment.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { usageError } from '../errors.js';
import { parseDefines } from '../config/units.js';
import { hasEnvironmentTarget } from '../driver/conninfo.js';
import { isBuiltinModule, loadBuiltinModule, BUILTIN_MODULES } from '../workload/builtin/registry.js';
import { loadWorkloadModule, resolveModuleOptions, unknownModuleOptions } from '../workload/module/load.js';
import { isModulePath } from '../workload/module/module-path.js';
import type { WorkloadDefinition } from '../workload/module/api.js';
import { explainWorkload, formatExplain } from '../workload/explain.js';
import { runModuleHook, runModuleSetup } from './prepare-server.js';
import { connectFirstHost, resolveTarget, type Target } from './target.js';
import { printErr, printOut, type CliIO } from './output.js';

export interface RawModuleCommandOptions {
  readonly url?: string;
  readonly pgBin?: string;
  readonly define?: readonly string[];
  readonly randomSeed?: string;
  readonly json?: string;
}

interface LoadedModule {
  readonly file: string;
  readonly name: string;
  readonly def: WorkloadDefinition;
  readonly options: Readonly<Record<string, unknown>>;
}

async function loadModule(workload: string, raw: RawModuleCommandOptions, io: CliIO): Promise<LoadedModule> {
  if (!isBuiltinModule(workload) && !isModulePath(workload)) {
    throw usageError(
      'UNKNOWN_WORKLOAD',
      `unknown workload "${workload}" (built-in modules: ${Object.keys(BUILTIN_MODULES).join(', ')}; or a .ts/.js workload module)`,
    );
  }
  const defines = parseDefines(raw.define ?? []);
  const builtin = isBuiltinModule(workload);
  const def = builtin ? await loadBuiltinModule(workload) : await loadWorkloadModule(resolve(workload));
  const options = resolveModuleOptions(workload, def.options, defines);
  const unknown = unknownModuleOptions(def.options, defines);
  if (unknown.length > 0) printErr(io, `pgsurge: warning: -D ${unknown.join(', ')}: not an option of ${workload}`);
  const name = builtin ? workload : (def.name ?? workload.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, ''));
  return { file: builtin ? workload : resolve(workload), name, def, options };
}

export async function explainCommand(workload: string, raw: RawModuleCommandOptions, io: CliIO): Promise<number> {
  const m = await loadModule(workload, raw, io);
  const seedText = raw.randomSeed ?? '0';
  if (!/^\d+$/.test(seedText)) throw usageError('BAD_OPTIONS', `--random-seed: expected an unsigned integer, got "${seedText}"`);
  let target: Target | undefined;
  try {
    target = await resolveTarget({ url: raw.url, pgBin: raw.pgBin }, io.env, (l) => printErr(io, l));
    const { client, host } = await connectFirstHost(target.conn);
    try {
      if (target.throwaway !== undefined && m.def.setup !== undefined) {
        printErr(io, `pgsurge: running the setup of ${m.name} in the throwaway server`);
        await runModuleSetup(m.file, m.def, client, target.conn, host, m.options);
      }
      const report = await explainWorkload(client, m.name, m.def, m.options, Number(seedText));
      printOut(io, formatExplain(report));
      if (raw.json !== undefined)
        writeFileSync(raw.json, `${JSON.stringify({ schema: 'pgsurge.explain/v1', target: target.description, ...report }, null, 2)}\n`);
      return report.statements.some((s) => s.error !== undefined) ? 1 : 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await target?.throwaway?.stop();
  }
}

export async function resetCommand(workload: string, raw: RawModuleCommandOptions, io: CliIO): Promise<number> {
  const m = await loadModule(workload, raw, io);
  if (m.def.reset === undefined) throw usageError('NO_RESET', `${m.name} has no reset hook (run \`pgsurge init ${workload}\` to recreate its data)`);
  if (raw.url === undefined && !hasEnvironmentTarget(io.env)) {
    throw usageError('NO_TARGET', 'reset needs a target: --url URL or the PG* environment');
  }
  const target = await resolveTarget({ url: raw.url, pgBin: undefined }, io.env, (l) => printErr(io, l));
  const { client } = await connectFirstHost(target.conn);
  try {
    const t0 = Date.now();
    await runModuleHook(m.file, 'reset', () => m.def.reset!(client, m.options as never));
    printErr(io, `pgsurge: reset ${m.name} in ${target.description} in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    return 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}
