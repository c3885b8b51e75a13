/**
 * `pgsurge init [WORKLOAD] -s N`: create and fill a workload's schema on a given target.
 * For now the pgbench schema (tpcb-like, simple-update and select-only share it), with pgbench's
 * -I steps and options, so that pgbench and pgsurge run on each other's databases.
 */
import { usageError } from '../errors.js';
import { parseDefines, parsePositiveInt } from '../config/units.js';
import { hasEnvironmentTarget } from '../driver/conninfo.js';
import { openAdminClient } from '../driver/admin-client.js';
import { DEFAULT_INIT_STEPS, formatInitProgress, initPgbench } from '../workload/builtin/pgbench-init.js';
import { connectFirstHost, urlTarget } from './target.js';
import { runModuleSetup } from './prepare-server.js';
import { isModulePath } from '../workload/module/module-path.js';
import { resolve } from 'node:path';
import { isBuiltinModule, loadBuiltinModule } from '../workload/builtin/registry.js';
import { printErr, type CliIO } from './output.js';

export interface RawInitOptions {
  readonly workloads: readonly string[];
  readonly url?: string;
  readonly scale?: string;
  readonly initSteps?: string;
  readonly unloggedTables?: boolean;
  readonly fillfactor?: string;
  readonly partitions?: string;
  readonly partitionMethod?: string;
  readonly foreignKeys?: boolean;
  readonly tablespace?: string;
  readonly indexTablespace?: string;
  readonly parallel?: string;
  readonly quiet?: boolean;
  readonly define?: readonly string[];
}

const PGBENCH_WORKLOADS = new Set(['pgbench', 'tpcb-like', 'simple-update', 'select-only']);

export async function initCommand(raw: RawInitOptions, io: CliIO): Promise<number> {
  const modulePaths = raw.workloads.filter((w) => isModulePath(w) || isBuiltinModule(w));
  for (const w of raw.workloads) {
    if (!PGBENCH_WORKLOADS.has(w) && !isModulePath(w) && !isBuiltinModule(w)) {
      throw usageError('UNKNOWN_WORKLOAD', `init: unknown workload "${w}" (known: ${[...PGBENCH_WORKLOADS].join(', ')}, or a .ts/.js workload module)`);
    }
  }
  const defines = parseDefines(raw.define ?? []);
  // The module loader (esbuild, zod) is imported only when a module is named.
  const load = modulePaths.length === 0 ? undefined : await import('../workload/module/load.js');
  const modules =
    load === undefined
      ? []
      : await Promise.all(
          modulePaths.map(async (file) => {
            const def = isBuiltinModule(file) ? await loadBuiltinModule(file) : await load.loadWorkloadModule(resolve(file));
            return { file, def, options: load.resolveModuleOptions(file, def.options, defines) };
          }),
        );
  if (raw.url === undefined && !hasEnvironmentTarget(io.env)) {
    throw usageError('NO_TARGET', 'init needs a target: --url URL or the PG* environment (a throwaway server would be removed at exit)');
  }
  const { conn, description } = urlTarget(raw.url, io.env);
  const method = raw.partitionMethod ?? 'range';
  if (method !== 'range' && method !== 'hash') throw usageError('BAD_OPTIONS', `--partition-method: expected range or hash, got "${method}"`);
  const opts = {
    scale: raw.scale === undefined ? 1 : parsePositiveInt(raw.scale, '-s/--scale'),
    steps: raw.initSteps ?? DEFAULT_INIT_STEPS,
    unlogged: raw.unloggedTables === true,
    fillfactor: raw.fillfactor === undefined ? 100 : parsePositiveInt(raw.fillfactor, '-F/--fillfactor'),
    partitions: raw.partitions === undefined ? 0 : parsePositiveInt(raw.partitions, '--partitions', 0),
    partitionMethod: method as 'range' | 'hash',
    foreignKeys: raw.foreignKeys === true,
    ...(raw.tablespace === undefined ? {} : { tablespace: raw.tablespace }),
    ...(raw.indexTablespace === undefined ? {} : { indexTablespace: raw.indexTablespace }),
    ...(raw.parallel === undefined ? {} : { parallel: parsePositiveInt(raw.parallel, '--parallel') }),
  };
  const { client, host } = await connectFirstHost(conn);
  try {
    for (const m of modules) {
      if (m.def.setup === undefined) {
        printErr(io, `pgsurge: ${m.file} has no setup: nothing to do for it`);
        continue;
      }
      printErr(io, `pgsurge: running the setup of ${m.file} in ${description}`);
      const t0 = Date.now();
      await runModuleSetup(isBuiltinModule(m.file) ? m.file : resolve(m.file), m.def, client, conn, host, m.options);
      printErr(io, `done in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
    }
  } finally {
    await client.end();
  }
  // pgbench's tables, when a pgbench workload is named or nothing is.
  if (modules.length > 0 && modules.length === raw.workloads.length) return 0;
  const tty = io.stderr.isTTY === true;
  let lastLineMs = 0;
  printErr(io, `pgsurge: initialising pgbench tables at scale ${opts.scale} in ${description}`);
  const result = await initPgbench(() => openAdminClient(conn, host), {
    ...opts,
    onProgress: (p) => {
      if (raw.quiet === true) return;
      const now = Date.now();
      if (tty) io.stderr.write(`\r${formatInitProgress(p)}\x1b[K`);
      else if (now - lastLineMs >= 5000 || p.rows === p.totalRows) {
        lastLineMs = now;
        printErr(io, formatInitProgress(p));
      }
    },
  });
  if (tty && raw.quiet !== true) io.stderr.write('\n');
  const steps = result.steps.map((s) => `${s.step} ${s.elapsedS.toFixed(2)} s`).join(', ');
  printErr(io, `done in ${result.elapsedS.toFixed(2)} s (${steps})`);
  return 0;
}
