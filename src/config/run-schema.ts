/**
 * The resolved configuration of `pgsurge run` as one zod schema: the RunConfig type comes from it,
 * and every resolved config is checked against it before it is frozen. The option table
 * (run-options.ts) names, for each option, the fields of this schema it fills; a unit test checks
 * that every field has an option and every option a field.
 */
import { z } from '../vendor/zod.js';
import type { ScenarioGroup } from './scenario.js';
import type { Threshold } from '../metrics/thresholds.js';
import { THINK_DISTS } from '../executor/think-time.js';
import { TAG_KEY } from './tags.js';

export const PROTOCOLS = ['simple', 'extended', 'prepared'] as const;
export const ARRIVALS = ['uniform', 'poisson'] as const;

const stageSchema = z.object({ durationMs: z.number().positive(), target: z.number().nonnegative() });

export const runConfigSchema = z.object({
  /** Workload specs as given: built-in names or script files, each with an optional @weight. */
  workloads: z.array(z.object({ kind: z.enum(['builtin', 'file', 'module']), name: z.string(), weight: z.number().int().nonnegative() })).min(1),
  /** libpq URL or key=value string, with its password: redact before showing it (redactRunConfig). */
  url: z.string().optional(),
  pgBin: z.string().optional(),
  clients: z.number().int().positive(),
  /** Worker threads used: at most one per client (pgbench's rule); -j as given is in threadsAsked when larger. */
  threads: z.number().int().positive(),
  threadsAsked: z.number().int().positive().optional(),
  durationMs: z.number().positive().optional(),
  transactionsPerClient: z.number().int().positive().optional(),
  rateHz: z.number().positive().optional(),
  arrivals: z.enum(ARRIVALS),
  maxQueue: z.number().int().positive(),
  latencyLimitMs: z.number().positive().optional(),
  stages: z.array(stageSchema).optional(),
  stagesAreRates: z.boolean(),
  /** Closed loop: each client waits this long (fixed, or exponential with this mean) after a transaction. */
  thinkTime: z.object({ ms: z.number().positive(), dist: z.enum(THINK_DISTS) }).optional(),
  warmupMs: z.number().nonnegative(),
  /** --find-limit: step the load up until it breaks (src/limit); -T bounds the whole search. */
  findLimit: z.boolean(),
  /** --find-limit-step: each step's duration (its first interval is its warm-up, not judged). */
  findLimitStepMs: z.number().positive(),
  progressMs: z.number().nonnegative().optional(),
  intervalMs: z.number().positive(),
  protocol: z.enum(PROTOCOLS),
  scale: z.number().int().positive().optional(),
  defines: z.record(z.string(), z.string()),
  noVacuum: z.boolean(),
  /** Run the workload modules' teardown after the run. */
  teardown: z.boolean(),
  perStatement: z.boolean(),
  maxTries: z.number().int().positive(),
  randomSeed: z.number().int().nonnegative(),
  queryTimeoutMs: z.number().positive(),
  graceMs: z.number().nonnegative(),
  /** --shard K/N: run part K of N of this run (src/executor/share.ts); `pgsurge merge` joins the parts. */
  shard: z.object({ k: z.number().int().positive(), n: z.number().int().positive() }).optional(),
  /** --run-id: names the run the shards belong to (default: derived from the configuration, see src/distributed/identity.ts). */
  runId: z.string().optional(),
  /** --fleet: the machines a coordinator runs the parts on (src/cli/fleet-run.ts). */
  fleet: z.array(z.object({ label: z.string(), destination: z.string(), port: z.number().int().optional() })).optional(),
  shardsPerHost: z.number().int().positive(),
  sshOptions: z.array(z.string()),
  remoteCommand: z.string().min(1),
  /** --coordinated: a part run by a coordinator (--fleet, Kubernetes), speaking the protocol on stdin/stdout. */
  coordinated: z.boolean(),
  /** --coordinator URL: the part reaches its coordinator over HTTP (src/distributed/http-part.ts) instead of stdin/stdout. */
  coordinatorUrl: z.string().optional(),
  /** --parts N: this process coordinates N parts that connect over HTTP (src/cli/parts-run.ts). */
  parts: z.number().int().positive().optional(),
  /** --parts-listen: where those parts connect ([HOST]:PORT). */
  partsListen: z.string().optional(),
  /** --linger: how long the coordinator keeps serving the merged result after the run. */
  lingerMs: z.number().nonnegative().optional(),
  /** --start-at: the measured phase starts at this wall-clock instant (ms since the epoch), as every shard's does. */
  startAtMs: z.number().int().positive().optional(),
  /** --repeat N: N complete runs of this configuration, outputs numbered (src/cli/repeat.ts). */
  repeat: z.number().int().positive(),
  json: z.string().optional(),
  /** --log FILE: every measured transaction, one line each in pgbench's -l format (src/engine/txn-log.ts). */
  log: z.string().optional(),
  csv: z.string().optional(),
  /** --html FILE: the HTML report (with --target: the comparison). */
  html: z.string().optional(),
  /** --out [DIR]: true when given without a directory (a default name is made after the run). */
  out: z.union([z.string().min(1), z.literal(true)]).optional(),
  /** --history [FILE]: record the run in this history (true: the default one); false with --no-history (not even with --out). */
  history: z.union([z.string().min(1), z.boolean()]).optional(),
  /** --tag KEY=VALUE: labels of the run, echoed in the result's config for the history, merge and compare. */
  tags: z.record(z.string().regex(TAG_KEY), z.string().min(1)),
  /** --connect-rate: new connections per second, over the whole run. */
  connectRate: z.number().positive().optional(),
  /** --server-setting: settings of the throwaway server (`-c NAME=VALUE`). */
  serverSettings: z.record(z.string(), z.string()),
  /** Parsed once, when the config is resolved; each keeps its text (`expr`) for the echo. */
  thresholds: z.array(z.custom<Threshold>((v) => typeof v === 'object' && v !== null && typeof (v as { expr?: unknown }).expr === 'string')),
  verbose: z.boolean(),
  /** Measure failover (outages, reconnects, timelines: src/ha); implied by verifyWrites. */
  failover: z.boolean(),
  /** Keep a ledger of every write and check the final state after the run (ha-writes workload). */
  verifyWrites: z.boolean(),
  /** --target NAME=URL: the same run against each target in turn (then url is not set). */
  targets: z.array(z.object({ name: z.string(), url: z.string() })),
  /** --replica URL: read-only transaction types go there (URLs with their passwords: redact). */
  replicas: z.array(z.string()),
  /** --route-reads: read-only transaction types go to the standbys among url's hosts. */
  routeReads: z.boolean(),
  /** --prometheus [HOST]:PORT, as typed; valid for parseListen. */
  prometheus: z.string().optional(),
  /** --ui: the live page's address as typed (valid for parseListen), or true for the default. */
  ui: z.union([z.literal(true), z.string()]).optional(),
  /** --server-metrics [HOST=]URL: node_exporter endpoints of the servers' machines (URLs with their passwords: redact). */
  serverMetrics: z.array(z.object({ host: z.string().optional(), url: z.string() })),
  /** --observe-server URL: the servers sampled in place of the target's (URLs with their passwords: redact). */
  observeServers: z.array(z.string()),
  /** Sample the server during the run (false with --no-observe). */
  observe: z.boolean(),
  /** A scenario file: several workloads, each with its own load (replaces the workloads and load options). */
  scenario: z
    .object({
      file: z.string(),
      durationMs: z.number().positive(),
      groups: z.array(z.custom<ScenarioGroup>((v) => typeof v === 'object' && v !== null)),
    })
    .optional(),
});

export type RunConfig = Readonly<z.infer<typeof runConfigSchema>>;
export type RunConfigField = keyof RunConfig;
