/**
 * The options of `pgsurge run`, declared once. The CLI's option table is generated from this
 * (src/cli/main.ts), the type of the option values (RunOptionValues) is derived from it, and each
 * entry names the RunConfig fields (run-schema.ts) it fills. A browser form or a REST request gives
 * the same values as a plain object (resolveRunRequest in run-config.ts).
 *
 * Adding an option is one entry here and one field in run-schema.ts: an entry that is not `derived`
 * is parsed by its `parse` (or read as a flag) and fills its one field as it is.
 */
import { usageError } from '../errors.js';
import { parseDefine, parseDurationMs, parsePositiveInt, parseRateHz, parseStages } from './units.js';
import { parseTarget } from './targets.js';
import { parseListen } from './listen.js';
import { checkTargetScheme } from '../driver/conninfo.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { ARRIVALS, PROTOCOLS, type RunConfigField } from './run-schema.js';
import { THINK_DISTS } from '../executor/think-time.js';
import { parseServerMetrics } from '../observe/node-exporter.js';
import { parseCoordinatorUrl, parseRunId, parseShard, parseStartAt } from './shard.js';
import { parseFleet } from './fleet.js';
import { parseTag } from './tags.js';
import { parseServerSetting } from './server-settings.js';

interface OptionBase {
  /** The long name as typed, without the dashes; `no-…` is a negatable flag (commander's `--no-x`). */
  readonly long: string;
  /** pgbench's letter where pgbench has the option. */
  readonly short?: string;
  readonly help: string;
  /** The RunConfig fields this option fills; exactly one unless `derived`. */
  readonly fills: readonly RunConfigField[];
  /** resolveRunConfig computes the fields from this option and others (defaults that depend, conflicts). */
  readonly derived?: true;
  /** Not in --help: used between pgsurge processes, not typed by users. */
  readonly hidden?: true;
}

/** `--name <placeholder>`: one value; a later one wins. */
export interface ValueOption extends OptionBase {
  readonly kind: 'value';
  readonly placeholder: string;
  /** Used when the option is not given, as a user would type it; parsed like a given value. */
  readonly default?: string;
  /** Help shows `(default: "…")` (commander's wording). */
  readonly showDefault?: true;
  /** Text → the field's value; throws a usage error naming `label` (e.g. `-R/--rate`). */
  readonly parse: (text: string, label: string) => unknown;
}

/** `--name <placeholder>`, repeatable: every value, in order. */
export interface ListOption extends OptionBase {
  readonly kind: 'list';
  readonly placeholder: string;
  /** One item's text → its value (the field gets the list of them). */
  readonly parse: (text: string, label: string) => unknown;
}

/** `--name [placeholder]`: the value, or true when given without one. */
export interface OptionalValueOption extends OptionBase {
  readonly kind: 'optional-value';
  readonly placeholder: string;
  /** There is also `--no-name` (then the value is false), with this help. */
  readonly negatedHelp?: string;
}

/** `--name`, or `--no-name` (then the value is false when given, true otherwise). */
export interface FlagOption extends OptionBase {
  readonly kind: 'flag';
}

export type RunOptionSpec = ValueOption | ListOption | OptionalValueOption | FlagOption;

const text = (t: string): string => t;

/** `choice(['a', 'b', 'c'])`: "LABEL: expected a, b or c, got "x"". */
function choice<const C extends readonly string[]>(choices: C): (t: string, label: string) => C[number] {
  const list = `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1] ?? ''}`;
  return (t, label) => {
    if ((choices as readonly string[]).includes(t)) return t;
    throw usageError('BAD_OPTIONS', `${label}: expected ${list}, got "${t}"`);
  };
}

/** pgbench's -L is in milliseconds; units are allowed too. */
const parseLatencyLimitMs = (t: string, label: string): number => parseDurationMs(/^\d+(\.\d+)?$/.test(t) ? `${t}ms` : t, label);

