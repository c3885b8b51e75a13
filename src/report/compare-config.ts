/**
 * Are two runs comparable? The figures of a run depend on what it ran (workload, transaction
 * types), how (clients, threads, protocol, rate, stages, duration, latency limit, retries) and
 * against what (scale, server version, server settings). Each difference becomes one line naming
 * the run. Hosts, ports, file names and seeds are left out: they differ between equal runs.
 */
import { extra, type HtmlResult } from './html-charts.js';
import type { ResultV1 } from './result.js';

/** Config keys that change what is measured. */
const CONFIG_KEYS: readonly (readonly [string, string])[] = [
  ['workloads', 'workload'],
  ['clients', 'clients'],
  ['threads', 'threads'],
  ['protocol', 'protocol'],
  ['rateHz', 'rate'],
  ['arrivals', 'arrivals'],
  ['stages', 'stages'],
  ['durationMs', 'duration'],
  ['transactionsPerClient', 'transactions per client'],
  ['latencyLimitMs', 'latency limit'],
  ['maxTries', 'max tries'],
  ['defines', 'variables'],
  ['warmupMs', 'warm-up'],
];

const MAX_SETTING_LINES = 10;

/**
 * Settings that belong to a connection, not to the server: the client sets them in its startup
 * packet or with SET (pgsurge's own sampling session sets application_name and statement_timeout),
 * and a pooler sets them differently or not at all on the server connection it hands out. So a run
 * through PgBouncer shows no client_encoding where a direct run shows UTF8: that says nothing about
 * the servers, and on the side that does not show it the value is unknown, not different.
 */
const SESSION_SETTINGS: ReadonlySet<string> = new Set([
  'application_name',
  'client_encoding',
  'DateStyle',
  'IntervalStyle',
  'TimeZone',
  'extra_float_digits',
  'search_path',
  'statement_timeout',
]);

/** Where this instance listens and keeps its files: they differ between equal servers, like hosts and ports. */
const INSTANCE_SETTINGS: ReadonlySet<string> = new Set([
  'port',
  'listen_addresses',
  'unix_socket_directories',
  'data_directory',
  'config_file',
  'hba_file',
  'ident_file',
  'external_pid_file',
]);

/** Whether a difference in this setting can make two runs' figures differ. */
const comparedSetting = (name: string): boolean => !SESSION_SETTINGS.has(name) && !INSTANCE_SETTINGS.has(name);

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Stable JSON (sorted keys) so that {a,b} and {b,a} are equal. */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** Workloads by name and weight; a file's path does not matter, its name does. */
function workloadsOf(r: ResultV1): unknown {
  const w = r.config['workloads'];
  if (!Array.isArray(w)) return w;
  return w.map((x: unknown) => {
    if (typeof x !== 'object' || x === null) return x;
    const o = x as Record<string, unknown>;
    const name = typeof o['name'] === 'string' ? o['name'].split('/').pop() : o['name'];
    return { kind: o['kind'], name, weight: o['weight'] };
  });
}

/** The two runs ran different workloads (by name and weight) or different transaction types. */
export function differsInWorkload(base: ResultV1, run: ResultV1): boolean {
  return (
    canon(Object.keys(base.transactionTypes).sort()) !== canon(Object.keys(run.transactionTypes).sort()) || canon(workloadsOf(base)) !== canon(workloadsOf(run))
  );
}

/** A run's workload in a few words: its transaction types ("select-only", "tpcb-like+select-only"). */
export function workloadWords(r: ResultV1): string {
  const types = Object.keys(r.transactionTypes).sort();
  return types.length === 0 ? '(no transaction types)' : types.join('+');
}

export function comparabilityDifferences(base: ResultV1, run: ResultV1, label: string): string[] {
  const out: string[] = [];
  const diff = (what: string, a: unknown, b: unknown): void => {
    if (canon(a) !== canon(b)) out.push(`${what}: ${show(a)} → ${show(b)} (${label})`);
  };
  diff('transaction types', Object.keys(base.transactionTypes).sort(), Object.keys(run.transactionTypes).sort());
  for (const [key, what] of CONFIG_KEYS) {
    if (key === 'workloads') diff(what, workloadsOf(base), workloadsOf(run));
    else diff(what, base.config[key], run.config[key]);
  }
  diff('scale', base.target['scale'], run.target['scale']);
  diff('server version', base.target.serverVersion, run.target.serverVersion);
  const sa = settingsOf(base);
  const sb = settingsOf(run);
  if (sa !== null && sb !== null) {
    const names = [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort().filter((k) => comparedSetting(k) && canon(sa[k]) !== canon(sb[k]));
    for (const k of names.slice(0, MAX_SETTING_LINES)) out.push(`setting ${k}: ${show(sa[k])} → ${show(sb[k])} (${label})`);
    if (names.length > MAX_SETTING_LINES) out.push(`… and ${names.length - MAX_SETTING_LINES} more settings (${label})`);
  }
  return out;
}

/**
 * Server settings a result carries: the observer's non-default settings of the first host at the
 * start of the run (serverFacts.start.hosts[0].settings), else a top-level or target `settings`.
 */
export function settingsOf(r: HtmlResult): Readonly<Record<string, unknown>> | null {
  const first = r.serverFacts?.start.hosts[0];
  if (first !== undefined) return first.settings;
  const s = extra(r, 'settings') ?? r.target['settings'];
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : null;
}
