/**
 * The `pgsurge history ...` subcommands and their options; their work is in history-command.ts,
 * imported only when one of them runs (it loads SQLite, which `pgsurge --version` must not).
 */
import { Option, type Command } from 'commander';
import type { CliIO } from './output.js';
import type { HistoryDbOption, HistoryListOptions, HistoryShowOptions } from './history-command.js';

const impl = (): Promise<typeof import('./history-command.js')> => import('./history-command.js');

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const dbOption = (): Option =>
  new Option('--db <file>', 'the history (default: $PGSURGE_HISTORY, else $XDG_DATA_HOME/pgsurge/history.db, else ~/.local/share/pgsurge/history.db)');
const verbose = (): Option => new Option('--verbose', 'show stack traces of internal errors');

/** The `history` command and its subcommands (list is the default). */
export function addHistoryCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const history = program
    .command('history')
    .description('the run history: runs recorded by run --history or --out (and the UI), or imported from result files');
  history
    .command('list', { isDefault: true })
    .description('the runs, newest first: a table, or --json')
    .option('--workload <name>', 'only runs of this workload, or with this transaction type (e.g. select-only)')
    .option('--target <text>', 'only runs whose target (host:port,.../database) contains this')
    .option('--tag <key=value>', 'only runs with this tag (repeatable: all of them)', collect)
    .option('--since <date>', 'only runs started at or after this ISO 8601 date or time (2026-05-01, 2026-05-01T14:00Z)')
    .option('--until <date>', 'only runs started before this ISO 8601 date or time')
    .option('--status <status>', 'only runs that are running, finished or interrupted')
    .option('--limit <n>', 'at most this many runs (the newest)')
    .option('--json', 'the entries as JSON')
    .addOption(dbOption())
    .addOption(verbose())
    .action(async (opts: HistoryListOptions) => setExit((await impl()).historyList(opts, io)));
  history
    .command('show')
    .description("a run's summary as pgsurge report prints it, or with --json its result")
    .argument('<id>', 'the run (an id from history list)')
    .option('--json', 'the result (schema pgsurge.result/v1), e.g. for report or compare')
    .option('-r, --report-per-command', 'report latency percentiles per statement')
    .addOption(dbOption())
    .addOption(verbose())
    .action(async (id: string, opts: HistoryShowOptions & { reportPerCommand?: boolean }) =>
      setExit((await impl()).historyShow(id, { ...opts, perStatement: opts.reportPerCommand === true }, io)),
    );
  history
    .command('import')
    .description('record result files in the history: every *.json result under each directory (run --out, --repeat), or the files given')
    .argument('<paths...>', 'result files or directories')
    .addOption(dbOption())
    .addOption(verbose())
    .action(async (paths: string[], opts: HistoryDbOption) => setExit((await impl()).historyImport(paths, opts, io)));
  history
    .command('delete')
    .description('remove runs from the history (their result files are not touched)')
    .argument('<ids...>', 'the runs')
    .addOption(dbOption())
    .addOption(verbose())
    .action(async (ids: string[], opts: HistoryDbOption) => setExit((await impl()).historyDelete(ids, opts, io)));
}