/** An unsigned integer, "time" (the clock) or "rand" (a random seed, the default). */
function parseRandomSeed(t: string, label: string): number {
  if (t === 'rand') return Math.floor(Math.random() * 2 ** 32);
  if (t === 'time') return Date.now() % 2 ** 32;
  if (!/^\d+$/.test(t)) throw usageError('BAD_OPTIONS', `${label}: expected an unsigned integer, "time" or "rand", got "${t}"`);
  return Number(t) % 2 ** 53;
}

/** The address is checked now (exit 2 before anything starts); the field keeps the text as typed. */
const checkListen = (t: string, label: string): string => (parseListen(t, label), t);

/** A target URL or key=value string, as typed; another URL scheme than postgres(ql):// is refused now. */
const schemeChecked = (t: string, label: string): string => (checkTargetScheme(t, label), t);

/** The positional WORKLOAD arguments of `run`. */
export const RUN_WORKLOADS_ARGUMENT = {
  name: '[workloads...]',
  help: 'built-in name (listed below), pgbench script file, .ts/.js workload module, each with an optional @WEIGHT; or a scenario .yaml',
  fills: ['workloads', 'scenario'],
} as const satisfies { readonly name: string; readonly help: string; readonly fills: readonly RunConfigField[] };

/** In `run --help` order. */
export const RUN_OPTIONS = [
  {
    kind: 'value',
    long: 'url',
    placeholder: 'url',
    parse: schemeChecked,
    fills: ['url'],
    help: 'target: libpq URL or key=value string (default: PG* environment, else a throwaway server)',
  },
  { kind: 'value', long: 'pg-bin', placeholder: 'dir', parse: text, fills: ['pgBin'], help: 'PostgreSQL binaries for the throwaway server' },
  {
    kind: 'value',
    long: 'scenario',
    placeholder: 'file',
    parse: text,
    fills: ['scenario'],
    derived: true,
    help: 'a YAML/JSON scenario file: several workloads, each with its own load (also as a positional .yaml)',
  },
  {
    kind: 'list',
    long: 'builtin',
    short: 'b',
    placeholder: 'name[@w]',
    parse: text,
    fills: ['workloads'],
    derived: true,
    help: 'built-in script (repeatable)',
  },
  {
    kind: 'list',
    long: 'file',
    short: 'f',
    placeholder: 'file[@w]',
    parse: text,
    fills: ['workloads'],
    derived: true,
    help: 'pgbench script file (repeatable)',
  },
  {
    kind: 'value',
    long: 'client',
    short: 'c',
    placeholder: 'n',
    parse: parsePositiveInt,
    fills: ['clients'],
    derived: true,
    help: 'number of clients (default 1; 16 with -R)',
  },
  {
    kind: 'value',
    long: 'jobs',
    short: 'j',
    placeholder: 'n',
    default: '1',
    parse: parsePositiveInt,
    fills: ['threads', 'threadsAsked'],
    derived: true,
    help: 'worker threads (default 1; at most one per client)',
  },
  {
    kind: 'value',
    long: 'time',
    short: 'T',
    placeholder: 'duration',
    parse: parseDurationMs,
    fills: ['durationMs'],
    derived: true,
    help: 'duration: 10 = 10 s, 30s, 2m (default 10 s)',
  },
  {
    kind: 'value',
    long: 'transactions',
    short: 't',
    placeholder: 'n',
    parse: parsePositiveInt,
    fills: ['transactionsPerClient'],
    help: 'transactions per client (instead of -T)',
  },
  {
    kind: 'value',
    long: 'rate',
    short: 'R',
    placeholder: 'rate',
    parse: parseRateHz,
    fills: ['rateHz', 'stagesAreRates'],
    derived: true,
    help: 'open loop: target transactions per second (2000, 8k)',
  },
  {
    kind: 'value',
    long: 'arrivals',
    placeholder: 'kind',
    default: 'poisson',
    showDefault: true,
    parse: choice(ARRIVALS),
    fills: ['arrivals'],
    help: 'open-loop arrivals: poisson (like pgbench) or uniform',
  },
  {
    kind: 'value',
    long: 'max-queue',
    placeholder: 'n',
    default: '10000',
    showDefault: true,
    parse: parsePositiveInt,
    fills: ['maxQueue'],
    help: 'open loop: arrivals that may wait for a free client before they are dropped',
  },
  {
    kind: 'value',
    long: 'latency-limit',
    short: 'L',
    placeholder: 'ms',
    parse: parseLatencyLimitMs,
    fills: ['latencyLimitMs'],
    help: 'open loop: skip arrivals already later than this when a client could start them',
  },
  {
    kind: 'value',
    long: 'stages',
    placeholder: 'list',
    parse: (t: string, label: string) => parseStages(t, label),
    fills: ['stages', 'stagesAreRates'],
    derived: true,
    help: 'ramp: DURATION:TARGET,... (rates with -R or "/s", else clients), e.g. 30s:1000,2m:8000,30s:0',
  },
  {
    kind: 'flag',
    long: 'find-limit',
    fills: ['findLimit'],
    derived: true,
    help: 'step the load up (open loop: the rate from -R; closed loop: clients up to -c) until it breaks; report the highest load that held and what bound it',
  },
  {
    kind: 'value',
    long: 'find-limit-step',
    placeholder: 'duration',
    parse: parseDurationMs,
    fills: ['findLimitStepMs'],
    derived: true,
    help: 'with --find-limit: how long each step lasts, default 5s (its first interval is not judged)',
  },
  {
    kind: 'value',
    long: 'think-time',
    placeholder: 'duration',
    parse: parseDurationMs,
    fills: ['thinkTime'],
    derived: true,
    help: 'closed loop: each client waits this long after a transaction (50ms, 1s); latency counts from the end of the wait',
  },
  {
    kind: 'value',
    long: 'think-time-dist',
    placeholder: 'dist',
    parse: choice(THINK_DISTS),
    fills: ['thinkTime'],
    derived: true,
    help: 'think time: fixed (default) or exponential (with --think-time as its mean)',
  },
  {
    kind: 'value',
    long: 'warmup',
    placeholder: 'duration',
    default: '0',
    parse: parseDurationMs,
    fills: ['warmupMs'],
    help: 'run this long before measuring; excluded from the results',
  },
  {
    kind: 'value',
    long: 'progress',
    short: 'P',
    placeholder: 'duration',
    parse: parseDurationMs,
    fills: ['progressMs'],
    help: 'print a progress line this often (default: every interval on a terminal)',
  },
  {
    kind: 'value',
    long: 'interval',
    placeholder: 'duration',
    parse: parseDurationMs,
    fills: ['intervalMs'],
    derived: true,
    help: 'length of one interval of the timeline (default 1s)',
  },
  {
    kind: 'value',
    long: 'protocol',
    short: 'M',
    placeholder: 'mode',
    default: 'prepared',
    parse: choice(PROTOCOLS),
    fills: ['protocol'],
    help: 'simple, extended or prepared (default prepared)',
  },
  {
    kind: 'value',
    long: 'scale',
    short: 's',
    placeholder: 'n',
    parse: parsePositiveInt,
    fills: ['scale'],
    help: "scale: for scripts (:scale) and the throwaway server's pgbench tables (default 10 there)",
  },
  {
    kind: 'list',
    long: 'define',
    short: 'D',
    placeholder: 'name=value',
    parse: (t: string) => parseDefine(t),
    fills: ['defines'],
    derived: true,
    help: 'define a script variable (repeatable)',
  },
  { kind: 'flag', long: 'no-vacuum', short: 'n', fills: ['noVacuum'], derived: true, help: 'skip the pre-run vacuum of pgbench tables' },
  { kind: 'flag', long: 'teardown', fills: ['teardown'], help: "run the workload modules' teardown after the run" },
  { kind: 'flag', long: 'report-per-command', short: 'r', fills: ['perStatement'], help: 'report latency percentiles per statement' },
  {
    kind: 'value',
    long: 'max-tries',
    placeholder: 'n',
    default: '1',
    parse: parsePositiveInt,
    fills: ['maxTries'],
    help: 'tries for serialization failures and deadlocks (default 1: no retry)',
  },
  {
    kind: 'value',
    long: 'random-seed',
    placeholder: 'seed',
    default: 'rand',
    parse: parseRandomSeed,
    fills: ['randomSeed'],
    help: 'seed for random numbers: an integer, "time" or "rand"',
  },
  {
    kind: 'value',
    long: 'query-timeout',
    placeholder: 'duration',
    default: '30s',
    parse: parseDurationMs,
    fills: ['queryTimeoutMs'],
    help: 'client-side limit for one statement (default 30s)',
  },
  {
    kind: 'value',
    long: 'grace',
    placeholder: 'duration',
    default: '5s',
    parse: parseDurationMs,
    fills: ['graceMs'],
    help: 'how long in-flight transactions may finish after the end (default 5s)',
  },
  {
    kind: 'list',
    long: 'threshold',
    placeholder: 'expr',
    parse: (t: string) => parseThreshold(t),
    fills: ['thresholds'],
    help: "pass/fail criterion, e.g. 'p95<30ms', 'tps>=8000', 'success_rate>=99.9%', 'errors.timeout==0', 'max(server.cpu)<80%' (repeatable; exit 99 if one fails)",
  },
  {
    kind: 'value',
    long: 'repeat',
    placeholder: 'n',
    default: '1',
    parse: parsePositiveInt,
    fills: ['repeat'],
    help: 'run the same configuration N times, each a complete run; outputs get numbered names (out.json → out.1.json …, --out DIR → DIR/1/ …) that compare reads as one side',
  },
  {
    kind: 'value',
    long: 'shard',
    placeholder: 'k/n',
    parse: parseShard,
    fills: ['shard'],
    derived: true,
    help: "run part K of N of this run (clients, rate and ids split; one process or machine per part); join the parts' results with pgsurge merge",
  },
  {
    kind: 'value',
    long: 'run-id',
    placeholder: 'id',
    parse: parseRunId,
    fills: ['runId'],
    derived: true,
    help: 'with --shard: the run the part belongs to (default: derived from the options, so the parts of one command agree)',
  },
  {
    kind: 'value',
    long: 'fleet',
    placeholder: 'hosts',
    parse: parseFleet,
    fills: ['fleet'],
    derived: true,
    help: 'run the parts on these machines over ssh and merge them live: [user@]host[:port],... or @FILE (one per line)',
  },
  {
    kind: 'value',
    long: 'shards-per-host',
    placeholder: 'n',
    default: '1',
    parse: parsePositiveInt,
    fills: ['shardsPerHost'],
    help: 'with --fleet: parts (processes) per machine',
  },
  {
    kind: 'list',
    long: 'ssh-option',
    placeholder: 'option',
    parse: text,
    fills: ['sshOptions'],
    help: "with --fleet: an ssh -o option, e.g. 'ProxyJump=bastion' (repeatable)",
  },
  {
    kind: 'value',
    long: 'remote-command',
    placeholder: 'command',
    default: 'npx pgsurge',
    parse: text,
    fills: ['remoteCommand'],
    help: 'with --fleet: how pgsurge is started on the machines (default: "npx pgsurge")',
  },
  {
    kind: 'flag',
    long: 'coordinated',
    fills: ['coordinated'],
    derived: true,
    hidden: true,
    help: "with --shard: a coordinator's part (src/distributed/protocol.ts): its messages on stdout, the coordinator's on stdin",
  },
  {
    kind: 'value',
    long: 'coordinator',
    placeholder: 'url',
    parse: parseCoordinatorUrl,
    fills: ['coordinatorUrl'],
    derived: true,
    help: 'with --shard: run as a part of the coordinator at this URL (http://HOST:PORT, a run --parts N there), streaming to it over HTTP',
  },
  {
    kind: 'value',
    long: 'parts',
    placeholder: 'n',
    parse: parsePositiveInt,
    fills: ['parts'],
    derived: true,
    help: 'coordinate N parts that connect over HTTP (run --shard K/N --coordinator URL on each machine or pod): start them together, merge them live, judge the whole run',
  },
  {
    kind: 'value',
    long: 'parts-listen',
    placeholder: 'addr',
    parse: checkListen,
    fills: ['partsListen'],
    derived: true,
    help: 'with --parts: the address the parts connect to, which also serves the merged result (default 0.0.0.0:7070)',
  },
  {
    kind: 'value',
    long: 'linger',
    placeholder: 'duration',
    parse: parseDurationMs,
    fills: ['lingerMs'],
    derived: true,
    help: 'with --parts: keep serving the merged result (/result.json, /report.html) this long after the run, then exit with its verdict',
  },
  {
    kind: 'value',
    long: 'start-at',
    placeholder: 'time',
    parse: (t: string, label: string) => parseStartAt(t, label),
    fills: ['startAtMs'],
    help: 'start the measured phase at this instant (ISO 8601 with zone, or @EPOCH_SECONDS), so that the shards of a run line up',
  },
  { kind: 'value', long: 'json', placeholder: 'file', parse: text, fills: ['json'], help: 'write the result (schema pgsurge.result/v1)' },
  { kind: 'value', long: 'csv', placeholder: 'file', parse: text, fills: ['csv'], help: 'write one row per interval' },
  {
    kind: 'value',
    long: 'log',
    placeholder: 'file',
    parse: text,
    fills: ['log'],
    derived: true,
    help: "write every measured transaction to FILE, one line each in pgbench's -l format (client_id transaction_no latency_us|failed script_no epoch_s epoch_us [lag_us])",
  },
  { kind: 'value', long: 'html', placeholder: 'file', parse: text, fills: ['html'], help: 'write the HTML report (one self-contained file)' },
  {
    kind: 'optional-value',
    long: 'out',
    placeholder: 'dir',
    fills: ['out'],
    help: 'write result.json, report.html, intervals.csv into DIR and the inputs into DIR/inputs/ (default: pgsurge-results/TIME-WORKLOAD); also records the run in the default history',
  },
  {
    kind: 'optional-value',
    long: 'history',
    placeholder: 'file',
    fills: ['history'],
    help: 'record the run in the run history when it ends (default file: $PGSURGE_HISTORY, else $XDG_DATA_HOME/pgsurge/history.db, else ~/.local/share/pgsurge/history.db); see pgsurge history',
    negatedHelp: 'do not record the run in the history, not even with --out',
  },
  {
    kind: 'value',
    long: 'connect-rate',
    placeholder: 'rate',
    parse: parseRateHz,
    fills: ['connectRate'],
    help: "open the clients' connections at most this many per second over the whole run (e.g. 200), so a pooler or server is not stormed",
  },
  {
    kind: 'list',
    long: 'server-setting',
    placeholder: 'name=value',
    parse: (t: string, label: string) => parseServerSetting(t, label),
    fills: ['serverSettings'],
    derived: true,
    help: 'a PostgreSQL setting for the throwaway server, e.g. max_connections=2000 (repeatable; kept in the result)',
  },
  {
    kind: 'list',
    long: 'tag',
    placeholder: 'key=value',
    parse: (t: string, label: string) => parseTag(t, label),
    fills: ['tags'],
    derived: true,
    help: 'a label of the run, kept in its result (config.tags) and the history, e.g. env=ci (repeatable)',
  },
  {
    kind: 'list',
    long: 'target',
    placeholder: 'name=url',
    parse: (t: string) => parseTarget(t),
    fills: ['targets'],
    derived: true,
    help: 'run the same load against each target in turn and compare them (repeatable)',
  },
  {
    kind: 'list',
    long: 'replica',
    placeholder: 'url',
    parse: schemeChecked,
    fills: ['replicas'],
    help: 'a replica for read-only transaction types (repeatable; reads fall back to the primary while it is down)',
  },
  { kind: 'flag', long: 'route-reads', fills: ['routeReads'], help: "send read-only transaction types to the standbys among --url's hosts" },
  {
    kind: 'list',
    long: 'server-metrics',
    placeholder: '[host=]url',
    parse: parseServerMetrics,
    fills: ['serverMetrics'],
    help: "a Prometheus node_exporter on a server's machine, for its CPU, memory, disk and network (repeatable; HOST=URL names the host, else in host order)",
  },
  {
    kind: 'list',
    long: 'observe-server',
    placeholder: 'url',
    parse: schemeChecked,
    fills: ['observeServers'],
    help: 'a server to sample for the server panels in place of the one the target leads to, e.g. behind a pooler pgsurge cannot see behind (repeatable)',
  },
  { kind: 'flag', long: 'no-observe', fills: ['observe'], help: 'do not sample the server (pg_stat_*, CPU) during the run (not with --server-metrics)' },
  {
    kind: 'value',
    long: 'prometheus',
    placeholder: 'addr',
    parse: checkListen,
    fills: ['prometheus'],
    help: 'serve live metrics at http://ADDR/metrics (":9464" listens on 127.0.0.1)',
  },
  {
    kind: 'optional-value',
    long: 'ui',
    placeholder: 'addr',
    fills: ['ui'],
    help: "serve this run's live page (change its load, stop it) at http://ADDR/ (default 127.0.0.1:8432)",
  },
  {
    kind: 'flag',
    long: 'failover',
    fills: ['failover'],
    derived: true,
    help: 'measure failover: outages, reconnects, WAL timelines (result section "failover")',
  },
  {
    kind: 'flag',
    long: 'verify-writes',
    fills: ['verifyWrites', 'failover'],
    derived: true,
    help: "ha-writes: keep every write's outcome and check the final state after the run (lost writes → exit 1); implies --failover",
  },
  { kind: 'flag', long: 'verbose', fills: ['verbose'], help: 'show stack traces of internal errors' },
] as const satisfies readonly RunOptionSpec[];

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
/** The key of an option's value (commander's attribute name): `max-queue` → maxQueue, `no-vacuum` → vacuum. */
export type OptionKey<L extends string> = L extends `no-${infer R}` ? Camel<R> : Camel<L>;

