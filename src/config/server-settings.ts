/**
 * `--server-setting NAME=VALUE`: a PostgreSQL setting for the servers pgsurge starts itself (the
 * throwaway server of a run, `local up`'s cluster), e.g. max_connections=2000 for thousands of
 * clients. The server checks the value when it starts; pgsurge checks the name's form, and keeps
 * the settings it needs for itself (where the server listens: only ever loopback).
 */
import { usageError } from '../errors.js';
import { printable } from '../workload/pgbench/printable.js';

/** Where the server listens is pgsurge's: a throwaway server trusts every local connection, so it must stay on loopback. */
const OWN = new Set(['listen_addresses', 'port', 'unix_socket_directories']);

export function parseServerSetting(text: string, label: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq).trim();
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name))
    throw usageError('BAD_OPTIONS', `${label}: expected NAME=VALUE with a PostgreSQL setting's NAME (e.g. max_connections=2000), got "${printable(text)}"`);
  const value = text.slice(eq + 1).trim();
  if (value === '') throw usageError('BAD_OPTIONS', `${label} ${printable(text)}: the value is empty`);
  if (OWN.has(name.toLowerCase())) throw usageError('BAD_OPTIONS', `${label}: ${name} is pgsurge's to set (its servers listen on loopback only)`);
  return [name, value];
}

/** The settings as one record; a name given twice is a usage error. */
export function serverSettingRecord(pairs: readonly (readonly [string, string])[], label: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (Object.hasOwn(out, name)) throw usageError('BAD_OPTIONS', `${label}: ${name} is given twice (${out[name]!}, ${value})`);
    out[name] = value;
  }
  return out;
}