type Spec = (typeof RUN_OPTIONS)[number];
type ValueOf<S extends Spec> = S['kind'] extends 'list'
  ? readonly string[]
  : S['kind'] extends 'value'
    ? string
    : S['kind'] extends 'optional-value'
      ? string | boolean
      : boolean;

/**
 * The values of `run`'s options, as the CLI library hands them over (strings; repeatables as
 * arrays; flags as booleans; `--out` without a directory as true), or as a form or a request gives
 * them. `undefined` means not given.
 */
export type RunOptionValues = { readonly workloads?: readonly string[] | undefined } & {
  readonly [S in Spec as OptionKey<S['long']>]?: ValueOf<S> | undefined;
};
export type RunOptionKey = Exclude<keyof RunOptionValues, 'workloads'>;

/** What an option's `parse` returns (for a list: one item), by its key. */
export type ParsedOption<K extends RunOptionKey> =
  Extract<Spec, { readonly parse: unknown }> extends infer S
    ? S extends { readonly long: string; readonly parse: (t: string, l: string) => infer T }
      ? OptionKey<S['long']> extends K
        ? T
        : never
      : never
    : never;

/** `max-queue` → maxQueue, `no-vacuum` → vacuum (as commander names them). */
export function optionKey(long: string): string {
  return long.replace(/^no-/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The option as users write it in messages: `-R/--rate`, `--max-queue`, `-n/--no-vacuum`. */
export function optionLabel(o: RunOptionSpec): string {
  return o.short === undefined ? `--${o.long}` : `-${o.short}/--${o.long}`;
}

const BY_KEY = new Map<string, Spec>(RUN_OPTIONS.map((o) => [optionKey(o.long), o]));

/** The table entry of a value key, if there is one. */
export function runOptionByKey(key: string): RunOptionSpec | undefined {
  return BY_KEY.get(key);
}

/**
 * The options `pgsurge monitor` shares with `run`: the target, the grid, the live outputs and the
 * result files. The same entries of the table, so they parse and fail with run's words.
 */
export const MONITOR_OPTION_NAMES = [
  'url',
  'time',
  'progress',
  'interval',
  'replica',
  'observe-server',
  'server-metrics',
  'prometheus',
  'json',
  'html',
  'verbose',
] as const satisfies readonly Spec['long'][];

/** The values of `monitor`'s options (a subset of run's, same keys). */
export type MonitorOptionValues = Pick<RunOptionValues, OptionKey<(typeof MONITOR_OPTION_NAMES)[number]>>;
